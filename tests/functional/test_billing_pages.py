"""Billing pages without JavaScript: the customer's portal, the officers' console, /verify."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amanat.app import create_app
from amanat.audit.events import Event
from amanat.audit.models import AuditEvent
from amanat.billing import catalogue
from amanat.billing.catalogue import DEMO_CATALOGUE
from amanat.billing.context import BillingContext, set_billing_context
from amanat.billing.models import Invoice, Order, Service
from amanat.billing.provisioner import RecordingProvisioner, ServiceSpec
from amanat.billing.run import run_billing
from amanat.billing.tax import load_tax_table
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.core.clock import Clock, FixedClock
from amanat.core.errors import Unavailable
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from tests.conftest import SAME_ORIGIN
from tests.factories.accounts import PASSWORD, create_customer, create_staff, signup_data

START = datetime(2025, 8, 10, 7, 0, tzinfo=UTC)


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


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


def _app(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime), base_url="https://testserver", headers=SAME_ORIGIN)


def test_customer_orders_sees_invoice_and_gets_a_certificate_verified(
    setup: tuple[Runtime, FixedClock],
) -> None:
    runtime, clock = setup
    data = signup_data()
    customer = create_customer(runtime, email=data["email"], phone=data["phone"], cnic=data["cnic"])
    officer = create_staff(runtime, "billing_officer")
    with _app(runtime) as web:
        assert web.get("/billing", follow_redirects=False).status_code == 303  # sign in first
        login = web.post("/api/v1/auth/login", json={"email": data["email"], "password": PASSWORD})
        assert login.json()["status"] == "signed_in"
        page = web.get("/billing")
        assert page.status_code == 200
        assert "Order a plan" in page.text
        assert "<script" not in page.text
        refused = web.post(
            "/billing/order", data={"plan": "fibre-50", "quantity": "1", "csrf_token": "x"}
        )
        assert refused.status_code == 403
        ordered = web.post(
            "/billing/order",
            data={"plan": "fibre-50", "quantity": "1", "csrf_token": _csrf(page.text)},
        )
        assert "placed" in ordered.text
        clock.advance(timedelta(days=25))
        assert run_billing(runtime, "2025-08").issued == 1
        with runtime.uow() as uow:
            invoice = uow.session.scalars(
                select(Invoice).where(Invoice.customer_id == customer)
            ).one()
            invoice_id, reference, total = (
                invoice.id,
                invoice.payment_reference,
                invoice.total_paisa,
            )
            number = invoice.number
        # 25 days on, the session has expired: sign in again.
        web.post("/api/v1/auth/login", json={"email": data["email"], "password": PASSWORD})
        listing = web.get("/billing")
        assert number in listing.text
        detail = web.get(f"/billing/invoices/{invoice_id}")
        assert "Pay" in detail.text and reference in detail.text
        assert web.get(f"/billing/invoices/{invoice_id}/pdf").content.startswith(b"%PDF-")
        no_processor = web.post(
            f"/billing/invoices/{invoice_id}/pay", data={"csrf_token": _csrf(detail.text)}
        )
        assert no_processor.status_code == 503
        assert reference in no_processor.text  # says how to pay instead

    with _app(runtime) as console:
        _staff_sign_in(console, runtime, officer, clock)
        desk = console.get("/staff/billing")
        assert desk.status_code == 200
        statement = "date,amount,reference,transaction_id\n2025-09-03,100.00,UNKNOWN-1,TX-1\n"
        imported = console.post(
            "/staff/billing/statements",
            data={"source": "bank", "csv": statement, "csrf_token": _csrf(desk.text)},
        )
        assert "1 queued" in imported.text
        assert "TX-1" in imported.text
        bad = console.post(
            "/staff/billing/payments",
            data={
                "invoice": reference,
                "method": "cash",
                "amount": "abc",
                "csrf_token": _csrf(desk.text),
            },
        )
        assert bad.status_code == 422
        rupees = f"{total // 100}.{total % 100:02d}"
        paid = console.post(
            "/staff/billing/payments",
            data={"invoice": reference, "method": "bank_transfer", "amount": rupees,
                  "external_reference": "HBL-778", "csrf_token": _csrf(desk.text)},
        )  # fmt: skip
        assert "recorded" in paid.text, paid.text

    with _app(runtime) as web:
        web.post("/api/v1/auth/login", json={"email": data["email"], "password": PASSWORD})
        page = web.get("/billing")
        issued = web.post(
            "/billing/certificates", data={"fiscal_year": "2025-26", "csrf_token": _csrf(page.text)}
        )
        assert "is ready" in issued.text
        code = re.search(r'class="mono">([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})<', issued.text).group(
            1
        )  # type: ignore[union-attr]
        nothing = web.post(
            "/billing/certificates", data={"fiscal_year": "2024-25", "csrf_token": _csrf(page.text)}
        )
        assert nothing.status_code == 422 and "No advance tax" in nothing.text
    with _app(runtime) as public:
        verified = public.get(f"/verify/{code}")
        assert verified.status_code == 200 and "genuine" in verified.text
        assert "Canary" not in verified.text and "C. T." in verified.text
        assert public.get("/verify/ZZZZ-ZZZZ-ZZZZ").status_code == 404


def _staff_sign_in(client: TestClient, runtime: Runtime, handle: Any, clock: FixedClock) -> None:
    login = client.get("/staff/login")
    client.post(
        "/staff/login",
        data={"csrf_token": _csrf(login.text), "email": handle.email, "password": PASSWORD},
    )
    clock.advance(timedelta(seconds=30))
    mfa_page = client.get("/staff/login/mfa")
    client.post(
        "/staff/login/mfa",
        data={"csrf_token": _csrf(mfa_page.text), "code": handle.totp_now(runtime)},
    )


class DownController(RecordingProvisioner):
    """A cloud controller that is down: it refuses to create, after the order is written."""

    def create(self, uow: UnitOfWork, clock: Clock, spec: ServiceSpec) -> None:
        raise Unavailable("The cloud controller is not answering; order again in a few minutes.")


def test_an_order_the_controller_refuses_shows_why_and_keeps_nothing(
    setup: tuple[Runtime, FixedClock],
) -> None:
    """The page's unit of work commits after the handler: a refused order must not be
    committed with the page that explains the refusal."""
    runtime, _ = setup
    set_billing_context(runtime, BillingContext(load_tax_table(), None, DownController()))
    data = signup_data()
    customer = create_customer(runtime, email=data["email"], phone=data["phone"], cnic=data["cnic"])
    with _app(runtime) as web:
        web.post("/api/v1/auth/login", json={"email": data["email"], "password": PASSWORD})
        page = web.get("/billing")
        refused = web.post(
            "/billing/order",
            data={"plan": "fibre-50", "quantity": "1", "csrf_token": _csrf(page.text)},
        )
        assert refused.status_code == 503
        assert "not answering" in refused.text and "placed" not in refused.text
    with runtime.uow() as uow:
        for model in (Order, Service):
            count = select(func.count()).select_from(model).where(model.customer_id == customer)
            assert uow.session.scalar(count) == 0
        placed = (
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.code == Event.BILLING_ORDER_PLACED.value)
        )
        assert uow.session.scalar(placed) == 0
