"""The guard's reference checkers for billing: invoices (and payments) and orders.

A billing officer acting for ``billing`` names an invoice number, a payment reference or
a payment id of that customer; a provisioning engineer names an order number of theirs
whose service has not ended. A reference authorises only while its matter is open
(docs/security.md, "What makes a reference live"):

- an invoice (or its payment reference) while it is unpaid, overdue included, and for
  ``AFTER_SETTLEMENT`` after it was paid (a refund, a late statement line, a query about
  the payment); a credit note while the invoice it corrects is live, or for the same
  window after it was issued;
- a payment id while its invoice is live, or for the same window after the payment;
- an order while its service has not been terminated.

Read-only; never raises on malformed input.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from amanat.billing.models import Invoice, Order, Payment, Service

AFTER_SETTLEMENT = timedelta(days=30)


def invoice_is_live(session: Session, customer_id: str, reference: str, now: datetime) -> bool:
    """True for an open invoice or credit note number, payment reference or payment id of
    theirs at ``now``."""
    invoice = session.scalar(
        select(Invoice).where(
            Invoice.customer_id == customer_id,
            (Invoice.number == reference) | (Invoice.payment_reference == reference),
        )
    )
    if invoice is not None:
        return _open(session, invoice, now)
    payment = session.scalar(
        select(Payment).where(Payment.customer_id == customer_id, Payment.id == reference)
    )
    if payment is None:
        return False
    if now - payment.created_at <= AFTER_SETTLEMENT:
        return True
    paid = session.get(Invoice, payment.invoice_id)
    return paid is not None and _open(session, paid, now)


def _open(session: Session, invoice: Invoice, now: datetime) -> bool:
    if invoice.kind == "credit_note":
        if now - invoice.created_at <= AFTER_SETTLEMENT:
            return True
        corrected = (
            session.get(Invoice, invoice.credits_invoice_id) if invoice.credits_invoice_id else None
        )
        return (
            corrected is not None
            and corrected.kind != "credit_note"
            and (_open(session, corrected, now))
        )
    if invoice.status != "paid":
        return True  # issued and unpaid, overdue or not
    # Paid by a credit note rather than money has no payment time: its issue stands in.
    settled = invoice.paid_at or invoice.created_at
    return now - settled <= AFTER_SETTLEMENT


def order_is_live(session: Session, customer_id: str, reference: str, now: datetime) -> bool:
    """True for an order number of theirs whose service has not been terminated."""
    del now  # an order is open for as long as its service runs
    row = session.execute(
        select(Order.id, Service.status)
        .join(Service, Service.id == Order.service_id, isouter=True)
        .where(Order.customer_id == customer_id, Order.number == reference)
    ).first()
    return row is not None and row[1] != "terminated"
