"""End to end over real HTTP: Amanat's HTTPS server and the sandbox processor's own process.

Order, bill, pay on the hosted page (webhooks duplicated and out of order), invoice paid,
service active again; a declined card leaves the invoice unpaid; the invoice as PDF; a
certificate that /verify accepts and a changed total that it rejects; forged, stale and
mismatched webhooks refused and audited; no card number anywhere afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from amanat.audit.models import AuditEvent
from amanat.billing import catalogue, orders
from amanat.billing.catalogue import DEMO_CATALOGUE
from amanat.billing.context import BillingContext, set_billing_context
from amanat.billing.models import Invoice, Payment, Service, WebhookEvent
from amanat.billing.processor import HttpProcessor
from amanat.billing.provisioner import RecordingProvisioner
from amanat.billing.run import run_billing
from amanat.billing.tax import load_tax_table
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.core.actor import Actor
from amanat.core.clock import FixedClock
from amanat.runtime import Runtime
from tests.conftest import LiveServer, serving
from tests.factories.accounts import create_customer, customer_api_token
from tests.factories.billing import PSP_API_KEY, PSP_WEBHOOK_SECRET, Psp, sandbox_psp

APPROVED, DECLINED = "4242424242424242", "4000000000000002"


def _order_moment(now: datetime) -> datetime:
    """Noon on the 5th of last month: that month has ended by ``now``."""
    first_of_this = now.replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    return (first_of_this - timedelta(days=1)).replace(day=5)


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> Iterator[tuple[LiveServer, Psp, FixedClock]]:
    from amanat.install import initialise

    real_now = datetime.now(UTC)
    clock = FixedClock(_order_moment(real_now))
    runtime = build_runtime(settings, clock=clock)
    initialise(runtime)
    with runtime.uow() as uow:
        catalogue.ensure_plans(uow, runtime, DEMO_CATALOGUE)
        uow.commit()
    try:
        with serving(runtime) as live, sandbox_psp(
            tmp_path / "psp", f"{live.url}/api/v1/payments/webhook",
            ca_file=settings.cert_path, duplicate=True, reorder=True,
        ) as psp:  # fmt: skip
            set_billing_context(
                runtime,
                BillingContext(
                    tax_table=load_tax_table(),
                    processor=HttpProcessor(psp.url, PSP_API_KEY, PSP_WEBHOOK_SECRET),
                    provisioner=RecordingProvisioner(),
                ),
            )
            yield live, psp, clock
    finally:
        runtime.close()


def _settled(psp: Psp) -> None:
    """Wait until the processor has delivered every event (a liveness guard, not timing)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with psp.client() as c:
            events = c.get("/v1/events").json()
            pending = httpx.get(f"{psp.url}/healthz").json()["pending_webhooks"]
        if pending == 0 and all(any(d["status"] == 200 for d in e["deliveries"]) for e in events):
            return
        time.sleep(0.1)
    raise AssertionError("the processor's webhooks were not all accepted")


def _pay(checkout_url: str, number: str) -> httpx.Response:
    return httpx.post(
        checkout_url, data={"number": number, "exp_month": "12", "exp_year": "2099", "cvc": "123"}
    )


def _signed(body: bytes, at: int, secret: str = PSP_WEBHOOK_SECRET) -> dict[str, str]:
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return {"PSP-Signature": f"t={at},v1={mac}", "Content-Type": "application/json"}


def _raw_database(runtime: Runtime, settings: Settings) -> bytes:
    if settings.database_url is None:
        files = sorted(settings.data_dir.glob("amanat.db*"))
        return b"".join(f.read_bytes() for f in files)
    url = settings.database_url.replace("postgresql+psycopg://", "postgresql://")
    dump = subprocess.run(["pg_dump", url], capture_output=True, check=True)
    return dump.stdout


def test_order_bill_pay_certify_verify(
    world: tuple[LiveServer, Psp, FixedClock], settings: Settings, tmp_path: Path
) -> None:
    live, psp, clock = world
    runtime = live.runtime
    customer = create_customer(runtime)
    token = customer_api_token(runtime, customer)
    auth = {"Authorization": f"Bearer {token}"}
    with live.client(headers=auth) as api:
        plans = api.get("/api/v1/plans").json()
        assert {"fibre-50", "vm-small"} <= {p["code"] for p in plans}
        ordered = api.post("/api/v1/services", json={"plan": "fibre-50", "quantity": 1})
        assert ordered.status_code == 201, ordered.text
        assert ordered.json()["service"]["status"] == "active"
        bad = api.post("/api/v1/services", json={"plan": "no-such-plan"})
        assert bad.status_code == 422
        assert (
            api.post("/api/v1/services", json={"plan": "fibre-50", "quantity": -3}).status_code
            == 422
        )

        clock.advance(datetime.now(UTC) - clock.now())  # to the real present: last month ended
        period = _order_moment(clock.now()).strftime("%Y-%m")
        assert run_billing(runtime, period).issued == 1
        service_id = ordered.json()["service"]["id"]
        with runtime.uow() as uow:  # overdue: the service was suspended before payment
            orders.suspend_service(uow, runtime, Actor.system("overdue"), service_id, "overdue")
            uow.commit()

        (summary,) = api.get("/api/v1/invoices").json()
        invoice_id = summary["id"]
        detail = api.get(f"/api/v1/invoices/{invoice_id}").json()
        assert detail["total_paisa"] == sum(line["total_paisa"] for line in detail["lines"])
        assert detail["customer"]["cnic"].startswith("*****-***")
        pdf = api.get(f"/api/v1/invoices/{invoice_id}", headers={"Accept": "application/pdf"})
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-")

        # A declined card: the invoice stays unpaid.
        declined = api.post(f"/api/v1/invoices/{invoice_id}/pay")
        assert declined.status_code == 200, declined.text
        assert _pay(declined.json()["url"], DECLINED).status_code == 402
        _settled(psp)
        assert api.get(f"/api/v1/invoices/{invoice_id}").json()["status"] == "issued"

        # An approved card: webhooks arrive twice and last-first; paid once, service back.
        approved = api.post(f"/api/v1/invoices/{invoice_id}/pay").json()
        back = _pay(approved["url"], APPROVED)
        assert back.status_code == 303
        assert back.headers["location"].startswith(f"{live.url}/billing/invoices/{invoice_id}")
        _settled(psp)
        paid = api.get(f"/api/v1/invoices/{invoice_id}").json()
        assert (paid["status"], paid["balance_paisa"]) == ("paid", 0)
        assert paid["paid_paisa"] == paid["total_paisa"]
        services = api.get("/api/v1/services").json()
        assert services[0]["status"] == "active"
        history = api.get("/api/v1/payments").json()
        assert sorted(p["status"] for p in history) == ["failed", "succeeded"]

        # Redelivering a processed event changes nothing.
        with psp.client() as c:
            first = c.get("/v1/events").json()[-1]["id"]
            assert c.post(f"/v1/events/{first}/redeliver").status_code == 202
        _settled(psp)
        assert api.get(f"/api/v1/invoices/{invoice_id}").json()["paid_paisa"] == paid["total_paisa"]

        # The advance tax certificate, verified; a changed total is rejected.
        fiscal_year = _fiscal_label(detail["issue_date"])
        cert = api.post("/api/v1/tax-certificates", json={"fiscal_year": fiscal_year})
        assert cert.status_code == 201, cert.text
        c = cert.json()
        assert c["advance_tax_paisa"] == paid["advance_tax_paisa"] > 0
        cert_pdf = api.get(f"/api/v1/tax-certificates/{c['id']}")
        assert cert_pdf.content.startswith(b"%PDF-")
        code = c["verification_code"]
        with live.client() as public:
            genuine = public.get(
                f"/api/v1/verify/{code}",
                params={"billed": c["billed_paisa"], "tax": c["advance_tax_paisa"]},
            ).json()
            forged = public.get(
                f"/api/v1/verify/{code}",
                params={"billed": c["billed_paisa"], "tax": c["advance_tax_paisa"] + 100},
            ).json()
        assert genuine["genuine"] is True
        assert genuine["initials"] == "C. T."
        assert "Canary" not in json.dumps(genuine)
        assert forged["genuine"] is False
        again = api.post("/api/v1/tax-certificates", json={"fiscal_year": fiscal_year}).json()
        assert again["duplicate_of"] == c["number"]
        assert again["number"] != c["number"]
        for year, why in (
            ("2099-00", "fiscal year"),
            ("2099-2100", "YYYY-YY"),
            ("2001-02", "No advance tax"),
        ):
            refused = api.post("/api/v1/tax-certificates", json={"fiscal_year": year})
            assert refused.status_code == 422
            assert why.split()[0].lower() in refused.json()["message"].lower() or why in json.dumps(
                refused.json()
            )

    _bad_webhooks_are_refused(live, runtime, invoice_id)
    _no_card_number_anywhere(runtime, settings, psp, tmp_path)


def _fiscal_label(issue_date: str) -> str:
    day = datetime.fromisoformat(issue_date)
    start = day.year if day.month >= 7 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _bad_webhooks_are_refused(live: LiveServer, runtime: Runtime, invoice_id: str) -> None:
    with runtime.uow() as uow:
        payment = uow.session.scalar(select(Payment).where(Payment.status == "succeeded"))
        assert payment is not None
        session_id, amount = payment.processor_session, payment.amount_paisa
    now = int(time.time())

    def event(kind: str, amount_paisa: int) -> bytes:
        data: dict[str, Any] = {"session": session_id, "payment": "pay_x", "reference": invoice_id,
                                "amount": amount_paisa, "currency": "PKR"}  # fmt: skip
        return json.dumps(
            {"id": f"evt_test_{kind}_{amount_paisa}", "type": kind, "data": data}
        ).encode()

    url = "/api/v1/payments/webhook"
    good = event("payment.succeeded", amount)
    with live.client() as client:
        cases = {
            "signature_bad": (good, _signed(good, now, "whsec_wrong")),
            "stale": (good, _signed(good, now - 3600)),
            "unknown_event": (event("payment.disputed", amount), _signed(event("payment.disputed", amount), now)),
            "amount_mismatch": (event("payment.succeeded", amount + 1), _signed(event("payment.succeeded", amount + 1), now)),
            "signature_missing": (good, {"Content-Type": "application/json"}),
        }  # fmt: skip
        for reason, (body, headers) in cases.items():
            response = client.post(url, content=body, headers=headers)
            assert response.status_code == 400, (reason, response.text)
            assert response.json()["message"]
    with runtime.uow() as uow:
        rejected = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.code == "billing.webhook_rejected")
        ).all()
        reasons = {
            json.loads(e.details)["reason"] if isinstance(e.details, str) else e.details["reason"]
            for e in rejected
        }
        assert reasons == set(cases)
        invoice = uow.session.get(Invoice, invoice_id)
        assert invoice is not None
        assert invoice.paid_paisa == invoice.total_paisa  # nothing half-applied
        assert (
            uow.session.scalar(select(WebhookEvent).where(WebhookEvent.event_id.like("evt_test_%")))
            is None
        )
        assert uow.session.scalar(select(Service.status)) == "active"


def _no_card_number_anywhere(
    runtime: Runtime, settings: Settings, psp: Psp, tmp_path: Path
) -> None:
    haystacks = {"database": _raw_database(runtime, settings)}
    for path in settings.data_dir.rglob("*"):
        if path.is_file() and not path.name.startswith("amanat.db"):
            haystacks[str(path)] = path.read_bytes()
    haystacks["psp log"] = psp.log_path.read_bytes()
    from amanat.comms.service import list_outbox

    del list_outbox  # the outbox lives in the database, searched above
    for name, data in haystacks.items():
        for number in (APPROVED, DECLINED):
            spaced = " ".join(number[i : i + 4] for i in range(0, 16, 4))
            assert number.encode() not in data, name
            assert spaced.encode() not in data, name
