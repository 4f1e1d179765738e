"""The billing run: `amanat billing run --period YYYY-MM` (a job; it owns its transactions).

Billing is in arrears: a period can be billed once it has ended, and every service is
charged for the days of the period it was active (prorated). The run walks the
customers with such services in batches; each batch is one transaction that first takes
the period's run lock (a row locked FOR UPDATE on PostgreSQL; SQLite's single writer),
then skips customers already billed for the period. Two runs at once therefore queue on
the lock and the second finds everything billed: nothing is billed twice, and invoice
numbers stay gapless because a number is taken in the same transaction as its invoice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.billing.context import billing_context
from amanat.billing.fiscal import FiscalYear, business_date, parse_period
from amanat.billing.models import DocumentCounter, Service
from amanat.billing.money import days_in_month, format_pkr
from amanat.billing.run_batch import (
    RUN_ACTOR,
    Issued,
    issue_period_invoice,
    load_batch,
    write_batch,
)
from amanat.comms.service import Mail, queue_mails
from amanat.core.errors import Invalid
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.vault.holds import hold_owner

BATCH = 250


@dataclass
class RunReport:
    period: str
    customers: int = 0
    issued: int = 0
    already_billed: int = 0
    nothing_to_bill: int = 0


def _lock_period(uow: UnitOfWork, period: str) -> None:
    query = (
        select(DocumentCounter)
        .where(DocumentCounter.series == "RUN", DocumentCounter.fiscal_year == period)
        .with_for_update()
    )
    if uow.session.scalar(query) is None:
        try:
            with uow.session.begin_nested():
                uow.session.add(DocumentCounter(series="RUN", fiscal_year=period, last_number=0))
        except IntegrityError:
            pass
        uow.session.scalar(query)


def period_bounds(runtime: Runtime, period: str) -> tuple[int, int, date, date]:
    try:
        year, month = parse_period(period)
    except ValueError as exc:
        raise Invalid(str(exc), fields={"period": str(exc)}) from exc
    first, last = date(year, month, 1), date(year, month, days_in_month(year, month))
    today = business_date(runtime.clock.now())
    if last >= today:
        raise Invalid(
            f"The period {period} has not ended; bill it from {last + timedelta(days=1)} on.",
            fields={"period": "Choose a month that has ended."},
        )
    return year, month, first, last


def _invoice_mail(runtime: Runtime, invoice: Issued) -> Mail:
    base = runtime.settings.resolved_public_url
    subject = f"Your invoice {invoice.number} for {invoice.period}"
    body = (
        f"Your invoice {invoice.number} for {invoice.period} is ready.\n\n"
        f"Total: {format_pkr(invoice.total_paisa)} (incl. sales tax "
        f"{format_pkr(invoice.sales_tax_paisa)} and advance income tax "
        f"{format_pkr(invoice.advance_tax_paisa)}), due {invoice.due_date.isoformat()}.\n"
        f"Payment reference for bank transfer or bill payment: {invoice.payment_reference}\n\n"
        f"See and pay it at {base}/billing/invoices/{invoice.id}\n"
    )
    return Mail(invoice.customer_id, invoice.email or "", subject, body)


def run_billing(
    runtime: Runtime,
    period: str,
    *,
    notify: bool = True,
    batch_size: int = BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> RunReport:
    """Bill every customer with services in ``period``; safe to repeat and to race.

    Caller: `amanat billing run` (and the scheduler). Records, per invoice,
    access.granted (purpose billing), billing.invoice_issued and, when ``notify``,
    access.granted (service_updates) and comms.queued for its e-mail in the outbox;
    billing.run_completed at the end. Each batch is one transaction whose audit events
    are appended under one chain lock (amanat.audit.service.batch). Raises Invalid for
    a malformed or unfinished period and NoRateInForce when the tax table has no row
    for something billed.
    """
    year, month, first, last = period_bounds(runtime, period)
    report = RunReport(period=period)
    with runtime.uow() as uow:
        customers = list(
            uow.session.scalars(
                select(Service.customer_id).distinct()
                .where(Service.starts_on.is_not(None), Service.starts_on <= last,
                       (Service.ends_on.is_(None)) | (Service.ends_on >= first))
                .order_by(Service.customer_id)
            )
        )  # fmt: skip
    report.customers = len(customers)
    issue_day = business_date(runtime.clock.now())
    context = billing_context(runtime)
    for start in range(0, len(customers), batch_size):
        chunk = customers[start : start + batch_size]
        # One key-store query for the batch's ordinary and legal-hold keys, instead of
        # a cold look-up per customer and key.
        runtime.vault.warm([*chunk, *(hold_owner(c) for c in chunk)])
        with runtime.uow() as uow:
            with audit.batch(uow):
                _lock_period(uow, period)
                batch = load_batch(
                    uow, chunk, first, last, period, FiscalYear.of(issue_day), context,
                    runtime.settings.billing.due_days,
                )  # fmt: skip
                mails: list[Mail] = []
                for customer_id in chunk:
                    if f"{customer_id}:{period}" in batch.billed:
                        report.already_billed += 1
                        continue
                    issued = issue_period_invoice(
                        uow, runtime, customer_id, year, month, issue_day, batch
                    )
                    if issued is None:
                        report.nothing_to_bill += 1
                        continue
                    report.issued += 1
                    if notify and issued.email:
                        mails.append(_invoice_mail(runtime, issued))
                write_batch(uow, batch)
                queue_mails(uow, runtime, mails, kind="invoice", actor=RUN_ACTOR)
            uow.commit()
        if progress is not None:
            progress(min(start + batch_size, len(customers)), len(customers))
    with runtime.uow() as uow:
        audit.record(
            uow, runtime.clock, Event.BILLING_RUN_COMPLETED, RUN_ACTOR,
            details={"period": period, "issued": report.issued,
                     "already_billed": report.already_billed, "customers": report.customers},
        )  # fmt: skip
        uow.commit()
    return report
