"""Issue 10, F-08 and F-09: the JSON API refuses cross-site writes made with the session
cookie, and no response carrying personal data may be kept by a browser or proxy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from amanat.app import create_app
from amanat.billing import catalogue, certificates, orders, payments
from amanat.billing.catalogue import DEMO_CATALOGUE
from amanat.billing.models import Invoice
from amanat.billing.run import run_billing
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.core.actor import Actor
from amanat.core.clock import FixedClock
from amanat.runtime import Runtime
from tests.factories.accounts import (
    PASSWORD,
    create_customer,
    create_staff,
    customer_api_token,
    signup_data,
)

START = datetime(2025, 8, 10, 7, 0, tzinfo=UTC)
OWN_ORIGIN = "https://127.0.0.1:8443"  # the test settings' public URL
FOREIGN = "https://attacker.example"


@dataclass
class Signed:
    runtime: Runtime
    web: TestClient
    customer: str
    invoice_id: str
    certificate_id: str


@pytest.fixture
def signed(settings: Settings) -> Iterator[Signed]:
    """A customer with a paid invoice and a certificate, signed in with the session cookie."""
    from amanat.install import initialise

    clock = FixedClock(START)
    runtime = build_runtime(settings, clock=clock)
    initialise(runtime)
    data = signup_data()
    try:
        with runtime.uow() as uow:
            catalogue.ensure_plans(uow, runtime, DEMO_CATALOGUE)
            uow.commit()
        customer = create_customer(
            runtime, email=data["email"], phone=data["phone"], cnic=data["cnic"]
        )
        officer = create_staff(runtime, "billing_officer")
        with runtime.uow() as uow:
            orders.place_order(uow, runtime, Actor.customer(customer), customer, "fibre-50", 1)
            uow.commit()
        clock.advance(timedelta(days=25))
        run_billing(runtime, "2025-08")
        with runtime.uow() as uow:
            invoice = uow.session.scalars(
                select(Invoice).where(Invoice.customer_id == customer)
            ).one()
            invoice_id = invoice.id
            payments.record_payment(
                uow, runtime, officer.actor, invoice.number, "cash", invoice.total_paisa, ""
            )
            uow.commit()
        with runtime.uow() as uow:
            cert = certificates.request_certificate(
                uow, runtime, Actor.customer(customer), customer, "2025-26"
            )
            certificate_id = cert.id
            uow.commit()
        with TestClient(create_app(runtime), base_url="https://testserver") as web:
            login = web.post(
                "/api/v1/auth/login", json={"email": data["email"], "password": PASSWORD}
            )
            assert login.json()["status"] == "signed_in"
            yield Signed(runtime, web, customer, invoice_id, certificate_id)
    finally:
        runtime.close()


def _sessions(signed: Signed) -> int:
    answer = signed.web.get("/api/v1/me/sessions")
    assert answer.status_code == 200
    return len(answer.json())


def test_a_cookie_write_from_another_site_is_refused(signed: Signed) -> None:
    web = signed.web
    for headers in (
        {"origin": FOREIGN},
        {"origin": "null"},
        {"origin": FOREIGN, "sec-fetch-site": "same-origin"},  # Origin decides when present
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {},  # neither header: no browser in use sends that
    ):
        refused = web.post("/api/v1/me/mfa/totp", headers=headers)  # body-less
        assert refused.status_code == 403, headers
        assert "another site" in refused.json()["message"]
        refused_delete = web.delete("/api/v1/me/sessions/any", headers=headers)
        assert refused_delete.status_code == 403
    assert _sessions(signed) == 1  # reads are not affected


@pytest.mark.parametrize(
    "headers",
    [{"origin": OWN_ORIGIN}, {"origin": OWN_ORIGIN + "/"}, {"sec-fetch-site": "same-origin"},
     {"sec-fetch-site": "none"}],
)  # fmt: skip
def test_a_cookie_write_from_amanat_itself_works(signed: Signed, headers: dict[str, str]) -> None:
    started = signed.web.post("/api/v1/me/mfa/totp", headers=headers)
    assert started.status_code == 200, started.text
    assert "secret" in started.text or "otpauth" in started.text


def test_bearer_tokens_are_not_affected_by_the_origin(signed: Signed) -> None:
    token = customer_api_token(signed.runtime, signed.customer)
    with TestClient(create_app(signed.runtime), base_url="https://testserver") as script:
        # A body-less write a token may make (second-factor and token changes need a
        # session with a fresh password since F-01, whatever the origin).
        ended = script.post(
            "/api/v1/me/sessions/revoke-others",
            headers={"authorization": f"Bearer {token}", "origin": FOREIGN},
        )
    assert 200 <= ended.status_code < 300, ended.text


def test_responses_with_personal_data_are_not_stored(signed: Signed) -> None:
    web = signed.web
    personal = [
        "/billing",
        f"/billing/invoices/{signed.invoice_id}",
        f"/billing/invoices/{signed.invoice_id}/pdf",
        f"/billing/certificates/{signed.certificate_id}/pdf",
        f"/api/v1/tax-certificates/{signed.certificate_id}",
        "/support",
        "/support/new",
        "/api/v1/me",
        "/api/v1/invoices",
        "/api/v1/tickets",
        "/billing/invoices/no-such-invoice",  # an error page names what was asked for
    ]
    for path in personal:
        answer = web.get(path)
        assert answer.status_code < 500, path
        assert answer.headers.get("cache-control") == "no-store", path
    assert web.get(f"/billing/invoices/{signed.invoice_id}/pdf").content.startswith(b"%PDF-")
    for path in ("/static/amanat.css", "/privacy", "/healthz"):
        answer = web.get(path)
        assert "no-store" not in answer.headers.get("cache-control", ""), path
