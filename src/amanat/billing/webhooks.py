"""Signed webhooks from the payment processor (purpose ``billing``).

Every webhook is applied at most once, keyed by its event id; events that arrive late (a
``pending`` after the ``succeeded``) never move a payment backwards. Of a card, Amanat
keeps only what the webhook reports: token, brand, last four digits, expiry month and
year (``billing.payment_token``, encrypted). Refused webhooks are recorded in a
transaction of their own and counted per network (``_refuse``).
"""

from __future__ import annotations

import json
import re
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.billing import windows
from amanat.billing.context import billing_context
from amanat.billing.models import Invoice, Payment, PaymentCard, Refund, WebhookEvent
from amanat.billing.payments import WEBHOOK_ACTOR, refunded, settle
from amanat.billing.processor import ProcessorEvent, WebhookRejected
from amanat.core.errors import AmanatError, TooManyRequests, Unavailable
from amanat.db.base import new_id
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

EVENT_TYPES = ("payment.pending", "payment.succeeded", "payment.failed", "refund.succeeded")
BRANDS = ("visa", "mastercard", "amex", "discover", "jcb", "unionpay", "diners", "unknown")
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
# Built once: constructing it per webhook cost more than running it.
_PAYMENT_BY_SESSION = (
    select(Payment, Invoice)
    .join(Invoice, Invoice.id == Payment.invoice_id)
    .where(Payment.processor_session == bindparam("session"))
)

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
    settle(uow, runtime, invoice, payment.amount_paisa)
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
    refunded(uow, runtime, payment, amount, WEBHOOK_ACTOR)
    return "applied"
