"""Billing pages: the customer's billing in the portal, the officers' console, /verify.

Server-rendered, no JavaScript; every POST carries the CSRF token and calls one service.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from amanat.billing import service
from amanat.core.actor import Actor
from amanat.core.errors import AmanatError, Invalid
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.web.caller import StaffFor, page_customer
from amanat.web.csrf import require_csrf
from amanat.web.render import redirect, render
from amanat.web.request import RuntimeDep
from amanat.web.uow import Uow

router = APIRouter(include_in_schema=False)
Customer = Annotated[Actor, Depends(page_customer)]
# The officers' console: statement lines, payments and imports are the billing purpose's.
Staff = Annotated[Actor, Depends(StaffFor("billing", page=True))]
Csrf = Depends(require_csrf)
Text = Annotated[str, Form(max_length=200)]
format_pkr = service.format_pkr


def _refused(uow: UnitOfWork, exc: AmanatError) -> tuple[str, int]:
    """Undo what the refused verb wrote (this unit of work still commits the page's own
    reads) and give its sentence and status (a server-side failure shows as 503)."""
    uow.rollback()
    return exc.message, exc.status if exc.status < 500 else 503


def _overview(
    request: Request,
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    message: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "plans": service.list_plans(uow),
        "services": service.list_services(uow, actor.id),
        "invoices": service.list_invoices(uow, actor.id),
        "payments": service.payment_history(uow, actor.id),
        "cards": service.saved_cards(uow, runtime, actor, actor.id),
        "certificates": service.list_certificates(uow, actor.id),
        "message": message, "pkr": format_pkr,
    }  # fmt: skip
    return render(request, "billing/overview.html", context, status)


@router.get("/billing", response_class=HTMLResponse)
def overview(request: Request, actor: Customer, uow: Uow, runtime: RuntimeDep) -> HTMLResponse:
    return _overview(request, uow, runtime, actor)


@router.post("/billing/order", response_class=HTMLResponse, dependencies=[Csrf])
def order(
    request: Request,
    actor: Customer,
    uow: Uow,
    runtime: RuntimeDep,
    plan: Text,
    quantity: Annotated[int, Form(ge=1, le=1000)] = 1,
) -> Response:
    try:
        placed = service.place_order(uow, runtime, actor, actor.id, plan, quantity)
    except AmanatError as exc:
        return _overview(request, uow, runtime, actor, *_refused(uow, exc))
    message = f"Order {placed.order.number} placed; the service is active."
    return _overview(request, uow, runtime, actor, message)


@router.get("/billing/invoices/{invoice_id}", response_class=HTMLResponse)
def invoice_page(
    request: Request, invoice_id: str, actor: Customer, uow: Uow, runtime: RuntimeDep
) -> HTMLResponse:
    document = service.invoice_document(uow, runtime, actor, invoice_id)
    invoice = service.get_invoice(uow, invoice_id, actor.id)
    return render(
        request, "billing/invoice.html", {"doc": document, "invoice": invoice, "pkr": format_pkr}
    )


@router.get("/billing/invoices/{invoice_id}/pdf")
def invoice_pdf(invoice_id: str, actor: Customer, uow: Uow, runtime: RuntimeDep) -> Response:
    document = service.invoice_document(uow, runtime, actor, invoice_id)
    return Response(service.invoice_pdf(document), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{document.number}.pdf"'})  # fmt: skip


@router.post("/billing/invoices/{invoice_id}/pay", dependencies=[Csrf])
def pay(invoice_id: str, actor: Customer, uow: Uow, runtime: RuntimeDep) -> Response:
    started = service.start_card_payment(uow, runtime, actor, invoice_id)
    return redirect(started.url)


@router.post("/billing/certificates", response_class=HTMLResponse, dependencies=[Csrf])
def request_certificate(
    request: Request, actor: Customer, uow: Uow, runtime: RuntimeDep, fiscal_year: Text
) -> Response:
    try:
        cert = service.request_certificate(uow, runtime, actor, actor.id, fiscal_year)
    except AmanatError as exc:
        return _overview(request, uow, runtime, actor, *_refused(uow, exc))
    return _overview(request, uow, runtime, actor, f"Certificate {cert.number} is ready below.")


@router.get("/billing/certificates/{certificate_id}/pdf")
def certificate_pdf(
    certificate_id: str, actor: Customer, uow: Uow, runtime: RuntimeDep
) -> Response:
    cert, pdf = service.certificate_pdf(uow, runtime, actor, certificate_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{cert.number}.pdf"'})  # fmt: skip


@router.get("/verify/{code}", response_class=HTMLResponse)
def verify_page(
    request: Request,
    code: str,
    uow: Uow,
    runtime: RuntimeDep,
    billed: str | None = None,
    tax: str | None = None,
) -> HTMLResponse:
    """Public: anyone holding a certificate checks it. Amounts are typed in rupees."""
    claimed: dict[str, str | None] = {"billed": None, "tax": None, "hash": None}
    try:
        if billed:
            claimed["billed"] = str(service.parse_rupees(billed))
        if tax:
            claimed["tax"] = str(service.parse_rupees(tax))
    except ValueError as exc:
        raise Invalid(str(exc), fields={"amount": str(exc)}) from exc
    client = request.client.host if request.client else "unknown"
    result = service.verify_certificate(uow, runtime, code, client, claimed)
    status = 200 if result["genuine"] or result.get("number") is not None else 404
    return render(
        request, "billing/verify.html", {"r": result, "code": code, "pkr": format_pkr}, status
    )


# --- Billing officers in the staff console ---------------------------------------------


def _console(
    request: Request, uow: UnitOfWork, actor: Actor, message: str | None = None, status: int = 200
) -> HTMLResponse:
    context: dict[str, object] = {
        "queue": service.reconciliation_queue(uow),
        "message": message,
        "pkr": format_pkr,
        "role": actor.role,
    }
    return render(request, "billing/staff.html", context, status)


@router.get("/staff/billing", response_class=HTMLResponse)
def console(request: Request, actor: Staff, uow: Uow) -> HTMLResponse:
    return _console(request, uow, actor)


@router.post("/staff/billing/payments", response_class=HTMLResponse, dependencies=[Csrf])
def record_payment(
    request: Request,
    actor: Staff,
    uow: Uow,
    runtime: RuntimeDep,
    invoice: Text,
    method: Text,
    amount: Text,
    external_reference: Text = "",
) -> HTMLResponse:
    try:
        paisa = service.parse_rupees(amount)
        service.record_payment(
            uow, runtime, actor, invoice.strip(), method, paisa, external_reference
        )
    except ValueError as exc:
        uow.rollback()
        return _console(request, uow, actor, str(exc), 422)
    except AmanatError as exc:
        return _console(request, uow, actor, *_refused(uow, exc))
    return _console(
        request, uow, actor, f"Payment of {format_pkr(paisa)} recorded against {invoice.strip()}."
    )


@router.post("/staff/billing/statements", response_class=HTMLResponse, dependencies=[Csrf])
def import_statement(
    request: Request,
    actor: Staff,
    uow: Uow,
    runtime: RuntimeDep,
    source: Text,
    csv: Annotated[str, Form(max_length=2_000_000)],
) -> HTMLResponse:
    try:
        report = service.import_statement(uow, runtime, actor, source, csv)
    except AmanatError as exc:
        return _console(request, uow, actor, *_refused(uow, exc))
    return _console(
        request,
        uow,
        actor,
        f"{report.lines} lines: {report.matched} matched, {report.queued} queued, {report.skipped} already imported.",
    )


@router.post(
    "/staff/billing/reconciliation/{line_id}", response_class=HTMLResponse, dependencies=[Csrf]
)
def resolve(
    request: Request, line_id: str, actor: Staff, uow: Uow, runtime: RuntimeDep, invoice: Text
) -> HTMLResponse:
    try:
        service.resolve_statement_line(uow, runtime, actor, line_id, invoice)
    except AmanatError as exc:
        return _console(request, uow, actor, *_refused(uow, exc))
    return _console(request, uow, actor, "Matched.")
