"""F-16: a billing reference authorises a read only while its matter is open.

An invoice is open while unpaid (overdue included) and for thirty days after it was
paid; its payment reference and the payment's id follow it. One old invoice number no
longer opens a customer's billing data for ever (docs/security.md, "What makes a
reference live").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from amanat.app import create_app
from amanat.billing import catalogue, orders
from amanat.billing.catalogue import DEMO_CATALOGUE
from amanat.billing.models import Invoice
from amanat.billing.run import run_billing
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.core.actor import Actor
from amanat.core.clock import FixedClock
from amanat.runtime import Runtime
from tests.factories.accounts import create_customer, create_staff

START = datetime(2025, 8, 10, 7, 0, tzinfo=UTC)


@pytest.fixture
def setup(settings: Settings) -> Iterator[tuple[Runtime, FixedClock]]:
    from amanat.install import initialise

    clock = FixedClock(START)
    runtime = build_runtime(settings, clock=clock)
    initialise(runtime)
    with runtime.uow() as uow:
        catalogue.ensure_plans(uow, runtime, DEMO_CATALOGUE)
        uow.commit()
    try:
        yield runtime, clock
    finally:
        runtime.close()


def test_an_old_paid_invoice_number_no_longer_authorises_a_billing_read(
    setup: tuple[Runtime, FixedClock],
) -> None:
    runtime, clock = setup
    customer = create_customer(runtime, email="liveness@example.pk")
    with runtime.uow() as uow:
        orders.place_order(uow, runtime, Actor.customer(customer), customer, "fibre-50", 1)
        uow.commit()
    clock.advance(timedelta(days=25))
    assert run_billing(runtime, "2025-08").issued == 1
    with runtime.uow() as uow:
        invoice = uow.session.scalars(select(Invoice).where(Invoice.customer_id == customer)).one()
        number, payment_reference, total = (
            invoice.number,
            invoice.payment_reference,
            invoice.total_paisa,
        )
    officer = create_staff(runtime, "billing_officer")
    token = {"Authorization": f"Bearer {officer.api_token}"}

    def read(reference: str) -> int:
        headers = {**token, "X-Access-Purpose": "billing", "X-Access-Reference": reference}
        return web.get(f"/api/v1/customers/{customer}", headers=headers).status_code

    with TestClient(create_app(runtime), base_url="https://testserver") as web:
        assert read(number) == 200  # unpaid: the matter is open
        paid = web.post(
            "/api/v1/billing/payments",
            json={"invoice": number, "method": "bank_transfer", "amount_paisa": total},
            headers=token,
        )
        assert paid.status_code == 201, paid.text
        payment_id = paid.json()["id"]
        clock.advance(timedelta(days=29))
        # Within the window after payment (a refund, a late statement line): still open.
        assert (read(number), read(payment_reference), read(payment_id)) == (200, 200, 200)
        clock.advance(timedelta(days=2))
        # Paid and settled more than thirty days ago: closed, by any of its numbers.
        assert (read(number), read(payment_reference), read(payment_id)) == (403, 403, 403)
        refused = web.get(
            f"/api/v1/customers/{customer}",
            headers={**token, "X-Access-Purpose": "billing", "X-Access-Reference": number},
        )
        assert "not an open invoice of this customer" in refused.json()["message"]
