"""No customer-facing route reaches another customer's data (issue 5), on both databases.

The routes are not listed by hand: every route of the running app that a customer calls
(it depends on ``api_customer`` or ``page_customer``) and that names an object in its
path is found in ``app.routes``. Customer B gets one object of each kind (a session, an
API token, a service, an invoice, a tax certificate, a ticket); signed-in customer A
then calls every such route, with every method it accepts, on B's object, with a valid
body and a valid CSRF token (so that only ownership can stop the call). Each attempt
must end in 404 (the same answer as for an object that does not exist), must not show
anything of B's, and afterwards B's rows in every table are exactly as they were.

A route added later is covered without editing this file, as long as its path
parameter names a known kind of object. A new kind fails
``test_every_customer_route_with_a_path_parameter_has_an_object_factory`` until an
entry is added to ``OBJECT_FACTORIES``.

Routes that take a capability in the path instead of a signed-in customer (the
e-mail links ``/account/verify/{token}``, ``/account/reset/{token}`` and the public
certificate check ``/verify/{code}``) are not customer routes: the path value is the
credential itself.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import select

from amanat.accounts import sessions, tokens
from amanat.app import create_app
from amanat.billing import catalogue, certificates, orders, payments
from amanat.billing.catalogue import DEMO_CATALOGUE
from amanat.billing.models import Invoice
from amanat.billing.run import run_billing
from amanat.composition import build_runtime, load_models
from amanat.config import Settings
from amanat.core.actor import Actor
from amanat.core.clock import FixedClock
from amanat.db.base import Base
from amanat.runtime import Runtime
from amanat.support import service as support
from amanat.web.caller import api_customer, page_customer
from amanat.web.client import ClientInfo
from tests.conftest import SAME_ORIGIN
from tests.factories.accounts import PASSWORD, create_customer, create_staff, signup_data

START = datetime(2025, 8, 10, 7, 0, tzinfo=UTC)
B_NAME = "Bravo Canarytest"
B_SUBJECT = "Bravo router blinks amber"
B_MESSAGE = "Bravo canary message: the router blinks amber after midnight."
# Append-only logs that record A's refused attempts; they are not B's data.
LOG_TABLES = frozenset({"audit_events", "audit_checkpoints", "audit_notes", "security_events"})
# Values for body and form fields, by field name, so that a request is valid in every
# way but whose object it names. A new field name fails the test with a pointer here.
SAMPLE_FIELDS: dict[str, str] = {
    "message": "Alpha canary: trying to write into someone else's ticket.",
}


@dataclass
class World:
    """Customer B and B's objects, made through the real services."""

    runtime: Runtime
    clock: FixedClock
    b_id: str
    b_email: str
    made: dict[str, str] = field(default_factory=dict)
    service_id: str | None = None
    invoice_id: str | None = None


def _service(world: World) -> str:
    if world.service_id is None:
        rt = world.runtime
        with rt.uow() as uow:
            placed = orders.place_order(
                uow, rt, Actor.customer(world.b_id), world.b_id, "fibre-50", 1
            )
            uow.commit()
        world.service_id = placed.service.id
    return world.service_id


def _invoice(world: World) -> str:
    """B's paid August invoice (the month is billed once it has ended)."""
    if world.invoice_id is None:
        _service(world)
        rt = world.runtime
        world.clock.advance(timedelta(days=25))
        assert run_billing(rt, "2025-08", notify=False).issued >= 1
        officer = create_staff(rt, "billing_officer")
        with rt.uow() as uow:
            invoice = uow.session.scalars(
                select(Invoice).where(Invoice.customer_id == world.b_id)
            ).one()
            payments.record_payment(
                uow, rt, officer.actor, invoice.number, "bank_transfer",
                invoice.total_paisa, "HBL-1",
            )  # fmt: skip
            world.invoice_id = invoice.id
            uow.commit()
    return world.invoice_id


def _certificate(world: World) -> str:
    _invoice(world)
    rt = world.runtime
    with rt.uow() as uow:
        cert = certificates.request_certificate(
            uow, rt, Actor.customer(world.b_id), world.b_id, "2025-26"
        )
        uow.commit()
    return cert.id


def _ticket(world: World) -> str:
    rt = world.runtime
    with rt.uow() as uow:
        written = support.open_ticket(
            uow, rt, Actor.customer(world.b_id), subject=B_SUBJECT, category="technical",
            message=B_MESSAGE, channel="api",
        )  # fmt: skip
        uow.commit()
    return support.format_number(written.ticket.number)


def _api_token(world: World) -> str:
    rt = world.runtime
    with rt.uow() as uow:
        created = tokens.create_api_token(
            uow, rt, Actor.customer(world.b_id), label="Bravo's script", scopes=["read"]
        )
        uow.commit()
    return created.id


def _session(world: World) -> str:
    rt = world.runtime
    with rt.uow() as uow:
        new, _ = sessions.create_session(
            uow, rt, principal_kind="customer", principal_id=world.b_id, role="customer",
            mfa_done=True, client=ClientInfo(ip="192.0.2.7", user_agent="Mozilla/5.0 (X11)"),
        )  # fmt: skip
        uow.commit()
    return new.session_id


# One factory per kind of object a customer route names in its path, keyed by the path
# parameter's name. Each makes that object for customer B and returns its path value.
# Order matters: the billing objects move the clock a month on, the rest come after.
OBJECT_FACTORIES: dict[str, Callable[[World], str]] = {
    "service_id": _service,
    "invoice_id": _invoice,
    "certificate_id": _certificate,
    "number": _ticket,
    "token_id": _api_token,
    "session_id": _session,
}


@dataclass(frozen=True)
class CustomerRoute:
    method: str
    path: str
    params: tuple[str, ...]
    page: bool  # a portal page (form POSTs need the CSRF token) rather than the JSON API
    route: APIRoute


def _dependency_calls(dependant: Dependant) -> Iterator[object]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _dependency_calls(sub)


def customer_routes(app: FastAPI) -> list[CustomerRoute]:
    """Every (method, path) a signed-in customer can call that names an object in its path."""
    found: list[CustomerRoute] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or context.path is None:
            continue
        calls = set(_dependency_calls(route.dependant))
        if api_customer not in calls and page_customer not in calls:
            continue
        params = tuple(p.name for p in route.dependant.path_params)
        if not params:
            continue
        for method in sorted(context.methods or ()):
            found.append(CustomerRoute(method, context.path, params, page_customer in calls, route))
    return found


def _app_for_listing() -> FastAPI:
    with tempfile.TemporaryDirectory() as data:
        runtime = build_runtime(Settings(environment="test", data_dir=Path(data)))
        try:
            return create_app(runtime)
        finally:
            runtime.close()


def test_the_route_finder_sees_the_known_customer_routes() -> None:
    """A guard on the finder itself: if it found nothing, the isolation test would pass empty."""
    paths = {(r.method, r.path) for r in customer_routes(_app_for_listing())}
    assert ("GET", "/api/v1/invoices/{invoice_id}") in paths
    assert ("POST", "/support/{number}/reply") in paths
    assert ("DELETE", "/api/v1/me/sessions/{session_id}") in paths
    assert not any(path.startswith("/staff") for _, path in paths)


def test_every_customer_route_with_a_path_parameter_has_an_object_factory() -> None:
    missing = sorted(
        {
            f"{r.method} {r.path} (parameter '{p}')"
            for r in customer_routes(_app_for_listing())
            for p in r.params
            if p not in OBJECT_FACTORIES
        }
    )
    assert not missing, (
        "These customer routes name an object kind the isolation test cannot make yet: "
        + "; ".join(missing)
        + ". Add a factory for it to OBJECT_FACTORIES in tests/functional/"
        "test_customer_isolation.py (it makes customer B's object and returns its path value)."
    )


def _body(route: CustomerRoute) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """A valid JSON body or form for the route, from SAMPLE_FIELDS."""
    json_body: dict[str, Any] | None = None
    form: dict[str, str] = {}
    for param in route.route.dependant.body_params:
        annotation = param.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            json_body = {
                name: _sample(route, name)
                for name, info in annotation.model_fields.items()
                if info.is_required() or name in SAMPLE_FIELDS
            }
        elif param.field_info.is_required() or param.name in SAMPLE_FIELDS:
            if route.page:
                form[param.name] = _sample(route, param.name)
            else:
                json_body = {param.name: _sample(route, param.name)}
    return json_body, form


def _sample(route: CustomerRoute, name: str) -> str:
    """The sample for a field; fails naming the route when there is none."""
    if name not in SAMPLE_FIELDS:
        pytest.fail(
            f"{route.method} {route.path} takes the field '{name}', which the isolation test "
            "has no sample for: add one to SAMPLE_FIELDS in "
            "tests/functional/test_customer_isolation.py."
        )
    return SAMPLE_FIELDS[name]


def _rows_not_of(runtime: Runtime, a_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the logs, leaving out rows that name customer A
    (A's own session is touched by A's requests)."""
    load_models()
    snapshot: dict[str, list[tuple[Any, ...]]] = {}
    with runtime.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in LOG_TABLES:
                continue
            rows = conn.execute(select(table)).all()
            kept = [tuple(row) for row in rows if a_id not in tuple(row)]
            snapshot[table.name] = sorted(kept, key=repr)
    return snapshot


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    from amanat.install import initialise

    clock = FixedClock(START)
    runtime = build_runtime(settings, clock=clock)
    initialise(runtime)
    with runtime.uow() as uow:
        catalogue.ensure_plans(uow, runtime, DEMO_CATALOGUE)
        uow.commit()
    b = signup_data(name=B_NAME)
    b_id = create_customer(runtime, **b)
    try:
        yield World(runtime=runtime, clock=clock, b_id=b_id, b_email=b["email"])
    finally:
        runtime.close()


def test_customer_a_gets_404_on_every_object_of_customer_b_and_changes_nothing(
    world: World,
) -> None:
    runtime = world.runtime
    app = create_app(runtime)
    routes = customer_routes(app)
    assert routes, "no customer routes with path parameters were found"
    for name, factory in OBJECT_FACTORIES.items():
        if any(name in r.params for r in routes):
            world.made[name] = factory(world)
    a = signup_data()
    a_id = create_customer(runtime, **a)

    def path_of(route: CustomerRoute) -> str:
        return route.path.format(**{p: world.made[p] for p in route.params})

    with TestClient(app, base_url="https://testserver", headers=SAME_ORIGIN) as b_client:
        signed_in = b_client.post(
            "/api/v1/auth/login", json={"email": world.b_email, "password": PASSWORD}
        )
        assert signed_in.json()["status"] == "signed_in"
        # Control: B reaches each object through the GET routes, so the values name real,
        # reachable objects and a 404 for A can only come from ownership.
        for route in routes:
            if route.method == "GET":
                own = b_client.get(path_of(route))
                assert own.status_code == 200, (route.path, own.status_code, own.text[:300])

    problems: list[str] = []
    with TestClient(app, base_url="https://testserver", headers=SAME_ORIGIN) as a_client:
        signed_in = a_client.post(
            "/api/v1/auth/login", json={"email": a["email"], "password": PASSWORD}
        )
        assert signed_in.json()["status"] == "signed_in"
        token = _csrf(a_client.get("/account/security").text)
        before = _rows_not_of(runtime, a_id)
        for route in routes:
            json_body, form = _body(route)
            kwargs: dict[str, Any] = {"follow_redirects": False}
            if route.page and route.method != "GET":
                kwargs["data"] = {"csrf_token": token, **form}
            elif json_body is not None:
                kwargs["json"] = json_body
            response = a_client.request(route.method, path_of(route), **kwargs)
            shown = response.text
            if response.status_code != 404:
                said = " ".join(re.sub(r"<[^>]+>", " ", shown).split())
                problems.append(
                    f"{route.method} {route.path}: {response.status_code}, not 404: {said[-300:]}"
                )
            for secret in (B_NAME, B_SUBJECT, B_MESSAGE, world.b_email, world.b_id):
                if secret in shown:
                    problems.append(f"{route.method} {route.path} shows B's {secret!r}")
    after = _rows_not_of(runtime, a_id)
    changed = sorted(t for t in before if before[t] != after[t])
    assert not problems, "\n".join(problems)
    assert not changed, f"A's attempts changed rows that are not A's in: {', '.join(changed)}"
