"""Processor webhooks applied by the service on SQLite and PostgreSQL: once, in order, whole.

Signed bodies go through the real HttpProcessor's verification (no network is needed for
that); the sandbox-over-HTTP path is tests/functional/test_billing_e2e.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from amanat.audit.models import AuditEvent
from amanat.audit.verify import verify_chain
from amanat.billing import catalogue, orders
from amanat.billing.catalogue import DEMO_CATALOGUE
from amanat.billing.context import BillingContext, set_billing_context
from amanat.billing.models import Invoice, Payment, PaymentCard, Service, WebhookEvent
from amanat.billing.processor import HttpProcessor, WebhookRejected
from amanat.billing.provisioner import RecordingProvisioner
from amanat.billing.run import run_billing
from amanat.billing.service import handle_webhook
from amanat.billing.tax import load_tax_table
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.core.actor import Actor
from amanat.core.clock import FixedClock
from amanat.db.base import new_id
from amanat.runtime import Runtime
from amanat.vault.signing import AuditSigner
from tests.factories.accounts import create_customer

SECRET = "whsec_webhook_tests"
ORDER_DAY = datetime(2025, 8, 10, 7, 0, tzinfo=UTC)


@dataclass
class World:
    runtime: Runtime
    clock: FixedClock
    customer: str
    service: str
    invoice: Invoice
    session: str

    def event(self, kind: str, event_id: str | None = None, **data: object) -> bytes:
        body = {
            "session": self.session, "payment": f"pay_{self.session}",
            "reference": self.invoice.id, "amount": self.invoice.total_paisa, "currency": "PKR",
            "card": {"token": "tok_canary", "brand": "visa", "last4": "4242",
                     "exp_month": 12, "exp_year": 2030},
        } | data  # fmt: skip
        return json.dumps({"id": event_id or new_id(), "type": kind, "data": body}).encode()

    def deliver(self, body: bytes) -> str:
        stamp = int(self.clock.now().timestamp())
        mac = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        with self.runtime.uow() as uow:
            outcome = handle_webhook(
                uow, self.runtime, {"PSP-Signature": f"t={stamp},v1={mac}"}, body, "127.0.0.1"
            )
            uow.commit()
        return outcome

    def reload(self) -> tuple[Invoice, Payment]:
        with self.runtime.uow() as uow:
            invoice = uow.session.get(Invoice, self.invoice.id)
            payment = uow.session.scalar(
                select(Payment).where(Payment.processor_session == self.session)
            )
            assert invoice is not None and payment is not None
            uow.session.expunge_all()
            return invoice, payment

    def codes(self) -> list[str]:
        with self.runtime.uow() as uow:
            return list(
                uow.session.scalars(
                    select(AuditEvent.code)
                    .where(AuditEvent.actor_id == "job:payments")
                    .order_by(AuditEvent.seq)
                )
            )


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    from amanat.install import initialise

    clock = FixedClock(ORDER_DAY)
    runtime = build_runtime(settings, clock=clock)
    initialise(runtime)
    set_billing_context(
        runtime,
        BillingContext(load_tax_table(),
                       HttpProcessor("http://127.0.0.1:9", "sk_webhook_tests", SECRET), RecordingProvisioner()),
    )  # fmt: skip
    try:
        with runtime.uow() as uow:
            catalogue.ensure_plans(uow, runtime, DEMO_CATALOGUE)
            uow.commit()
        customer = create_customer(runtime)
        with runtime.uow() as uow:
            placed = orders.place_order(
                uow, runtime, Actor.customer(customer), customer, "fibre-25", 1
            )
            uow.commit()
            service = placed.service.id
        clock.advance(timedelta(days=30))
        run_billing(runtime, "2025-08", notify=False)
        session = f"cs_{new_id()}"
        with runtime.uow() as uow:
            invoice = uow.session.scalars(
                select(Invoice).where(Invoice.customer_id == customer)
            ).one()
            uow.session.add(Payment(id=new_id(), customer_id=customer, invoice_id=invoice.id, method="card",
                                    status="initiated", amount_paisa=invoice.total_paisa, refunded_paisa=0,
                                    processor_session=session, created_at=clock.now()))  # fmt: skip
            uow.commit()
            uow.session.expunge_all()
        yield World(runtime, clock, customer, service, invoice, session)
    finally:
        runtime.close()


def test_a_payment_is_applied_once_and_settles_the_invoice(world: World) -> None:
    body = world.event("payment.succeeded")
    assert world.deliver(body) == "applied"
    assert world.deliver(body) == "duplicate"  # the processor's retry of the same event
    invoice, payment = world.reload()
    assert (payment.status, invoice.status) == ("succeeded", "paid")
    assert invoice.paid_paisa == invoice.total_paisa
    assert world.codes() == [
        "access.granted", "billing.payment_received", "billing.invoice_paid",
        "billing.webhook_applied",
    ]  # fmt: skip
    with world.runtime.uow() as uow:
        (card,) = uow.session.scalars(select(PaymentCard)).all()
        assert b"tok_canary" not in card.card_ct  # kept encrypted
        assert uow.session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
    chain = verify_chain(world.runtime.engine, AuditSigner(world.runtime.vault).verify)
    assert chain.intact, chain


def test_late_and_failed_events_never_move_a_payment_back(world: World) -> None:
    assert world.deliver(world.event("payment.failed", failure_reason="declined")) == "applied"
    assert world.reload()[1].status == "failed"
    assert world.deliver(world.event("payment.succeeded")) == "applied"
    assert world.deliver(world.event("payment.pending")) == "ignored"
    assert world.deliver(world.event("payment.failed")) == "ignored"
    invoice, payment = world.reload()
    assert (payment.status, invoice.status, invoice.paid_paisa) == (
        "succeeded", "paid", invoice.total_paisa,
    )  # fmt: skip


def test_concurrent_deliveries_of_one_event_apply_it_once(world: World) -> None:
    body = world.event("payment.succeeded")
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            outcomes.append(world.deliver(body))
        except BaseException as exc:  # noqa: BLE001 -- surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == ["applied", "duplicate", "duplicate", "duplicate"]
    invoice, _ = world.reload()
    assert invoice.paid_paisa == invoice.total_paisa
    assert world.codes().count("billing.payment_received") == 1


def test_a_mismatched_amount_is_refused_leaving_nothing_half_written(world: World) -> None:
    with pytest.raises(WebhookRejected, match="does not match"):
        world.deliver(world.event("payment.succeeded", amount=1))
    invoice, payment = world.reload()
    assert (payment.status, invoice.status) == ("initiated", "issued")
    with world.runtime.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
        assert uow.session.scalar(select(func.count()).select_from(PaymentCard)) == 0
    assert world.codes() == ["billing.webhook_rejected"]


def test_payment_reactivates_a_service_suspended_for_this_invoice(world: World) -> None:
    with world.runtime.uow() as uow:
        orders.suspend_service(
            uow, world.runtime, Actor.system("overdue"), world.service, "overdue"
        )
        uow.commit()
    assert world.deliver(world.event("payment.succeeded")) == "applied"
    with world.runtime.uow() as uow:
        assert uow.session.get(Service, world.service).status == "active"  # type: ignore[union-attr]
    with world.runtime.uow() as uow:
        codes = set(uow.session.scalars(select(AuditEvent.code)))
    assert "billing.service_reactivated" in codes
