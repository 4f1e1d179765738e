"""The billing JSON API under /api/v1: plans, services, invoices, payments, certificates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from amanat.billing import service
from amanat.billing.schemas import (
    CertificateIn,
    CertificateOut,
    CreditNoteIn,
    OrderIn,
    OrderOut,
    PaymentOut,
    PayOut,
    PlanOut,
    RecordPaymentIn,
    RefundIn,
    ServiceOut,
    StatementIn,
    TaxProfileIn,
)
from amanat.core.actor import Actor
from amanat.web.caller import CustomerActor, StaffFor
from amanat.web.request import RawBody, RuntimeDep
from amanat.web.uow import Uow

router = APIRouter(prefix="/api/v1", tags=["billing"])
Customer = CustomerActor
# Billing officers' routes: only roles the policy gives the billing purpose.
Staff = Annotated[Actor, Depends(StaffFor("billing"))]
PDF = "application/pdf"


@router.get(
    "/plans", response_model=list[PlanOut], summary="The catalogue (PKR, paisa, before tax)"
)
def list_plans(uow: Uow) -> list[PlanOut]:
    return [service.plan_out(p) for p in service.list_plans(uow)]


@router.post("/services", status_code=201, response_model=OrderOut, summary="Order a plan")
def order_plan(body: OrderIn, actor: Customer, uow: Uow, runtime: RuntimeDep) -> OrderOut:
    site = body.site.model_dump() if body.site else None
    placed = service.place_order(uow, runtime, actor, actor.id, body.plan, body.quantity, site)
    return OrderOut(order=placed.order.number, service=service.service_out(uow, placed.service))


@router.get("/services", response_model=list[ServiceOut], summary="Your services")
def list_services(actor: Customer, uow: Uow) -> list[ServiceOut]:
    return [service.service_out(uow, s, p) for s, p in service.list_services(uow, actor.id)]


@router.post(
    "/services/{service_id}/terminate", response_model=ServiceOut, summary="End a service today"
)
def terminate(service_id: str, actor: Customer, uow: Uow, runtime: RuntimeDep) -> ServiceOut:
    ended = service.terminate_service(uow, runtime, actor, service_id, actor.id)
    return service.service_out(uow, ended)


@router.get("/invoices", summary="Your invoices and credit notes, newest first")
def list_invoices(actor: Customer, uow: Uow) -> list[dict[str, Any]]:
    return [service.invoice_summary(i) for i in service.list_invoices(uow, actor.id)]


@router.get(
    "/invoices/{invoice_id}",
    summary="One invoice as issued: JSON, or PDF with Accept: application/pdf",
    responses={200: {"content": {PDF: {}, "application/json": {}}}},
)
def get_invoice(
    request: Request, invoice_id: str, actor: Customer, uow: Uow, runtime: RuntimeDep
) -> Response:
    if PDF in request.headers.get("accept", ""):
        document = service.invoice_document(uow, runtime, actor, invoice_id)
        return Response(
            service.invoice_pdf(document), media_type=PDF,
            headers={"Content-Disposition": f'attachment; filename="{document.number}.pdf"'},
        )  # fmt: skip
    return JSONResponse(service.invoice_detail(uow, runtime, actor, invoice_id))


@router.post(
    "/invoices/{invoice_id}/pay",
    response_model=PayOut,
    summary="Pay by card on the processor's page",
)
def pay_invoice(invoice_id: str, actor: Customer, uow: Uow, runtime: RuntimeDep) -> PayOut:
    started = service.start_card_payment(uow, runtime, actor, invoice_id)
    return PayOut(payment=started.payment_id, url=started.url)


@router.get("/payments", response_model=list[PaymentOut], summary="Your payment history")
def payment_history(actor: Customer, uow: Uow) -> list[PaymentOut]:
    return [service.payment_out(p) for p, _ in service.payment_history(uow, actor.id)]


@router.post("/payments/webhook", summary="The payment processor's signed webhooks")
def webhook(request: Request, body: RawBody, uow: Uow, runtime: RuntimeDep) -> JSONResponse:
    # A refused webhook is recorded in a transaction of its own before the refusal is
    # raised (service.handle_webhook); this unit of work then rolls back.
    headers = dict(request.headers.items())
    client = request.client.host if request.client else "unknown"
    outcome = service.handle_webhook(uow, runtime, headers, body, client)
    return JSONResponse({"received": True, "outcome": outcome})


@router.post(
    "/tax-certificates",
    status_code=201,
    response_model=CertificateOut,
    summary="Request an advance tax certificate",
)
def request_certificate(
    body: CertificateIn, actor: Customer, uow: Uow, runtime: RuntimeDep
) -> CertificateOut:
    cert = service.request_certificate(uow, runtime, actor, actor.id, body.fiscal_year)
    return service.certificate_out(cert)


@router.get("/tax-certificates", response_model=list[CertificateOut], summary="Your certificates")
def list_certificates(actor: Customer, uow: Uow) -> list[CertificateOut]:
    return [service.certificate_out(c) for c in service.list_certificates(uow, actor.id)]


@router.get(
    "/tax-certificates/{certificate_id}",
    summary="A certificate as PDF",
    responses={200: {"content": {PDF: {}}}},
)
def certificate_pdf(
    certificate_id: str, actor: Customer, uow: Uow, runtime: RuntimeDep
) -> Response:
    cert, pdf = service.certificate_pdf(uow, runtime, actor, certificate_id)
    return Response(
        pdf,
        media_type=PDF,
        headers={"Content-Disposition": f'attachment; filename="{cert.number}.pdf"'},
    )


@router.get("/verify/{code}", summary="Is this certificate genuine? (public, rate-limited)")
def verify(
    request: Request,
    code: str,
    uow: Uow,
    runtime: RuntimeDep,
    billed: str | None = None,
    tax: str | None = None,
    hash: str | None = None,
) -> JSONResponse:
    client = request.client.host if request.client else "unknown"
    result = service.verify_certificate(
        uow, runtime, code, client, {"billed": billed, "tax": tax, "hash": hash}
    )
    return JSONResponse(result)


# --- Billing officers ---------------------------------------------------------------------


@router.post(
    "/billing/payments",
    status_code=201,
    response_model=PaymentOut,
    summary="Record a bank, bill-payment or cash payment",
)
def record_payment(
    body: RecordPaymentIn, actor: Staff, uow: Uow, runtime: RuntimeDep
) -> PaymentOut:
    payment = service.record_payment(
        uow, runtime, actor, body.invoice, body.method, body.amount_paisa, body.external_reference
    )
    return service.payment_out(payment)


@router.post("/billing/payments/{payment_id}/refund", status_code=201, summary="Refund a payment")
def refund(
    payment_id: str, body: RefundIn, actor: Staff, uow: Uow, runtime: RuntimeDep
) -> dict[str, Any]:
    done = service.refund_payment(uow, runtime, actor, payment_id, body.amount_paisa)
    return {"id": done.id, "status": done.status, "amount_paisa": done.amount_paisa}


@router.post(
    "/billing/invoices/{invoice_id}/credit-notes", status_code=201, summary="Correct an invoice"
)
def credit_note(
    request: Request,
    invoice_id: str,
    body: CreditNoteIn,
    actor: Staff,
    uow: Uow,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    note = service.issue_credit_note(
        uow, runtime, actor, invoice_id, body.lines, request.headers.get("x-access-reference")
    )
    return service.invoice_summary(note)


@router.post(
    "/billing/statements", status_code=201, summary="Import a bank or bill-payment statement"
)
def import_statement(
    body: StatementIn, actor: Staff, uow: Uow, runtime: RuntimeDep
) -> dict[str, Any]:
    report = service.import_statement(uow, runtime, actor, body.source, body.csv)
    return report.__dict__


@router.get("/billing/reconciliation", summary="Statement lines waiting to be matched")
def reconciliation_queue(actor: Staff, uow: Uow) -> list[dict[str, Any]]:
    del actor
    return [service.statement_line_json(x) for x in service.reconciliation_queue(uow)]


@router.put(
    "/billing/customers/{customer_id}/tax-profile", summary="Update a customer's tax profile"
)
def update_tax_profile(
    request: Request,
    customer_id: str,
    body: TaxProfileIn,
    actor: Staff,
    uow: Uow,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    reference = request.headers.get("x-access-reference")
    profile = service.update_profile(uow, runtime, actor, customer_id, body.changes, reference)
    return service.profile_json(profile)
