"""Bad input to billing answers 4xx with one sentence and writes nothing (no 500s).

Each test replays one request the penetration test (issue 10, F-07) saw answered 500,
and the /verify throttle's missing Retry-After.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amanat.app import create_app
from amanat.billing import catalogue, orders
from amanat.billing.catalogue import DEMO_CATALOGUE
from amanat.billing.context import BillingContext, set_billing_context
from amanat.billing.models import Invoice, Payment, StatementLine, TaxProfile
from amanat.billing.processor import HttpProcessor
from amanat.billing.provisioner import RecordingProvisioner
from amanat.billing.run import run_billing
from amanat.billing.tax import load_tax_table
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.core.actor import Actor
from amanat.core.clock import FixedClock
from amanat.runtime import Runtime
from tests.factories.accounts import StaffHandle, create_customer, create_staff

START = datetime(2025, 8, 10, 7, 0, tzinfo=UTC)
SECRET = "whsec_bad_input_tests"


@dataclass
class World:
    runtime: Runtime
    clock: FixedClock
    customer: str
    invoice_number: str
    officer: StaffHandle


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    from amanat.install import initialise

    clock = FixedClock(START)
    runtime = build_runtime(settings, clock=clock)
    initialise(runtime)
    set_billing_context(
        runtime,
        BillingContext(load_tax_table(),
                       HttpProcessor("http://127.0.0.1:9", "sk_bad_input", SECRET), RecordingProvisioner()),
    )  # fmt: skip
    try:
        with runtime.uow() as uow:
            catalogue.ensure_plans(uow, runtime, DEMO_CATALOGUE)
            uow.commit()
        customer = create_customer(runtime)
        with runtime.uow() as uow:
            orders.place_order(uow, runtime, Actor.customer(customer), customer, "fibre-50", 1)
            uow.commit()
        clock.advance(timedelta(days=25))
        run_billing(runtime, "2025-08")
        with runtime.uow() as uow:
            number = uow.session.scalars(
                select(Invoice.number).where(Invoice.customer_id == customer)
            ).one()
        yield World(runtime, clock, customer, number, create_staff(runtime, "billing_officer"))
    finally:
        runtime.close()


def _web(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime), base_url="https://testserver")


def _count(runtime: Runtime, model: type) -> int:
    with runtime.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _one_sentence(message: str) -> None:
    assert message[0].isupper() and message.endswith("."), message
    assert "Traceback" not in message and "Something went wrong" not in message


def test_verify_with_an_exponent_amount_is_refused_with_a_sentence(world: World) -> None:
    with _web(world.runtime) as public:
        page = public.get("/verify/ABCD-EFGH-JKLM", params={"billed": "1e30"})
        assert page.status_code == 422
        assert "rupees" in page.text
        api = public.get(
            "/verify/ABCD-EFGH-JKLM", params={"tax": "1e30"}, headers={"accept": "application/json"}
        )
        assert api.status_code == 422
        _one_sentence(api.json()["message"])


def test_a_webhook_signature_with_non_ascii_bytes_is_refused_not_a_500(world: World) -> None:
    with _web(world.runtime) as processor:
        answer = processor.post(
            "/api/v1/payments/webhook",
            content=b'{"id": "evt_1", "type": "payment.succeeded", "data": {}}',
            headers={"psp-signature": "t=1754809200,v1=\u00e9\u00ff".encode("latin-1")},
        )
    assert answer.status_code == 400
    _one_sentence(answer.json()["message"])


def test_an_unknown_tax_profile_field_is_refused_with_a_sentence(world: World) -> None:
    with _web(world.runtime) as officer:
        answer = officer.put(
            f"/api/v1/billing/customers/{world.customer}/tax-profile",
            json={"changes": {"filer_status": "inactive", "not_a_field": True}},
            headers={
                "authorization": f"Bearer {world.officer.api_token}",
                "x-access-reference": world.invoice_number,
            },
        )
    assert answer.status_code == 422, answer.text
    _one_sentence(answer.json()["message"])
    assert "filer_status" in answer.json()["message"]  # names the fields there are
    assert _count(world.runtime, TaxProfile) == 0  # nothing half-written


@pytest.mark.parametrize("amount", ["1e30", "100000000000000000000", "NaN"])
def test_a_statement_amount_out_of_range_refuses_the_whole_file(world: World, amount: str) -> None:
    statement = (
        "date,amount,reference,transaction_id\n"
        "2025-09-03,100.00,UNKNOWN-1,TX-1\n"
        f"2025-09-03,{amount},UNKNOWN-2,TX-2\n"
    )
    with _web(world.runtime) as officer:
        answer = officer.post(
            "/api/v1/billing/statements",
            json={"source": "bank", "csv": statement},
            headers={"authorization": f"Bearer {world.officer.api_token}"},
        )
    assert answer.status_code == 422, answer.text
    assert answer.json()["message"].startswith("Line 3: ")
    assert _count(world.runtime, StatementLine) == 0


def test_a_statement_with_a_short_line_names_the_line(world: World) -> None:
    with _web(world.runtime) as officer:
        answer = officer.post(
            "/api/v1/billing/statements",
            json={"source": "bank", "csv": "date,amount,reference,transaction_id\n2025-09-03\n"},
            headers={"authorization": f"Bearer {world.officer.api_token}"},
        )
    assert answer.status_code == 422, answer.text
    assert answer.json()["message"].startswith("Line 2: ")


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def _staff_sign_in(client: TestClient, world: World) -> str:
    login = client.get("/staff/login")
    client.post(
        "/staff/login",
        data={"csrf_token": _csrf(login.text), "email": world.officer.email,
              "password": world.officer.password},
    )  # fmt: skip
    world.clock.advance(timedelta(seconds=30))
    mfa = client.get("/staff/login/mfa")
    client.post(
        "/staff/login/mfa",
        data={"csrf_token": _csrf(mfa.text), "code": world.officer.totp_now(world.runtime)},
    )
    desk = client.get("/staff/billing")
    assert desk.status_code == 200
    return _csrf(desk.text)


def test_the_console_refuses_huge_amounts_in_payments_and_statements(world: World) -> None:
    with _web(world.runtime) as console:
        csrf = _staff_sign_in(console, world)
        payment = console.post(
            "/staff/billing/payments",
            data={"invoice": world.invoice_number, "method": "cash", "amount": "1e30",
                  "csrf_token": csrf},
        )  # fmt: skip
        assert payment.status_code == 422
        assert "rupees" in payment.text
        statement = console.post(
            "/staff/billing/statements",
            data={"source": "bank", "csrf_token": csrf,
                  "csv": "date,amount,reference,transaction_id\n2025-09-03,1e30,X,TX-9\n"},
        )  # fmt: skip
        assert statement.status_code == 422
        assert "Line 2" in statement.text
    assert _count(world.runtime, Payment) == 0
    assert _count(world.runtime, StatementLine) == 0


def test_the_verify_throttle_says_when_to_retry(world: World) -> None:
    with _web(world.runtime) as public:
        answers = [public.get("/verify/ABCD-EFGH-JKLM") for _ in range(31)]
    assert [a.status_code for a in answers[:30]] == [404] * 30
    refused = answers[30]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60


def test_forged_webhooks_are_counted_not_audited_one_by_one_for_ever(world: World) -> None:
    """Forgeries cost nothing to send: past ten refusals a minute from one network, one
    ``rate_limited`` record stands for the rest, which are answered 429 with Retry-After."""
    from amanat.audit.models import AuditEvent

    def refusals() -> list[str]:
        with world.runtime.uow() as uow:
            rows = uow.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.code == "billing.webhook_rejected")
                .order_by(AuditEvent.seq)
            ).all()
            return [json.loads(r.details)["reason"] for r in rows]

    before = len(refusals())
    forged = {"psp-signature": f"t={int(START.timestamp())},v1={'0' * 64}"}
    with _web(world.runtime) as attacker:
        answers = [
            attacker.post("/api/v1/payments/webhook", content=b"{}", headers=forged)
            for _ in range(25)
        ]
    assert [a.status_code for a in answers[:10]] == [400] * 10
    assert {a.status_code for a in answers[10:]} == {429}
    assert all(1 <= int(a.headers["retry-after"]) <= 60 for a in answers[10:])
    _one_sentence(answers[-1].json()["message"])
    recorded = refusals()[before:]
    assert recorded == ["signature_bad"] * 10 + ["rate_limited"]
    # A new minute, a new window: the next forgery is recorded again.
    world.clock.advance(timedelta(minutes=1))
    with _web(world.runtime) as attacker:
        assert (
            attacker.post("/api/v1/payments/webhook", content=b"{}", headers=forged).status_code
            == 400
        )
    assert refusals()[before:] == ["signature_bad"] * 10 + ["rate_limited", "signature_bad"]
