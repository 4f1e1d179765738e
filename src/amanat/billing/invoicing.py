"""Issuing invoices and credit notes (purpose ``billing``), immutable once issued.

An invoice stores its lines with the rates and table rows used, and a snapshot of the
customer's billing details (name, company, address, CNIC, NTN) encrypted as
``billing.record``: what the PDF and the portal show later comes from these, never
from today's customer record. Corrections are credit notes with their own gapless
series.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.billing import arithmetic
from amanat.billing.arithmetic import TaxedLine
from amanat.billing.common import (
    document_number,
    next_number,
    payment_reference,
)
from amanat.billing.fiscal import FiscalYear
from amanat.billing.models import Invoice, InvoiceLine
from amanat.core.actor import Actor
from amanat.core.errors import Conflict, Invalid, NotFound
from amanat.db.base import new_id
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

T = "billing_invoices"


def line_rows(invoice_id: str, lines: list[TaxedLine]) -> list[dict[str, Any]]:
    return [
        {
            "id": new_id(), "invoice_id": invoice_id, "position": position,
            "service_id": line.service_id, "description": line.description[:200],
            "kind": line.kind, "quantity": line.quantity, "net_paisa": line.net_paisa,
            "sales_tax_row": line.sales_tax_row, "sales_tax_rate": str(line.sales_tax_rate),
            "sales_tax_paisa": line.sales_tax_paisa, "advance_tax_row": line.advance_tax_row,
            "advance_tax_rate": str(line.advance_tax_rate),
            "advance_tax_base": line.advance_tax_base,
            "advance_tax_base_paisa": line.advance_tax_base_paisa,
            "advance_tax_paisa": line.advance_tax_paisa, "total_paisa": line.total_paisa,
        }
        for position, line in enumerate(lines, start=1)
    ]  # fmt: skip


def _store(uow: UnitOfWork, invoice: Invoice, lines: list[TaxedLine]) -> None:
    """Add the invoice; its lines go in one multi-row INSERT."""
    uow.session.add(invoice)
    rows = line_rows(invoice.id, lines)
    uow.session.flush()
    uow.session.execute(insert(InvoiceLine), rows)


def invoice_lines(uow: UnitOfWork, invoice_id: str) -> list[InvoiceLine]:
    return list(
        uow.session.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == invoice_id)
            .order_by(InvoiceLine.position)
        )
    )


def get_invoice(uow: UnitOfWork, invoice_id: str, customer_id: str | None = None) -> Invoice:
    invoice = uow.session.get(Invoice, invoice_id)
    if invoice is None or (customer_id is not None and invoice.customer_id != customer_id):
        raise NotFound("There is no such invoice.")
    return invoice


def find_invoice(uow: UnitOfWork, number_or_id: str) -> Invoice:
    invoice = uow.session.scalar(
        select(Invoice).where((Invoice.number == number_or_id) | (Invoice.id == number_or_id))
    )
    if invoice is None:
        raise NotFound("There is no invoice with that number.")
    return invoice


def list_invoices(uow: UnitOfWork, customer_id: str) -> list[Invoice]:
    return list(
        uow.session.scalars(
            select(Invoice).where(Invoice.customer_id == customer_id)
            .order_by(Invoice.issue_date.desc(), Invoice.number.desc())
        )
    )  # fmt: skip


def _taxed(line: InvoiceLine) -> TaxedLine:
    from decimal import Decimal

    return TaxedLine(
        description=line.description, kind=line.kind, jurisdiction="",  # type: ignore[arg-type]  # stored kinds come from KINDS
        net_paisa=line.net_paisa, sales_tax_row=line.sales_tax_row,
        sales_tax_rate=Decimal(line.sales_tax_rate), sales_tax_paisa=line.sales_tax_paisa,
        advance_tax_row=line.advance_tax_row, advance_tax_rate=Decimal(line.advance_tax_rate),
        advance_tax_base_paisa=line.advance_tax_base_paisa, advance_tax_paisa=line.advance_tax_paisa,
        advance_tax_base=line.advance_tax_base, service_id=line.service_id, quantity=line.quantity,
    )  # fmt: skip


def issue_credit_note(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    invoice_id: str,
    amounts: dict[int, int | None],
    reference: str | None = None,
) -> Invoice:
    """Correct an issued invoice with a credit note (billing officer, purpose ``billing``).

    ``amounts`` maps line positions to the net paisa to credit (None: the whole line).
    The credit uses the invoice's own rates and snapshot. Records
    billing.credit_note_issued. Raises NotFound, Invalid (unknown line, too much),
    Conflict (crediting a credit note).
    """
    original = get_invoice(uow, invoice_id)
    if original.kind != "invoice":
        raise Conflict("A credit note cannot itself be credited.")
    access = runtime.guard.open(
        uow, actor, original.customer_id, "billing", reads={"billing.record"},
        writes={"billing.record"}, reference=reference or original.number,
    )  # fmt: skip
    by_position = {line.position: line for line in invoice_lines(uow, original.id)}
    if not amounts or not set(amounts) <= set(by_position):
        raise Invalid(
            "Name the invoice lines to credit by their position.", fields={"lines": "Unknown line."}
        )
    try:
        lines = [arithmetic.credit(_taxed(by_position[p]), amounts[p]) for p in sorted(amounts)]
    except ValueError as exc:
        raise Invalid(str(exc), fields={"lines": str(exc)}) from exc
    totals = arithmetic.totals(lines)
    if original.credited_paisa - totals.total_paisa > original.total_paisa:
        raise Invalid("Credits would exceed the invoice's total.", fields={"lines": "Too much."})
    issue_day = runtime.clock.now().date()
    fy = FiscalYear.of(issue_day)
    number = next_number(uow, "CN", fy)
    note = Invoice(
        id=new_id(), customer_id=original.customer_id, kind="credit_note",
        number=document_number("CN", fy, number), fiscal_year=fy.label, period=original.period,
        run_key=None, issue_date=issue_day, due_date=issue_day, status="issued",
        net_paisa=totals.net_paisa, sales_tax_paisa=totals.sales_tax_paisa,
        advance_tax_paisa=totals.advance_tax_paisa, total_paisa=totals.total_paisa,
        paid_paisa=0, credited_paisa=0, payment_reference=payment_reference("credit_note", fy, number),
        credits_invoice_id=original.id, created_at=runtime.clock.now(), reminders_sent=0,
    )  # fmt: skip
    snapshot = access.read(T, "snapshot_ct", original.id, "billing.record", original.snapshot_ct)
    note.snapshot_ct = access.write(T, "snapshot_ct", note.id, "billing.record", snapshot or "{}")
    _store(uow, note, lines)
    original.credited_paisa -= totals.total_paisa
    if original.balance_paisa <= 0 and original.status == "issued":
        original.status = "paid"
        original.paid_at = runtime.clock.now()
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.BILLING_CREDIT_NOTE_ISSUED, actor,
        customer_id=original.customer_id, purpose="billing", reference=note.number,
        details={"invoice": original.id, "credit_note": note.id, "lines": sorted(amounts)},
    )  # fmt: skip
    return note
