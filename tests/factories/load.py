"""A world to push on (issue 18) and the load that pushes it over real HTTPS.

``seed_world`` makes, through the real services, a trained staff member with an API
token, and customers each with an API token, an open ticket and an invoice awaiting a
card payment (the processor session a webhook will settle). ``Load`` then runs one
thread per kind of write against a server, each with its own keep-alive connection,
and keeps only what the server acknowledged (a 2xx answer): the tests check after a
crash or an outage that every acknowledged write is there, whole.

Every value is synthetic (example.pk addresses, 35202- CNICs).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx
from sqlalchemy import select

from amanat.billing import catalogue, orders
from amanat.billing.catalogue import DEMO_CATALOGUE
from amanat.billing.context import BillingContext, set_billing_context
from amanat.billing.models import Invoice, Payment
from amanat.billing.processor import HttpProcessor
from amanat.billing.provisioner import RecordingProvisioner
from amanat.billing.run import run_billing
from amanat.billing.tax import load_tax_table
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.core.actor import Actor
from amanat.core.clock import FixedClock
from amanat.db.base import new_id
from amanat.psp.signing import signature_header
from amanat.runtime import Runtime
from amanat.support import service as support
from tests.factories.accounts import (
    StaffHandle,
    create_customer,
    create_staff,
    customer_api_token,
    signup_data,
)

WEBHOOK_SECRET = "whsec_resilience_tests"
PSP_API_KEY = "sk_resilience_tests"
STAFF_ROLE, STAFF_PURPOSE = "security_officer", "security"


@dataclass(frozen=True)
class Customer:
    id: str
    token: str
    ticket: str  # its open ticket's number
    invoice: str
    session: str  # the processor session a payment webhook settles
    amount_paisa: int


@dataclass
class World:
    staff: StaffHandle
    customers: list[Customer]

    def server_env(self) -> dict[str, str]:
        """What a server of this world needs to take the processor's webhooks."""
        return {"AMANAT_PSP_API_KEY": PSP_API_KEY, "AMANAT_PSP_WEBHOOK_SECRET": WEBHOOK_SECRET}


def seed_world(runtime: Runtime, settings: Settings, customers: int = 10) -> World:
    """The world on ``runtime``'s (initialised) installation. Orders are placed and billed
    in October 2026 by a second runtime on a fixed clock, so that the period has ended."""
    staff = create_staff(runtime, STAFF_ROLE)
    people: list[tuple[str, str, str]] = []
    for _ in range(customers):
        customer = create_customer(runtime)
        token = customer_api_token(runtime, customer)
        with runtime.uow() as uow:
            written = support.open_ticket(
                uow, runtime, Actor.customer(customer), subject="Line drops at night",
                category="other", message="The fibre drops every night.", channel="api",
            )  # fmt: skip
            uow.commit()
            number = support.format_number(written.ticket.number)
        people.append((customer, token, number))
    clock = FixedClock(datetime(2026, 10, 1, 7, 0, tzinfo=UTC))
    past = build_runtime(settings, clock=clock)
    try:
        set_billing_context(
            past,
            BillingContext(load_tax_table(),
                           HttpProcessor("http://127.0.0.1:9", PSP_API_KEY, WEBHOOK_SECRET),
                           RecordingProvisioner()),
        )  # fmt: skip
        with past.uow() as uow:
            catalogue.ensure_plans(uow, past, DEMO_CATALOGUE)
            uow.commit()
        for customer, _, _ in people:
            with past.uow() as uow:
                orders.place_order(uow, past, Actor.customer(customer), customer, "fibre-25", 1)
                uow.commit()
        clock.advance(timedelta(days=40))
        run_billing(past, "2026-10", notify=False)
        made: list[Customer] = []
        with past.uow() as uow:
            for customer, token, number in people:
                invoice = uow.session.scalars(
                    select(Invoice).where(Invoice.customer_id == customer)
                ).one()
                session = f"cs_{new_id()}"
                uow.session.add(Payment(
                    id=new_id(), customer_id=customer, invoice_id=invoice.id, method="card",
                    status="initiated", amount_paisa=invoice.total_paisa, refunded_paisa=0,
                    processor_session=session, created_at=clock.now(),
                ))  # fmt: skip
                made.append(
                    Customer(customer, token, number, invoice.id, session, invoice.total_paisa)
                )
            uow.commit()
    finally:
        past.close()
    return World(staff, made)


def webhook(customer: Customer) -> tuple[bytes, dict[str, str]]:
    """A ``payment.succeeded`` for the customer's session, signed as the sandbox signs."""
    body = json.dumps({
        "id": f"evt_{uuid.uuid4().hex}", "type": "payment.succeeded",
        "data": {"session": customer.session, "payment": f"pay_{customer.session}",
                 "reference": customer.invoice, "amount": customer.amount_paisa,
                 "currency": "PKR",
                 "card": {"token": "tok_resilience", "brand": "visa", "last4": "4242",
                          "exp_month": 12, "exp_year": 2031}},
    }).encode()  # fmt: skip
    header = signature_header(WEBHOOK_SECRET, int(time.time()), body)
    return body, {"PSP-Signature": header, "Content-Type": "application/json"}


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


@dataclass
class Acknowledged:
    """What the server answered 2xx to, by kind; and what failed, by kind and reason."""

    signups: list[str] = field(default_factory=list)  # e-mail addresses signed up
    replies: list[tuple[str, str, str]] = field(default_factory=list)  # (customer, ticket, text)
    webhooks: list[str] = field(default_factory=list)  # invoice ids paid
    staff_reads: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)  # 4xx/5xx answers while serving

    def total(self) -> int:
        return len(self.signups) + len(self.replies) + len(self.webhooks) + self.staff_reads


Client = Callable[[], httpx.Client]


class Server(Protocol):
    def client(self) -> httpx.Client: ...


def check_acknowledged(server: Server, world: World, done: Acknowledged) -> None:
    """Every acknowledged write reads back whole through the API: each signed-up address
    is found and decrypts, each reply is in its thread, each paid invoice says so."""
    staff = bearer(world.staff.api_token, **{"X-Access-Purpose": STAFF_PURPOSE})
    with server.client() as client:
        for email in done.signups:
            found = client.post("/api/v1/customers/search", json={"email": email}, headers=staff)
            assert found.status_code == 200, found.text
            read = client.get(f"/api/v1/customers/{found.json()['id']}", headers=staff)
            assert read.status_code == 200, read.text
            assert read.json()["fields"]["email"] == email  # decrypts whole
        tokens = {c.id: c.token for c in world.customers}
        threads: dict[str, str] = {}
        for customer, ticket, reply in done.replies:
            if ticket not in threads:
                shown = client.get(f"/api/v1/tickets/{ticket}", headers=bearer(tokens[customer]))
                assert shown.status_code == 200, shown.text
                threads[ticket] = shown.text
            assert reply in threads[ticket]
        for customer in world.customers:
            if customer.invoice in done.webhooks:
                invoice = client.get(
                    f"/api/v1/invoices/{customer.invoice}", headers=bearer(customer.token)
                )
                assert invoice.status_code == 200, invoice.text
                assert invoice.json()["status"] == "paid"


class Load:
    """One thread per kind of write, each looping until ``stop()``.

    ``tolerated`` answers (e.g. 503 while the database is away) are counted as failures,
    any other non-2xx is kept in ``unexpected`` for the test to assert on."""

    def __init__(self, client: Client, world: World, tolerated: frozenset[int] = frozenset()):
        self.client = client
        self.world = world
        self.tolerated = tolerated
        self.done = Acknowledged()
        self.answers: dict[int, int] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._pending_webhooks = list(world.customers)

    def start(self, kinds: tuple[str, ...] = ("signup", "reply", "webhook", "staff_read")) -> Load:
        for kind in kinds:
            thread = threading.Thread(target=self._loop, args=(kind,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> Acknowledged:
        self._stop.set()
        for thread in self._threads:
            thread.join(120)
        return self.done

    def wait_for(self, acknowledged: int, each: int = 0, guard: float = 120.0) -> None:
        """Until at least ``acknowledged`` writes were answered 2xx, and ``each`` of every
        kind (a guard against a stall, not a timer)."""
        deadline = time.monotonic() + guard
        done = self.done
        while (
            done.total() < acknowledged
            or min(len(done.signups), len(done.replies), len(done.webhooks), done.staff_reads)
            < each
        ):
            if time.monotonic() > deadline:
                raise AssertionError(f"the load stalled: {self.done}, answers {self.answers}")
            time.sleep(0.05)

    def _loop(self, kind: str) -> None:
        step = getattr(self, f"_{kind}")
        client = self.client()
        n = 0
        try:
            while not self._stop.is_set():
                n += 1
                try:
                    step(client, n)
                except (httpx.HTTPError, ValueError) as exc:  # the server went away mid-answer
                    self._fail(kind, type(exc).__name__)
                    client.close()
                    client = self.client()
                    time.sleep(0.05)
        finally:
            client.close()

    def _answered(self, kind: str, response: httpx.Response) -> bool:
        with self._lock:
            self.answers[response.status_code] = self.answers.get(response.status_code, 0) + 1
        if response.is_success:
            return True
        if response.status_code in self.tolerated:
            self._fail(kind, str(response.status_code))
        else:
            with self._lock:
                self.done.unexpected.append(f"{kind}: {response.status_code} {response.text[:200]}")
        time.sleep(0.05)
        return False

    def _fail(self, kind: str, reason: str) -> None:
        with self._lock:
            key = f"{kind}:{reason}"
            self.done.failures[key] = self.done.failures.get(key, 0) + 1

    def _signup(self, client: httpx.Client, n: int) -> None:
        data = signup_data(name="Load Testname")
        response = client.post("/api/v1/signup", json=data)
        if self._answered("signup", response):
            with self._lock:
                self.done.signups.append(data["email"])

    def _reply(self, client: httpx.Client, n: int) -> None:
        customer = self.world.customers[n % len(self.world.customers)]
        text = f"Still dropping, note {uuid.uuid4().hex}"
        response = client.post(
            f"/api/v1/tickets/{customer.ticket}/replies", json={"message": text},
            headers=bearer(customer.token),
        )  # fmt: skip
        if self._answered("reply", response):
            with self._lock:
                self.done.replies.append((customer.id, customer.ticket, text))

    def _webhook(self, client: httpx.Client, n: int) -> None:
        with self._lock:
            customer = self._pending_webhooks[0] if self._pending_webhooks else None
        if customer is None:
            time.sleep(0.1)
            return
        body, headers = webhook(customer)
        response = client.post("/api/v1/payments/webhook", content=body, headers=headers)
        if self._answered("webhook", response):
            with self._lock:
                self._pending_webhooks.remove(customer)
                self.done.webhooks.append(customer.invoice)

    def _staff_read(self, client: httpx.Client, n: int) -> None:
        customer = self.world.customers[n % len(self.world.customers)]
        response = client.get(
            f"/api/v1/customers/{customer.id}",
            headers=bearer(self.world.staff.api_token, **{"X-Access-Purpose": STAFF_PURPOSE}),
        )
        if self._answered("staff_read", response):
            with self._lock:
                self.done.staff_reads += 1
