"""The billing JSON API under /api/v1: plans, services, invoices, payments, certificates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from amanat.billing import (
    catalogue,
    certificates,
    invoicing,
    orders,
    payments,
    reconciliation,
    taxprofile,
    views,
)
from amanat.billing.models import Certificate, Payment, Plan, Service
from amanat.billing.pdf import render_invoice
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
from amanat.runtime import Runtime
from amanat.web.caller import CustomerActor, StaffFor

router = APIRouter(prefix="/api/v1", tags=["billing"])
Customer = CustomerActor
# Billing officers' routes: only roles the policy gives the billing purpose.
Staff = Annotated[Actor, Depends(StaffFor("billing"))]
PDF = "application/pdf"


def _rt(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _plan(plan: Plan) -> PlanOut:
    return PlanOut.model_validate(plan, from_attributes=True)


def _service(service: Service, plan: Plan) -> ServiceOut:
    return ServiceOut(
        id=service.id, plan=plan.code, name=plan.name, quantity=service.quantity, status=service.status,
        starts_on=service.starts_on.isoformat() if service.starts_on else None,
        ends_on=service.ends_on.isoformat() if service.ends_on else None,
    )  # fmt: skip


def _certificate(cert: Certificate) -> CertificateOut:
    return CertificateOut(
        id=cert.id, number=cert.number, fiscal_year=cert.fiscal_year, issue_date=cert.issue_date.isoformat(),
        verification_code=cert.verification_code, duplicate_of=cert.duplicate_of,
        billed_paisa=cert.billed_paisa, advance_tax_paisa=cert.advance_tax_paisa,
    )  # fmt: skip


def _payment(payment: Payment) -> PaymentOut:
    return PaymentOut(
        id=payment.id, invoice=payment.invoice_id, method=payment.method, status=payment.status,
        amount_paisa=payment.amount_paisa, refunded_paisa=payment.refunded_paisa,
        created_at=payment.created_at.isoformat(),
    )  # fmt: skip


@router.get(
    "/plans", response_model=list[PlanOut], summary="The catalogue (PKR, paisa, before tax)"
)
def list_plans(request: Request) -> list[PlanOut]:
    with _rt(request).uow() as uow:
        return [_plan(p) for p in catalogue.list_plans(uow)]


@router.post("/services", status_code=201, response_model=OrderOut, summary="Order a plan")
def order_plan(request: Request, body: OrderIn, actor: Customer) -> OrderOut:
    runtime = _rt(request)
    with runtime.uow() as uow:
        site = body.site.model_dump() if body.site else None
        placed = orders.place_order(uow, runtime, actor, actor.id, body.plan, body.quantity, site)
        plan = uow.session.get(Plan, placed.service.plan_id)
        assert plan is not None
        out = OrderOut(order=placed.order.number, service=_service(placed.service, plan))
        uow.commit()
    return out


@router.get("/services", response_model=list[ServiceOut], summary="Your services")
def list_services(request: Request, actor: Customer) -> list[ServiceOut]:
    with _rt(request).uow() as uow:
        return [_service(s, p) for s, p in orders.list_services(uow, actor.id)]


@router.post(
    "/services/{service_id}/terminate", response_model=ServiceOut, summary="End a service today"
)
def terminate(request: Request, service_id: str, actor: Customer) -> ServiceOut:
    runtime = _rt(request)
    with runtime.uow() as uow:
        service = orders.terminate_service(uow, runtime, actor, service_id, actor.id)
        plan = uow.session.get(Plan, service.plan_id)
        assert plan is not None
        out = _service(service, plan)
        uow.commit()
    return out


@router.get("/invoices", summary="Your invoices and credit notes, newest first")
def list_invoices(request: Request, actor: Customer) -> list[dict[str, Any]]:
    with _rt(request).uow() as uow:
        return [views.invoice_summary(i) for i in invoicing.list_invoices(uow, actor.id)]


@router.get(
    "/invoices/{invoice_id}",
    summary="One invoice as issued: JSON, or PDF with Accept: application/pdf",
    responses={200: {"content": {PDF: {}, "application/json": {}}}},
)
def get_invoice(request: Request, invoice_id: str, actor: Customer) -> Response:
    runtime = _rt(request)
    wants_pdf = PDF in request.headers.get("accept", "")
    with runtime.uow() as uow:
        if wants_pdf:
            document = views.invoice_document(uow, runtime, actor, invoice_id)
            uow.commit()  # the guard's access record
            return Response(
                render_invoice(document), media_type=PDF,
                headers={"Content-Disposition": f'attachment; filename="{document.number}.pdf"'},
            )  # fmt: skip
        detail = views.invoice_detail(uow, runtime, actor, invoice_id)
        uow.commit()
    return JSONResponse(detail)


@router.post(
    "/invoices/{invoice_id}/pay",
    response_model=PayOut,
    summary="Pay by card on the processor's page",
)
def pay_invoice(request: Request, invoice_id: str, actor: Customer) -> PayOut:
    runtime = _rt(request)
    with runtime.uow() as uow:
        started = payments.start_card_payment(uow, runtime, actor, invoice_id)
        uow.commit()
    return PayOut(payment=started.payment_id, url=started.url)


@router.get("/payments", response_model=list[PaymentOut], summary="Your payment history")
def payment_history(request: Request, actor: Customer) -> list[PaymentOut]:
    with _rt(request).uow() as uow:
        return [_payment(p) for p, _ in payments.payment_history(uow, actor.id)]


@router.post("/payments/webhook", summary="The payment processor's signed webhooks")
async def webhook(request: Request) -> JSONResponse:
    runtime = _rt(request)
    body = await request.body()
    headers = dict(request.headers.items())
    client = request.client.host if request.client else "unknown"
    with runtime.uow() as uow:
        outcome = payments.handle_webhook(uow, runtime, headers, body, client)
        uow.commit()
    return JSONResponse({"received": True, "outcome": outcome})


@router.post(
    "/tax-certificates",
    status_code=201,
    response_model=CertificateOut,
    summary="Request an advance tax certificate",
)
def request_certificate(request: Request, body: CertificateIn, actor: Customer) -> CertificateOut:
    runtime = _rt(request)
    with runtime.uow() as uow:
        cert = certificates.request_certificate(uow, runtime, actor, actor.id, body.fiscal_year)
        uow.commit()
    return _certificate(cert)


@router.get("/tax-certificates", response_model=list[CertificateOut], summary="Your certificates")
def list_certificates(request: Request, actor: Customer) -> list[CertificateOut]:
    with _rt(request).uow() as uow:
        return [_certificate(c) for c in certificates.list_certificates(uow, actor.id)]


@router.get(
    "/tax-certificates/{certificate_id}",
    summary="A certificate as PDF",
    responses={200: {"content": {PDF: {}}}},
)
def certificate_pdf(request: Request, certificate_id: str, actor: Customer) -> Response:
    runtime = _rt(request)
    with runtime.uow() as uow:
        cert, pdf = certificates.certificate_pdf(uow, runtime, actor, certificate_id)
        uow.commit()
    return Response(
        pdf,
        media_type=PDF,
        headers={"Content-Disposition": f'attachment; filename="{cert.number}.pdf"'},
    )


@router.get("/verify/{code}", summary="Is this certificate genuine? (public, rate-limited)")
def verify(
    request: Request,
    code: str,
    billed: str | None = None,
    tax: str | None = None,
    hash: str | None = None,
) -> JSONResponse:
    runtime = _rt(request)
    client = request.client.host if request.client else "unknown"
    with runtime.uow() as uow:
        result = certificates.verify(
            uow, runtime, code, client, {"billed": billed, "tax": tax, "hash": hash}
        )
        uow.commit()
    return JSONResponse(result)


# --- Billing officers ---------------------------------------------------------------------


@router.post(
    "/billing/payments",
    status_code=201,
    response_model=PaymentOut,
    summary="Record a bank, bill-payment or cash payment",
)
def record_payment(request: Request, body: RecordPaymentIn, actor: Staff) -> PaymentOut:
    runtime = _rt(request)
    with runtime.uow() as uow:
        payment = payments.record_payment(
            uow,
            runtime,
            actor,
            body.invoice,
            body.method,
            body.amount_paisa,
            body.external_reference,
        )
        uow.commit()
    return _payment(payment)


@router.post("/billing/payments/{payment_id}/refund", status_code=201, summary="Refund a payment")
def refund(request: Request, payment_id: str, body: RefundIn, actor: Staff) -> dict[str, Any]:
    runtime = _rt(request)
    with runtime.uow() as uow:
        done = payments.refund_payment(uow, runtime, actor, payment_id, body.amount_paisa)
        uow.commit()
    return {"id": done.id, "status": done.status, "amount_paisa": done.amount_paisa}


@router.post(
    "/billing/invoices/{invoice_id}/credit-notes", status_code=201, summary="Correct an invoice"
)
def credit_note(
    request: Request, invoice_id: str, body: CreditNoteIn, actor: Staff
) -> dict[str, Any]:
    runtime = _rt(request)
    with runtime.uow() as uow:
        note = invoicing.issue_credit_note(
            uow, runtime, actor, invoice_id, body.lines, request.headers.get("x-access-reference")
        )
        uow.commit()
    return views.invoice_summary(note)


@router.post(
    "/billing/statements", status_code=201, summary="Import a bank or bill-payment statement"
)
def import_statement(request: Request, body: StatementIn, actor: Staff) -> dict[str, Any]:
    runtime = _rt(request)
    with runtime.uow() as uow:
        report = reconciliation.import_statement(uow, runtime, actor, body.source, body.csv)
        uow.commit()
    return report.__dict__


@router.get("/billing/reconciliation", summary="Statement lines waiting to be matched")
def reconciliation_queue(request: Request, actor: Staff) -> list[dict[str, Any]]:
    del actor
    with _rt(request).uow() as uow:
        return [
            {"id": x.id, "source": x.source, "booked_on": x.booked_on.isoformat(), "amount_paisa": x.amount_paisa,
             "reference": x.reference, "transaction_id": x.transaction_id}
            for x in reconciliation.queue(uow)
        ]  # fmt: skip


@router.put(
    "/billing/customers/{customer_id}/tax-profile", summary="Update a customer's tax profile"
)
def update_tax_profile(
    request: Request, customer_id: str, body: TaxProfileIn, actor: Staff
) -> dict[str, Any]:
    runtime = _rt(request)
    with runtime.uow() as uow:
        profile = taxprofile.update_profile(
            uow,
            runtime,
            actor,
            customer_id,
            body.changes,
            request.headers.get("x-access-reference"),
        )
        uow.commit()
    return taxprofile.profile_json(profile)
