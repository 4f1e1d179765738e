"""The guard's reference checkers for billing: invoices (and payments) and orders.

A billing officer acting for ``billing`` names an invoice number, a payment reference or
a payment id of that customer; a provisioning engineer names an order number of theirs
whose service has not ended. Read-only; never raises on malformed input.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from amanat.billing.models import Invoice, Order, Payment, Service


def invoice_is_live(session: Session, customer_id: str, reference: str) -> bool:
    """True for an invoice or credit note number, payment reference or payment id of theirs."""
    found = session.scalar(
        select(Invoice.id).where(
            Invoice.customer_id == customer_id,
            (Invoice.number == reference) | (Invoice.payment_reference == reference),
        )
    )
    if found is not None:
        return True
    payment = session.scalar(
        select(Payment.id).where(Payment.customer_id == customer_id, Payment.id == reference)
    )
    return payment is not None


def order_is_live(session: Session, customer_id: str, reference: str) -> bool:
    """True for an order number of theirs whose service has not been terminated."""
    row = session.execute(
        select(Order.id, Service.status)
        .join(Service, Service.id == Order.service_id, isouter=True)
        .where(Order.customer_id == customer_id, Order.number == reference)
    ).first()
    return row is not None and row[1] != "terminated"
