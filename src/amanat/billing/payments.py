"""Payments (purpose ``billing``): cards through the processor's hosted page, payments
recorded by billing officers, refunds, and each customer's payment history.

Amanat never sees a card number: the processor's webhooks (``billing.webhooks``) settle
card payments through ``settle`` and ``refunded`` here, as officers' payments do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.billing import orders
from amanat.billing.context import billing_context
from amanat.billing.fiscal import business_date
from amanat.billing.invoicing import find_invoice, get_invoice
from amanat.billing.models import Invoice, Payment, PaymentCard, Refund, Service
from amanat.core.actor import Actor
from amanat.core.errors import Conflict, Invalid, NotFound, Unavailable
from amanat.db.base import new_id
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

METHODS = ("bank_transfer", "bill_payment", "cash")
WEBHOOK_ACTOR = Actor.system("payments")
# Built once (``settle`` runs per webhook): constructing these cost more than running them.
_SUSPENDED = select(Service.id).where(
    Service.customer_id == bindparam("customer"), Service.status == "suspended"
)
_OVERDUE = (
    select(Invoice.id)
    .where(
        Invoice.customer_id == bindparam("customer"),
        Invoice.kind == "invoice",
        Invoice.status == "issued",
        Invoice.due_date < bindparam("today"),
    )
    .limit(1)
)


@dataclass(frozen=True)
class Started:
    payment_id: str
    url: str


def start_card_payment(uow: UnitOfWork, runtime: Runtime, actor: Actor, invoice_id: str) -> Started:
    """Open a checkout on the processor for the invoice's balance; the payer goes to ``url``.

    Callers: the customer (their own invoice). Records billing.payment_started. Raises
    NotFound, Conflict (nothing to pay), Unavailable (no processor, or it is down).
    """
    invoice = get_invoice(uow, invoice_id, actor.id if actor.kind == "customer" else None)
    if invoice.kind != "invoice" or invoice.balance_paisa <= 0:
        raise Conflict("This invoice has nothing left to pay.")
    processor = billing_context(runtime).processor
    if processor is None:
        raise Unavailable(
            "Card payments are not set up here; pay by bank transfer or bill payment with "
            f"reference {invoice.payment_reference}."
        )
    base = runtime.settings.resolved_public_url
    checkout = processor.create_checkout(
        amount_paisa=invoice.balance_paisa, reference=invoice.id,
        description=f"Invoice {invoice.number}",
        success_url=f"{base}/billing/invoices/{invoice.id}", cancel_url=f"{base}/billing/invoices/{invoice.id}",
    )  # fmt: skip
    payment = Payment(
        id=new_id(), customer_id=invoice.customer_id, invoice_id=invoice.id, method="card",
        status="initiated", amount_paisa=invoice.balance_paisa, refunded_paisa=0,
        processor_session=checkout.session_id, created_at=runtime.clock.now(),
    )  # fmt: skip
    uow.session.add(payment)
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.BILLING_PAYMENT_STARTED, actor, customer_id=invoice.customer_id,
        purpose="billing", reference=invoice.number, details={"payment": payment.id, "invoice": invoice.id},
    )  # fmt: skip
    return Started(payment.id, checkout.url)


def settle(uow: UnitOfWork, runtime: Runtime, invoice: Invoice, amount: int) -> None:
    """Apply money to an invoice; when paid, record it and reactivate suspended services."""
    invoice.paid_paisa += amount
    if invoice.balance_paisa > 0 or invoice.status == "paid":
        return
    invoice.status = "paid"
    invoice.paid_at = runtime.clock.now()
    audit.record(
        uow, runtime.clock, Event.BILLING_INVOICE_PAID, WEBHOOK_ACTOR, customer_id=invoice.customer_id,
        purpose="billing", reference=invoice.number, details={"invoice": invoice.id},
    )  # fmt: skip
    # Most customers have nothing suspended: ask that first (the query flushes this
    # invoice's change, so the overdue question below sees it paid).
    suspended = uow.session.scalars(_SUSPENDED, {"customer": invoice.customer_id}).all()
    if not suspended:
        return
    today = business_date(runtime.clock.now())
    still_overdue = uow.session.scalar(_OVERDUE, {"customer": invoice.customer_id, "today": today})
    if still_overdue is not None:
        return
    for service_id in suspended:
        orders.reactivate_service(uow, runtime, Actor.system("overdue"), service_id)


def refunded(
    uow: UnitOfWork, runtime: Runtime, payment: Payment, amount: int, actor: Actor
) -> None:
    """Take a completed refund off the payment and its invoice (reopened if it was paid)."""
    payment.refunded_paisa += amount
    invoice = get_invoice(uow, payment.invoice_id)
    invoice.paid_paisa -= amount
    if invoice.balance_paisa > 0 and invoice.status == "paid":
        invoice.status = "issued"
        invoice.paid_at = None
    audit.record(
        uow, runtime.clock, Event.BILLING_REFUND_ISSUED, actor, customer_id=payment.customer_id,
        purpose="billing", reference=invoice.number, details={"payment": payment.id},
    )  # fmt: skip


def record_payment(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, invoice_ref: str, method: str,
    amount_paisa: int, external_reference: str,
) -> Payment:  # fmt: skip
    """Record a bank transfer, bill-payment or cash payment (billing officer, or a statement match).

    ``invoice_ref`` is the invoice number or its payment reference. Records
    billing.payment_recorded (and billing.invoice_paid when settled). Raises NotFound,
    Invalid (method, amount), AccessDenied.
    """
    if method not in METHODS:
        raise Invalid("Choose how it was paid.", fields={"method": f"One of {', '.join(METHODS)}."})
    invoice = uow.session.scalar(
        select(Invoice).where(
            (Invoice.number == invoice_ref) | (Invoice.payment_reference == invoice_ref)
        )
    )
    if invoice is None or invoice.kind != "invoice":
        raise NotFound("There is no invoice with that number or payment reference.")
    if not 0 < amount_paisa <= 10**11:
        raise Invalid("The amount must be more than zero.", fields={"amount": "More than zero."})
    access = runtime.guard.open(
        uow,
        actor,
        invoice.customer_id,
        "billing",
        writes={"billing.record"},
        reference=invoice.number,
    )
    payment = Payment(
        id=new_id(), customer_id=invoice.customer_id, invoice_id=invoice.id, method=method,
        status="succeeded", amount_paisa=amount_paisa, refunded_paisa=0,
        created_at=runtime.clock.now(), settled_at=runtime.clock.now(), recorded_by=str(actor)[:64],
    )  # fmt: skip
    details = json.dumps({"reference": external_reference[:64]})
    payment.details_ct = access.write(
        "billing_payments", "details_ct", payment.id, "billing.record", details
    )
    uow.session.add(payment)
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.BILLING_PAYMENT_RECORDED, actor, customer_id=invoice.customer_id,
        purpose="billing", reference=invoice.number, details={"payment": payment.id, "method": method},
    )  # fmt: skip
    settle(uow, runtime, invoice, amount_paisa)
    return payment


def refund_payment(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, payment_id: str, amount_paisa: int
) -> Refund:
    """Refund part or all of a payment (billing officer). Card refunds go through the
    processor and complete on its webhook; others are done at once. Records
    billing.refund_issued when done. Raises NotFound, Invalid, Unavailable."""
    payment = uow.session.get(Payment, payment_id)
    if payment is None or payment.status != "succeeded":
        raise NotFound("There is no completed payment with that id.")
    if not 0 < amount_paisa <= payment.amount_paisa - payment.refunded_paisa:
        raise Invalid(
            "A refund must be more than zero and at most what is left of the payment.",
            fields={"amount": "Too much."},
        )
    invoice = get_invoice(uow, payment.invoice_id)
    runtime.guard.open(
        uow,
        actor,
        payment.customer_id,
        "billing",
        reads={"billing.record"},
        reference=invoice.number,
    )
    refund = Refund(id=new_id(), customer_id=payment.customer_id, payment_id=payment.id, amount_paisa=amount_paisa,
                    status="pending", created_at=runtime.clock.now())  # fmt: skip
    uow.session.add(refund)
    if payment.method == "card":
        processor = billing_context(runtime).processor
        if processor is None or payment.processor_payment is None:
            raise Unavailable(
                "The payment processor is not set up; the card refund cannot be sent."
            )
        refund.processor_refund = processor.refund(
            payment_id=payment.processor_payment, amount_paisa=amount_paisa
        )
    else:
        refund.status = "succeeded"
        refunded(uow, runtime, payment, amount_paisa, actor)
    uow.session.flush()
    return refund


def payment_history(uow: UnitOfWork, customer_id: str) -> list[tuple[Payment, Invoice]]:
    """A customer's payments, newest first, with the invoice each paid (no card details)."""
    rows = uow.session.execute(
        select(Payment, Invoice).join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Payment.customer_id == customer_id).order_by(Payment.created_at.desc())
    ).all()  # fmt: skip
    return [(p, i) for p, i in rows]


def saved_cards(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, customer_id: str
) -> list[dict[str, Any]]:
    """Brand, last four and expiry of the customer's cards (their own view, purpose self)."""
    rows = list(
        uow.session.scalars(select(PaymentCard).where(PaymentCard.customer_id == customer_id))
    )
    if not rows:
        return []
    access = runtime.guard.open(uow, actor, customer_id, "self", reads={"billing.payment_token"})
    cards = []
    for row in rows:
        card = json.loads(
            access.read("billing_cards", "card_ct", row.id, "billing.payment_token", row.card_ct)
            or "{}"
        )
        cards.append({k: card.get(k) for k in ("brand", "last4", "exp_month", "exp_year")})
    return cards


def invoice_by_reference(uow: UnitOfWork, reference: str) -> Invoice:
    return find_invoice(uow, reference)
