"""Issuing invoices and credit notes (purpose ``billing``), immutable once issued.

An invoice stores its lines with the rates and table rows used, and a snapshot of the
customer's billing details (name, company, address, CNIC, NTN) encrypted as
``billing.record``: what the PDF and the portal show later comes from these, never
from today's customer record. Corrections are credit notes with their own gapless
series.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from amanat.access.actor import Actor
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.billing import arithmetic
from amanat.billing.arithmetic import Charge, TaxedLine
from amanat.billing.common import (
    PARTY_READS,
    SeriesCounter,
    document_number,
    get_customer,
    next_number,
    payment_reference,
    read_party,
)
from amanat.billing.context import billing_context
from amanat.billing.fiscal import FiscalYear
from amanat.billing.models import Invoice, InvoiceLine, Plan, Service, TaxProfile, UsageRecord
from amanat.billing.money import days_in_month, prorate_dates
from amanat.billing.tax import KINDS, Kind
from amanat.billing.taxprofile import read_profile, status_on
from amanat.core.errors import Conflict, Invalid, NotFound
from amanat.customers.models import Customer
from amanat.db.base import new_id
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

T = "billing_invoices"
RUN_READS = PARTY_READS | {"billing.record", "tax.profile", "usage.record", "contact.email"}


@dataclass(frozen=True)
class PeriodServices:
    """A customer's services that overlap a period, with their plans and usage."""

    services: list[tuple[Service, Plan]]
    usage: dict[str, int]


@dataclass
class Batch:
    """What the run loads once for a batch of customers (a few queries, not one each)."""

    services: dict[str, PeriodServices]
    customers: dict[str, Customer]
    profiles: dict[str, TaxProfile]
    billed: set[str]
    numbers: SeriesCounter
    lines: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Issued:
    invoice: Invoice
    email: str | None


def load_batch(
    uow: UnitOfWork, customer_ids: list[str], first: date, last: date, period: str, fy: FiscalYear
) -> Batch:
    keys = [f"{c}:{period}" for c in customer_ids]
    return Batch(
        services=services_in_period(uow, customer_ids, first, last, period),
        customers={
            c.id: c
            for c in uow.session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))
        },
        profiles={
            p.customer_id: p
            for p in uow.session.scalars(
                select(TaxProfile).where(TaxProfile.customer_id.in_(customer_ids))
            )
        },
        billed=set(uow.session.scalars(select(Invoice.run_key).where(Invoice.run_key.in_(keys)))),
        numbers=SeriesCounter(uow, "INV", fy),
    )


def services_in_period(
    uow: UnitOfWork, customer_ids: list[str], first: date, last: date, period: str
) -> dict[str, PeriodServices]:
    """Batch-load what the run needs for many customers in two queries."""
    rows = uow.session.execute(
        select(Service, Plan).join(Plan, Plan.id == Service.plan_id).where(
            Service.customer_id.in_(customer_ids), Service.starts_on.is_not(None),
            Service.starts_on <= last,
            (Service.ends_on.is_(None)) | (Service.ends_on >= first),
        ).order_by(Service.created_at, Service.id)
    ).all()  # fmt: skip
    usage_rows = uow.session.execute(
        select(UsageRecord.service_id, func.sum(UsageRecord.quantity))
        .where(UsageRecord.customer_id.in_(customer_ids), UsageRecord.period == period)
        .group_by(UsageRecord.service_id)
    ).all()  # fmt: skip
    usage = {sid: int(total) for sid, total in usage_rows}
    result: dict[str, PeriodServices] = {}
    for service, plan in rows:
        result.setdefault(service.customer_id, PeriodServices([], usage)).services.append(
            (service, plan)
        )
    return result


def _kind(plan: Plan) -> Kind:
    if plan.kind not in KINDS:
        raise Invalid(f"The plan {plan.code} has an unknown kind of supply.")
    return plan.kind


def _charges(access: Any, found: PeriodServices, year: int, month: int) -> list[Charge]:
    first = date(year, month, 1)
    last = date(year, month, days_in_month(year, month))
    charges: list[Charge] = []
    for service, plan in found.services:
        raw = access.read(
            "billing_services", "site_ct", service.id, "billing.record", service.site_ct
        )
        jurisdiction = str(json.loads(raw or "{}").get("province", ""))
        assert service.starts_on is not None
        start, end = max(service.starts_on, first), min(service.ends_on or last, last)
        label = plan.name if service.quantity == 1 else f"{plan.name} × {service.quantity}"
        if plan.monthly_paisa:
            amount = prorate_dates(
                plan.monthly_paisa * service.quantity,
                year,
                month,
                service.starts_on,
                service.ends_on or last,
            )
            whole = start == first and end == last
            when = f"{first:%b %Y}" if whole else f"{start:%d %b}–{end:%d %b %Y}"
            charges.append(
                Charge(
                    f"{label}, {when}",
                    _kind(plan),
                    jurisdiction,
                    amount,
                    service.id,
                    service.quantity,
                )
            )
        if plan.one_time_paisa and not service.one_time_billed:
            charges.append(
                Charge(
                    f"{plan.name} (one-time)",
                    _kind(plan),
                    jurisdiction,
                    plan.one_time_paisa * service.quantity,
                    service.id,
                    service.quantity,
                )
            )
            service.one_time_billed = True
        if plan.metered:
            used = found.usage.get(service.id, 0)
            extra = max(0, used - plan.included_units * service.quantity)
            if extra:
                charges.append(
                    Charge(
                        f"{plan.name}: {extra} {plan.unit} over the included {plan.included_units * service.quantity}",
                        _kind(plan),
                        jurisdiction,
                        extra * plan.unit_paisa,
                        service.id,
                        extra,
                    )
                )
    return charges


def _line_rows(invoice_id: str, lines: list[TaxedLine]) -> list[dict[str, Any]]:
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


def _store(
    uow: UnitOfWork,
    invoice: Invoice,
    lines: list[TaxedLine],
    pending: list[dict[str, Any]] | None = None,
) -> None:
    """Add the invoice; its lines go in one multi-row INSERT (now, or with the batch's)."""
    uow.session.add(invoice)
    rows = _line_rows(invoice.id, lines)
    if pending is not None:
        pending.extend(rows)
        return
    uow.session.flush()
    uow.session.execute(insert(InvoiceLine), rows)


def flush_lines(uow: UnitOfWork, pending: list[dict[str, Any]]) -> None:
    """Write a batch's invoice lines (after their invoices), in one executemany."""
    if pending:
        uow.session.flush()
        uow.session.execute(insert(InvoiceLine), pending)
        pending.clear()


def issue_period_invoice(
    uow: UnitOfWork,
    runtime: Runtime,
    customer_id: str,
    year: int,
    month: int,
    issue_day: date,
    batch: Batch,
) -> Issued | None:
    """Issue the customer's invoice for a period (the billing run's job actor).

    Returns None when nothing is billable or the period is already billed (the run is
    idempotent: ``run_key`` is unique, and ``batch`` was loaded under the run's lock). Records
    billing.invoice_issued. Raises NoRateInForce when the tax table lacks a row.
    """
    period = f"{year:04d}-{month:02d}"
    run_key = f"{customer_id}:{period}"
    found = batch.services.get(customer_id)
    if run_key in batch.billed or found is None:
        return None
    actor = Actor.system("billing_run")
    access = runtime.guard.open(
        uow, actor, customer_id, "billing", reads=RUN_READS, writes={"billing.record"}
    )
    charges = _charges(access, found, year, month)
    if not charges:
        return None
    context = billing_context(runtime)
    status = status_on(read_profile(uow, access, customer_id, batch.profiles), issue_day)
    lines = arithmetic.price(context.tax_table, charges, status, issue_day)
    totals = arithmetic.totals(lines)
    customer = batch.customers.get(customer_id) or get_customer(uow, customer_id)
    fy = FiscalYear.of(issue_day)
    number = batch.numbers.next()
    invoice = Invoice(
        id=new_id(), customer_id=customer_id, kind="invoice",
        number=document_number("INV", fy, number), fiscal_year=fy.label, period=period,
        run_key=run_key, issue_date=issue_day,
        due_date=issue_day + timedelta(days=context.config.billing_due_days), status="issued",
        net_paisa=totals.net_paisa, sales_tax_paisa=totals.sales_tax_paisa,
        advance_tax_paisa=totals.advance_tax_paisa, total_paisa=totals.total_paisa,
        paid_paisa=0, credited_paisa=0, payment_reference=payment_reference("invoice", fy, number),
        created_at=runtime.clock.now(), reminders_sent=0,
    )  # fmt: skip
    snapshot = read_party(access, customer) | {"tax_status": status}
    invoice.snapshot_ct = access.write(
        T, "snapshot_ct", invoice.id, "billing.record", json.dumps(snapshot)
    )
    _store(uow, invoice, lines, batch.lines)
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.BILLING_INVOICE_ISSUED, actor, customer_id=customer_id,
        purpose="billing", reference=invoice.number,
        details={"invoice": invoice.id, "period": period, "lines": len(lines)},
    )  # fmt: skip
    batch.billed.add(run_key)
    email = access.read("customers", "email_ct", customer.id, "contact.email", customer.email_ct)
    return Issued(invoice, email)


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
