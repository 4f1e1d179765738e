"""Overdue handling (a job): reminders on configured days, suspension after the grace period.

Days count from the due date, in Pakistan's calendar. Reminders are mailed through the
outbox; suspension goes through the provisioner. Payment reactivates (payments.py).
Running the job twice on the same day does nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.billing import orders
from amanat.billing.fiscal import business_date
from amanat.billing.models import Invoice, Service
from amanat.billing.money import format_pkr
from amanat.core.actor import Actor
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

JOB = Actor.system("overdue")


@dataclass
class OverdueReport:
    reminded: int = 0
    suspended: int = 0


def run_overdue(uow: UnitOfWork, runtime: Runtime) -> OverdueReport:
    """Send due reminders and suspend services past the grace period.

    Caller: `amanat billing overdue` (daily). Records billing.invoice_reminded and
    billing.service_suspended; mail is queued, sent after the caller commits.
    """
    from amanat.comms.service import queue_mail

    config = runtime.settings.billing
    steps = sorted(config.reminder_days)
    today = business_date(runtime.clock.now())
    report = OverdueReport()
    overdue = uow.session.scalars(
        select(Invoice).where(
            Invoice.kind == "invoice", Invoice.status == "issued", Invoice.due_date < today
        ).order_by(Invoice.due_date)
    ).all()  # fmt: skip
    late_customers: set[str] = set()
    for invoice in overdue:
        if invoice.balance_paisa <= 0:
            continue
        late = (today - invoice.due_date).days
        if invoice.reminders_sent < len(steps) and late >= steps[invoice.reminders_sent]:
            invoice.reminders_sent += 1
            queue_mail(
                uow, runtime, customer_id=invoice.customer_id, kind="invoice_reminder",
                subject=f"Reminder: invoice {invoice.number} is overdue",
                body=(f"Invoice {invoice.number} ({format_pkr(invoice.balance_paisa)} left to pay) was due "
                      f"on {invoice.due_date.isoformat()}. Services are suspended "
                      f"{config.grace_days} days after the due date.\n"
                      f"Payment reference: {invoice.payment_reference}\n"),
                purpose="service_updates", actor=JOB,
            )  # fmt: skip
            audit.record(
                uow, runtime.clock, Event.BILLING_INVOICE_REMINDED, JOB, customer_id=invoice.customer_id,
                purpose="billing", reference=invoice.number,
                details={"invoice": invoice.id, "reminder": invoice.reminders_sent},
            )  # fmt: skip
            report.reminded += 1
        if late >= config.grace_days:
            late_customers.add(invoice.customer_id)
    for customer_id in sorted(late_customers):
        active = uow.session.scalars(
            select(Service.id).where(Service.customer_id == customer_id, Service.status == "active")
        ).all()
        for service_id in active:
            orders.suspend_service(uow, runtime, JOB, service_id, "overdue")
            report.suspended += 1
    return report
