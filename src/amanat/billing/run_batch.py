"""One batch of the billing run: load in a few queries, price, write in a few statements.

The run (amanat.billing.run) calls ``load_batch`` under the period's run lock, then
``issue_period_invoice`` for each customer of the batch, then ``write_batch``. What is
loaded are plain rows (Core), not ORM objects; what is written goes in one multi-row
INSERT per table. The guard still decides each customer: one ``billing`` access per
customer, and every issued invoice records its own billing.invoice_issued event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, func, insert, select, update

from amanat.access.guard import Access
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.billing import arithmetic
from amanat.billing.arithmetic import Charge
from amanat.billing.common import (
    PARTY_READS,
    SeriesCounter,
    document_number,
    get_customer,
    payment_reference,
)
from amanat.billing.context import BillingContext
from amanat.billing.fiscal import FiscalYear
from amanat.billing.invoicing import line_rows
from amanat.billing.models import Invoice, InvoiceLine, Plan, Service, TaxProfile, UsageRecord
from amanat.billing.money import days_in_month, prorate_dates
from amanat.billing.tax import KINDS, Kind
from amanat.billing.taxprofile import read_profile, status_on
from amanat.core.actor import Actor
from amanat.core.errors import Invalid
from amanat.customers import service as customers
from amanat.customers.schemas import SealedCustomer
from amanat.db.base import new_id
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

T = "billing_invoices"
RUN_READS = PARTY_READS | {"billing.record", "tax.profile", "usage.record", "contact.email"}
RUN_ACTOR = Actor.system("billing_run")
_INVOICES = cast(Table, Invoice.__table__)
_LINES = cast(Table, InvoiceLine.__table__)
_SERVICES = cast(Table, Service.__table__)
# The Core rows the batch loads (attribute access by column name).
ServiceRow = Row[str, str, str, int, date | None, date | None, bool, bytes]
_MARK_ONE_TIME_BILLED = (
    update(_SERVICES).where(_SERVICES.c.id == bindparam("service_id")).values(one_time_billed=True)
)


@dataclass(frozen=True, slots=True)
class PlanTerms:
    """What the run prices by: a plan's terms, read once per batch (not ORM objects)."""

    code: str
    name: str
    kind: Kind
    monthly_paisa: int
    one_time_paisa: int
    metered: bool
    unit: str | None
    unit_paisa: int
    included_units: int


@dataclass
class Batch:
    """What the run loads once for a batch of customers, and what it will write."""

    services: dict[str, list[tuple[ServiceRow, PlanTerms]]]
    usage: dict[str, int]
    customers: dict[str, SealedCustomer]
    profiles: dict[str, bytes]
    billed: set[str]
    numbers: SeriesCounter
    context: BillingContext
    due_days: int
    invoices: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    one_time_billed: list[str] = field(default_factory=list)
    labels: dict[tuple[date, date], str] = field(default_factory=dict)


@dataclass(frozen=True)
class Issued:
    """What the invoice mail needs of an issued invoice (the row itself is in the batch)."""

    id: str
    customer_id: str
    number: str
    period: str
    net_paisa: int
    sales_tax_paisa: int
    advance_tax_paisa: int
    total_paisa: int
    due_date: date
    payment_reference: str
    email: str | None


def load_batch(
    uow: UnitOfWork,
    customer_ids: list[str],
    first: date,
    last: date,
    period: str,
    fy: FiscalYear,
    context: BillingContext,
    due_days: int,
) -> Batch:
    """Load services, plans, usage, customers, tax profiles and billed keys: six queries."""
    session = uow.session
    rows = session.execute(
        select(
            Service.id, Service.customer_id, Service.plan_id, Service.quantity,
            Service.starts_on, Service.ends_on, Service.one_time_billed, Service.site_ct,
        ).where(
            Service.customer_id.in_(customer_ids), Service.starts_on.is_not(None),
            Service.starts_on <= last,
            (Service.ends_on.is_(None)) | (Service.ends_on >= first),
        ).order_by(Service.created_at, Service.id)
    ).all()  # fmt: skip
    plan_ids = {row.plan_id for row in rows}
    plans = {
        p.id: PlanTerms(
            p.code, p.name, _kind(p), p.monthly_paisa, p.one_time_paisa, p.metered, p.unit,
            p.unit_paisa, p.included_units,
        )
        for p in session.scalars(select(Plan).where(Plan.id.in_(plan_ids)))
    }  # fmt: skip
    services: dict[str, list[tuple[ServiceRow, PlanTerms]]] = {}
    for row in rows:
        services.setdefault(row.customer_id, []).append((row, plans[row.plan_id]))
    usage_rows = session.execute(
        select(UsageRecord.service_id, func.sum(UsageRecord.quantity))
        .where(UsageRecord.customer_id.in_(customer_ids), UsageRecord.period == period)
        .group_by(UsageRecord.service_id)
    ).all()  # fmt: skip
    profiles = session.execute(
        select(TaxProfile.customer_id, TaxProfile.profile_ct).where(
            TaxProfile.customer_id.in_(customer_ids)
        )
    ).all()
    keys = [f"{c}:{period}" for c in customer_ids]
    return Batch(
        services=services,
        usage={sid: int(total) for sid, total in usage_rows},
        customers=customers.load_sealed(uow, customer_ids),
        profiles={row.customer_id: row.profile_ct for row in profiles},
        billed=set(session.scalars(select(Invoice.run_key).where(Invoice.run_key.in_(keys)))),
        numbers=SeriesCounter(uow, "INV", fy),
        context=context,
        due_days=due_days,
    )


def _kind(plan: Plan) -> Kind:
    if plan.kind not in KINDS:
        raise Invalid(f"The plan {plan.code} has an unknown kind of supply.")
    return plan.kind


def _days(batch: Batch, start: date, end: date) -> str:
    """``05 Aug–31 Aug 2025``; remembered, as most services share a few start dates."""
    key = (start, end)
    text = batch.labels.get(key)
    if text is None:
        text = batch.labels[key] = f"{start:%d %b}–{end:%d %b %Y}"
    return text


def _charges(access: Access, batch: Batch, customer_id: str, year: int, month: int) -> list[Charge]:
    first = date(year, month, 1)
    last = date(year, month, days_in_month(year, month))
    whole_month = f"{first:%b %Y}"
    charges: list[Charge] = []
    for service, plan in batch.services.get(customer_id, []):
        sid, _, _, quantity, starts_on, ends_on, one_time_billed, site_ct = service
        assert starts_on is not None  # the query selects started services only
        raw = access.read("billing_services", "site_ct", sid, "billing.record", site_ct)
        jurisdiction = str(json.loads(raw or "{}").get("province", ""))
        start, end = max(starts_on, first), min(ends_on or last, last)
        label = plan.name if quantity == 1 else f"{plan.name} × {quantity}"
        kind = plan.kind
        if plan.monthly_paisa:
            amount = prorate_dates(
                plan.monthly_paisa * quantity, year, month, starts_on, ends_on or last
            )
            when = whole_month if start == first and end == last else _days(batch, start, end)
            charges.append(Charge(f"{label}, {when}", kind, jurisdiction, amount, sid, quantity))
        if plan.one_time_paisa and not one_time_billed:
            charges.append(
                Charge(
                    f"{plan.name} (one-time)", kind, jurisdiction,
                    plan.one_time_paisa * quantity, sid, quantity,
                )
            )  # fmt: skip
            batch.one_time_billed.append(sid)
        if plan.metered:
            used = batch.usage.get(sid, 0)
            included = plan.included_units * quantity
            extra = max(0, used - included)
            if extra:
                charges.append(
                    Charge(
                        f"{plan.name}: {extra} {plan.unit} over the included {included}",
                        kind, jurisdiction, extra * plan.unit_paisa, sid, extra,
                    )
                )  # fmt: skip
    return charges


def issue_period_invoice(
    uow: UnitOfWork,
    runtime: Runtime,
    customer_id: str,
    year: int,
    month: int,
    issue_day: date,
    batch: Batch,
) -> Issued | None:
    """Issue the customer's invoice for a period into ``batch`` (the billing run's actor).

    Returns None when nothing is billable or the period is already billed (the run is
    idempotent: ``run_key`` is unique, and ``batch`` was loaded under the run's lock).
    Opens one ``billing`` access for the customer and records billing.invoice_issued;
    the rows are written by ``write_batch``. Raises NoRateInForce when the tax table
    lacks a row, AccessDenied if the policy no longer lets the run bill.
    """
    period = f"{year:04d}-{month:02d}"
    run_key = f"{customer_id}:{period}"
    if run_key in batch.billed or customer_id not in batch.services:
        return None
    customer = batch.customers.get(customer_id) or get_customer(uow, customer_id)
    access = runtime.guard.open(
        uow, RUN_ACTOR, customer_id, "billing", reads=RUN_READS, writes={"billing.record"}
    )
    charges = _charges(access, batch, customer_id, year, month)
    if not charges:
        return None
    context = batch.context
    profile = read_profile(uow, access, customer_id, batch.profiles)
    status = status_on(profile, issue_day)
    lines = arithmetic.price(context.tax_table, charges, status, issue_day)
    totals = arithmetic.totals(lines)
    fy = FiscalYear.of(issue_day)
    sequence = batch.numbers.next()
    invoice_id, number = new_id(), document_number("INV", fy, sequence)
    reference = payment_reference("invoice", fy, sequence)
    due = issue_day + timedelta(days=batch.due_days)
    snapshot = customers.read_party(access, customer) | {"tax_status": status}
    batch.invoices.append({
        "id": invoice_id, "customer_id": customer_id, "kind": "invoice", "number": number,
        "fiscal_year": fy.label, "period": period, "run_key": run_key, "issue_date": issue_day,
        "due_date": due, "status": "issued", "net_paisa": totals.net_paisa,
        "sales_tax_paisa": totals.sales_tax_paisa, "advance_tax_paisa": totals.advance_tax_paisa,
        "total_paisa": totals.total_paisa, "paid_paisa": 0, "credited_paisa": 0,
        "payment_reference": reference, "credits_invoice_id": None,
        "created_at": runtime.clock.now(), "paid_at": None, "reminders_sent": 0,
        "snapshot_ct": access.write(
            T, "snapshot_ct", invoice_id, "billing.record", json.dumps(snapshot)
        ),
    })  # fmt: skip
    batch.lines.extend(line_rows(invoice_id, lines))
    audit.record(
        uow, runtime.clock, Event.BILLING_INVOICE_ISSUED, RUN_ACTOR, customer_id=customer_id,
        purpose="billing", reference=number,
        details={"invoice": invoice_id, "period": period, "lines": len(lines)},
    )  # fmt: skip
    batch.billed.add(run_key)
    email = customers.read_text(access, customer, "email")
    return Issued(
        invoice_id, customer_id, number, period, totals.net_paisa, totals.sales_tax_paisa,
        totals.advance_tax_paisa, totals.total_paisa, due, reference, email,
    )  # fmt: skip


def write_batch(uow: UnitOfWork, batch: Batch) -> None:
    """Insert the batch's invoices, then their lines; mark one-time charges billed.

    One multi-row INSERT per table on the unit of work's connection; the invoice
    counter (locked since the batch's first number) is flushed with the session.
    """
    conn = uow.session.connection()
    if batch.invoices:
        conn.execute(insert(_INVOICES), batch.invoices)
    if batch.lines:
        conn.execute(insert(_LINES), batch.lines)
    if batch.one_time_billed:
        conn.execute(_MARK_ONE_TIME_BILLED, [{"service_id": s} for s in batch.one_time_billed])
    uow.session.flush()
    batch.invoices, batch.lines, batch.one_time_billed = [], [], []
