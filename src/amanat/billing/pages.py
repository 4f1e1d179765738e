"""Billing pages: the customer's billing in the portal, the officers' console, /verify.

Server-rendered, no JavaScript; every POST carries the CSRF token and calls one service.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from amanat.billing import (
    catalogue,
    certificates,
    invoicing,
    orders,
    payments,
    reconciliation,
    views,
)
from amanat.billing.money import format_pkr, parse_rupees
from amanat.billing.pdf import render_invoice
from amanat.core.actor import Actor
from amanat.core.errors import AmanatError, Invalid
from amanat.web.caller import StaffFor, page_customer
from amanat.web.csrf import require_csrf
from amanat.web.render import redirect, render
from amanat.web.request import runtime_of

router = APIRouter(include_in_schema=False)
Customer = Annotated[Actor, Depends(page_customer)]
# The officers' console: statement lines, payments and imports are the billing purpose's.
Staff = Annotated[Actor, Depends(StaffFor("billing", page=True))]
Csrf = Depends(require_csrf)
Text = Annotated[str, Form(max_length=200)]


def _overview(
    request: Request, actor: Actor, message: str | None = None, status: int = 200
) -> HTMLResponse:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        context = {
            "plans": catalogue.list_plans(uow),
            "services": orders.list_services(uow, actor.id),
            "invoices": invoicing.list_invoices(uow, actor.id),
            "payments": payments.payment_history(uow, actor.id),
            "cards": payments.saved_cards(uow, runtime, actor, actor.id),
            "certificates": certificates.list_certificates(uow, actor.id),
            "message": message, "pkr": format_pkr,
        }  # fmt: skip
        uow.commit()
        return render(request, "billing/overview.html", context, status)


@router.get("/billing", response_class=HTMLResponse)
def overview(request: Request, actor: Customer) -> HTMLResponse:
    return _overview(request, actor)


@router.post("/billing/order", response_class=HTMLResponse, dependencies=[Csrf])
def order(
    request: Request, actor: Customer, plan: Text, quantity: Annotated[int, Form(ge=1, le=1000)] = 1
) -> Response:
    runtime = runtime_of(request)
    try:
        with runtime.uow() as uow:
            placed = orders.place_order(uow, runtime, actor, actor.id, plan, quantity)
            number = placed.order.number
            uow.commit()
    except AmanatError as exc:
        return _overview(request, actor, exc.message, exc.status if exc.status < 500 else 503)
    return _overview(request, actor, f"Order {number} placed; the service is active.")


@router.get("/billing/invoices/{invoice_id}", response_class=HTMLResponse)
def invoice_page(request: Request, invoice_id: str, actor: Customer) -> HTMLResponse:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        document = views.invoice_document(uow, runtime, actor, invoice_id)
        invoice = invoicing.get_invoice(uow, invoice_id, actor.id)
        uow.commit()
    return render(
        request, "billing/invoice.html", {"doc": document, "invoice": invoice, "pkr": format_pkr}
    )


@router.get("/billing/invoices/{invoice_id}/pdf")
def invoice_pdf(request: Request, invoice_id: str, actor: Customer) -> Response:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        document = views.invoice_document(uow, runtime, actor, invoice_id)
        uow.commit()
    return Response(render_invoice(document), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{document.number}.pdf"'})  # fmt: skip


@router.post("/billing/invoices/{invoice_id}/pay", dependencies=[Csrf])
def pay(request: Request, invoice_id: str, actor: Customer) -> Response:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        started = payments.start_card_payment(uow, runtime, actor, invoice_id)
        uow.commit()
    return redirect(started.url)


@router.post("/billing/certificates", response_class=HTMLResponse, dependencies=[Csrf])
def request_certificate(request: Request, actor: Customer, fiscal_year: Text) -> Response:
    runtime = runtime_of(request)
    try:
        with runtime.uow() as uow:
            cert = certificates.request_certificate(uow, runtime, actor, actor.id, fiscal_year)
            number = cert.number
            uow.commit()
    except AmanatError as exc:
        return _overview(request, actor, exc.message, exc.status if exc.status < 500 else 503)
    return _overview(request, actor, f"Certificate {number} is ready below.")


@router.get("/billing/certificates/{certificate_id}/pdf")
def certificate_pdf(request: Request, certificate_id: str, actor: Customer) -> Response:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        cert, pdf = certificates.certificate_pdf(uow, runtime, actor, certificate_id)
        uow.commit()
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{cert.number}.pdf"'})  # fmt: skip


@router.get("/verify/{code}", response_class=HTMLResponse)
def verify_page(
    request: Request, code: str, billed: str | None = None, tax: str | None = None
) -> HTMLResponse:
    """Public: anyone holding a certificate checks it. Amounts are typed in rupees."""
    runtime = runtime_of(request)
    claimed: dict[str, str | None] = {"billed": None, "tax": None, "hash": None}
    try:
        if billed:
            claimed["billed"] = str(parse_rupees(billed))
        if tax:
            claimed["tax"] = str(parse_rupees(tax))
    except ValueError as exc:
        raise Invalid(str(exc), fields={"amount": str(exc)}) from exc
    client = request.client.host if request.client else "unknown"
    with runtime.uow() as uow:
        result = certificates.verify(uow, runtime, code, client, claimed)
        uow.commit()
    status = 200 if result["genuine"] or result.get("number") is not None else 404
    return render(
        request, "billing/verify.html", {"r": result, "code": code, "pkr": format_pkr}, status
    )


# --- Billing officers in the staff console ---------------------------------------------


def _console(
    request: Request, actor: Actor, message: str | None = None, status: int = 200
) -> HTMLResponse:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        context: dict[str, object] = {
            "queue": reconciliation.queue(uow),
            "message": message,
            "pkr": format_pkr,
            "role": actor.role,
        }
        return render(request, "billing/staff.html", context, status)


@router.get("/staff/billing", response_class=HTMLResponse)
def console(request: Request, actor: Staff) -> HTMLResponse:
    return _console(request, actor)


@router.post("/staff/billing/payments", response_class=HTMLResponse, dependencies=[Csrf])
def record_payment(
    request: Request,
    actor: Staff,
    invoice: Text,
    method: Text,
    amount: Text,
    external_reference: Text = "",
) -> HTMLResponse:
    runtime = runtime_of(request)
    try:
        paisa = parse_rupees(amount)
        with runtime.uow() as uow:
            payments.record_payment(
                uow, runtime, actor, invoice.strip(), method, paisa, external_reference
            )
            uow.commit()
    except ValueError as exc:
        return _console(request, actor, str(exc), 422)
    except AmanatError as exc:
        return _console(request, actor, exc.message, exc.status if exc.status < 500 else 503)
    return _console(
        request, actor, f"Payment of {format_pkr(paisa)} recorded against {invoice.strip()}."
    )


@router.post("/staff/billing/statements", response_class=HTMLResponse, dependencies=[Csrf])
def import_statement(
    request: Request, actor: Staff, source: Text, csv: Annotated[str, Form(max_length=2_000_000)]
) -> HTMLResponse:
    runtime = runtime_of(request)
    try:
        with runtime.uow() as uow:
            report = reconciliation.import_statement(uow, runtime, actor, source, csv)
            uow.commit()
    except AmanatError as exc:
        return _console(request, actor, exc.message, exc.status if exc.status < 500 else 503)
    return _console(
        request,
        actor,
        f"{report.lines} lines: {report.matched} matched, {report.queued} queued, {report.skipped} already imported.",
    )


@router.post(
    "/staff/billing/reconciliation/{line_id}", response_class=HTMLResponse, dependencies=[Csrf]
)
def resolve(request: Request, line_id: str, actor: Staff, invoice: Text) -> HTMLResponse:
    runtime = runtime_of(request)
    try:
        with runtime.uow() as uow:
            reconciliation.resolve(uow, runtime, actor, line_id, invoice)
            uow.commit()
    except AmanatError as exc:
        return _console(request, actor, exc.message, exc.status if exc.status < 500 else 503)
    return _console(request, actor, "Matched.")
