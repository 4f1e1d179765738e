"""Payments (purpose ``billing``): cards through the processor's hosted page and webhooks,
payments recorded by billing officers, refunds, and each customer's payment history.

Amanat never sees a card number. It keeps, of a card, only what the processor's webhook
reports: token, brand, last four digits, expiry month and year (``billing.payment_token``,
encrypted). Every webhook is applied at most once, keyed by its event id; events that
arrive late (a ``pending`` after the ``succeeded``) never move a payment backwards.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.billing import orders, windows
from amanat.billing.context import billing_context
from amanat.billing.fiscal import business_date
from amanat.billing.invoicing import find_invoice, get_invoice
from amanat.billing.models import Invoice, Payment, PaymentCard, Refund, Service, WebhookEvent
from amanat.billing.processor import ProcessorEvent, WebhookRejected
from amanat.core.actor import Actor
from amanat.core.errors import (
    AmanatError,
    Conflict,
    Invalid,
    NotFound,
    TooManyRequests,
    Unavailable,
)
from amanat.db.base import new_id
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

METHODS = ("bank_transfer", "bill_payment", "cash")
EVENT_TYPES = ("payment.pending", "payment.succeeded", "payment.failed", "refund.succeeded")
BRANDS = ("visa", "mastercard", "amex", "discover", "jcb", "unionpay", "diners", "unknown")
WEBHOOK_ACTOR = Actor.system("payments")
_WEBHOOKS = cast(Table, WebhookEvent.__table__)
# Claim an event id: one statement, no savepoint; a concurrent copy waits for this row
# (its transaction's outcome) and then inserts nothing.
_CLAIM_PG = (
    pg_insert(_WEBHOOKS)
    .on_conflict_do_nothing(index_elements=["event_id"])
    .returning(_WEBHOOKS.c.event_id)
)
_CLAIM_SQLITE = (
    sqlite_insert(_WEBHOOKS)
    .on_conflict_do_nothing(index_elements=["event_id"])
    .returning(_WEBHOOKS.c.event_id)
)
_SET_OUTCOME = (
    update(_WEBHOOKS)
    .where(_WEBHOOKS.c.event_id == bindparam("event"))
    .values(outcome=bindparam("result"))
)
# Built once: constructing these per webhook cost more than running them.
_PAYMENT_BY_SESSION = (
    select(Payment, Invoice)
    .join(Invoice, Invoice.id == Payment.invoice_id)
    .where(Payment.processor_session == bindparam("session"))
)
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


REFUSALS_AUDITED = 10  # refused webhooks per network per minute recorded one by one


def _refuse(
    uow: UnitOfWork, runtime: Runtime, client_key: str, refused: WebhookRejected
) -> AmanatError:
    """Undo the caller's work, then record the refusal in a transaction of its own.

    The caller's transaction is rolled back first: nothing of a refused webhook is
    applied, and (on SQLite) its write lock is released for the refusal's record.
    Forgeries cost an attacker nothing, so they are counted per network per minute:
    the first REFUSALS_AUDITED are recorded one by one, then one ``rate_limited`` record
    stands for the rest of the minute, which are answered 429 with Retry-After.
    """
    uow.rollback()
    now = runtime.clock.now()
    with UnitOfWork(runtime.session_factory) as own:
        seen = windows.count(own, runtime, "webhook", client_key, now)
        if seen <= REFUSALS_AUDITED + 1:
            reason = refused.reason if seen <= REFUSALS_AUDITED else "rate_limited"
            audit.record(
                own, runtime.clock, Event.BILLING_WEBHOOK_REJECTED, WEBHOOK_ACTOR,
                outcome="denied", details={"reason": reason},
            )  # fmt: skip
        own.commit()
    if seen > REFUSALS_AUDITED:
        return TooManyRequests(
            "Too many refused webhooks from your network; wait a minute and try again.",
            retry_after=windows.seconds_left(now),
        )
    return refused


def handle_webhook(
    uow: UnitOfWork, runtime: Runtime, headers: dict[str, str], body: bytes, client_key: str
) -> str:
    """Verify and apply one processor event; returns "applied", "ignored" or "duplicate".

    Caller: the webhook endpoint (Amanat's payments job acts). Records
    billing.webhook_applied (and billing.payment_received / payment_failed /
    invoice_paid / refund_issued as they happen); a refused webhook records
    billing.webhook_rejected and raises WebhookRejected (bad or missing signature, stale
    timestamp, unknown event type or payment, mismatched amount or reference), or
    TooManyRequests past the per-network limit on refusals (``_refuse``).
    """
    processor = billing_context(runtime).processor
    if processor is None:
        raise Unavailable("Card payments are not set up; no webhooks are accepted.")
    try:
        return _apply_event(
            uow, runtime, processor.parse_webhook(headers, body, runtime.clock.now())
        )
    except WebhookRejected as refused:
        raise _refuse(uow, runtime, client_key, refused) from refused


def _apply_event(uow: UnitOfWork, runtime: Runtime, event: ProcessorEvent) -> str:
    if event.type not in EVENT_TYPES:
        raise WebhookRejected(
            f"Amanat does not handle '{event.type[:40]}' events.", "unknown_event"
        )
    event_id = event.id[:64]
    conn = uow.session.connection()
    claim = _CLAIM_PG if conn.dialect.name == "postgresql" else _CLAIM_SQLITE
    claimed = conn.execute(
        claim,
        {"event_id": event_id, "type": event.type, "received_at": runtime.clock.now(),
         "outcome": "applying"},
    )  # fmt: skip
    if claimed.first() is None:
        # Applied before, or being applied by a copy delivered at the same moment (whose
        # row this INSERT waited for): either way that copy applies it, not this one.
        return "duplicate"
    with audit.batch(uow):  # this event's audit records: one chain lock, one INSERT
        if event.type == "refund.succeeded":
            outcome = _apply_refund(uow, runtime, event.data)
        else:
            outcome = _apply_payment(uow, runtime, event.type, event.data)
        conn.execute(_SET_OUTCOME, {"event": event_id, "result": outcome})
        audit.record(
            uow, runtime.clock, Event.BILLING_WEBHOOK_APPLIED, WEBHOOK_ACTOR,
            details={"event": event_id, "type": event.type, "outcome": outcome},
        )  # fmt: skip
    return outcome


def _apply_payment(uow: UnitOfWork, runtime: Runtime, kind: str, data: dict[str, Any]) -> str:
    found = uow.session.execute(_PAYMENT_BY_SESSION, {"session": str(data.get("session"))}).first()
    if found is None:
        raise WebhookRejected(
            "The webhook names a payment Amanat did not start.", "unknown_payment"
        )
    payment, invoice = found
    if (
        data.get("amount") != payment.amount_paisa
        or data.get("currency") != "PKR"
        or data.get("reference") != payment.invoice_id
    ):
        raise WebhookRejected(
            "The webhook's amount or reference does not match the payment.", "amount_mismatch"
        )
    if kind == "payment.pending":
        if payment.status == "initiated":
            payment.status = "pending"
            return "applied"
        return "ignored"  # a late 'pending' never undoes an outcome
    if payment.status in ("succeeded",):
        return "ignored"
    if kind == "payment.failed":
        if payment.status == "failed":
            return "ignored"
        payment.status = "failed"
        audit.record(
            uow, runtime.clock, Event.BILLING_PAYMENT_FAILED, WEBHOOK_ACTOR, customer_id=payment.customer_id,
            purpose="billing", reference=invoice.number,
            details={"payment": payment.id, "reason": str(data.get("failure_reason") or "")[:40]},
        )  # fmt: skip
        return "applied"
    payment.status = "succeeded"
    payment.processor_payment = str(data.get("payment"))[:64]
    payment.settled_at = runtime.clock.now()
    _keep_card(uow, runtime, payment, data.get("card"), invoice)
    audit.record(
        uow, runtime.clock, Event.BILLING_PAYMENT_RECEIVED, WEBHOOK_ACTOR, customer_id=payment.customer_id,
        purpose="billing", reference=invoice.number, details={"payment": payment.id, "method": "card"},
    )  # fmt: skip
    _settle(uow, runtime, invoice, payment.amount_paisa)
    return "applied"


def _keep_card(
    uow: UnitOfWork, runtime: Runtime, payment: Payment, card: Any, invoice: Invoice
) -> None:
    """Keep token, brand, last four and expiry; anything else the processor sent is dropped."""
    if not isinstance(card, dict):
        return
    kept = {
        "token": str(card.get("token", ""))[:64],
        "brand": card.get("brand") if card.get("brand") in BRANDS else "unknown",
        "last4": str(card.get("last4", ""))
        if re.fullmatch(r"\d{4}", str(card.get("last4", "")))
        else "",
        "exp_month": int(card.get("exp_month") or 0),
        "exp_year": int(card.get("exp_year") or 0),
    }
    if not kept["token"]:
        return
    access = runtime.guard.open(
        uow, WEBHOOK_ACTOR, payment.customer_id, "billing", writes={"billing.payment_token"},
        reference=invoice.number,
    )  # fmt: skip
    row = PaymentCard(
        id=new_id(), customer_id=payment.customer_id, created_at=runtime.clock.now(), card_ct=b""
    )
    row.card_ct = access.write(
        "billing_cards", "card_ct", row.id, "billing.payment_token", json.dumps(kept)
    )
    uow.session.add(row)


def _settle(uow: UnitOfWork, runtime: Runtime, invoice: Invoice, amount: int) -> None:
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


def _apply_refund(uow: UnitOfWork, runtime: Runtime, data: dict[str, Any]) -> str:
    payment = uow.session.scalar(
        select(Payment).where(Payment.processor_payment == str(data.get("payment")))
    )
    if payment is None:
        raise WebhookRejected("The refund names a payment Amanat does not know.", "unknown_payment")
    amount = data.get("amount")
    if (
        not isinstance(amount, int)
        or amount <= 0
        or payment.refunded_paisa + amount > payment.amount_paisa
    ):
        raise WebhookRejected("The refund's amount does not fit the payment.", "amount_mismatch")
    refund = uow.session.scalar(
        select(Refund).where(Refund.processor_refund == str(data.get("refund")))
    )
    if refund is None:
        refund = Refund(id=new_id(), customer_id=payment.customer_id, payment_id=payment.id, amount_paisa=amount,
                        status="pending", processor_refund=str(data.get("refund"))[:64], created_at=runtime.clock.now())  # fmt: skip
        uow.session.add(refund)
    if refund.status == "succeeded":
        return "ignored"
    refund.status = "succeeded"
    _refunded(uow, runtime, payment, amount, WEBHOOK_ACTOR)
    return "applied"


def _refunded(
    uow: UnitOfWork, runtime: Runtime, payment: Payment, amount: int, actor: Actor
) -> None:
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
    _settle(uow, runtime, invoice, amount_paisa)
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
        _refunded(uow, runtime, payment, amount_paisa, actor)
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
