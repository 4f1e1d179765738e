"""The staff customer API, the console and the customer's access log, over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from amanat.audit.models import AuditEvent
from amanat.runtime import Runtime
from tests.factories.accounts import create_customer, create_staff, customer_api_token

EMAIL = "canary.testname@example.pk"
PHONE = "+92 300 1234567"
CNIC = "35202-1234567-1"


def bearer(token: str, purpose: str | None = None, **headers: str) -> dict[str, str]:
    out = {"Authorization": f"Bearer {token}"}
    if purpose is not None:
        out["X-Access-Purpose"] = purpose
    out.update(headers)
    return out


def last_event(runtime: Runtime) -> Any:
    with runtime.engine.connect() as conn:
        table = AuditEvent.__table__
        return conn.execute(select(table).order_by(table.c.seq.desc()).limit(1)).one()


@pytest.fixture
def customer(runtime: Runtime) -> str:
    return create_customer(runtime, email=EMAIL, phone=PHONE, cnic=CNIC)


@pytest.fixture
def officer(runtime: Runtime) -> Any:
    return create_staff(runtime, "security_officer")


def test_no_purpose_is_400_listing_the_callers_purposes_and_audited(
    client: Any, runtime: Runtime, customer: str, officer: Any
) -> None:
    response = client.get(f"/api/v1/customers/{customer}", headers=bearer(officer.api_token))
    assert response.status_code == 400
    assert "X-Access-Purpose" in response.json()["message"]
    assert "security, emergency" in response.json()["message"]
    event = last_event(runtime)
    assert (event.code, event.actor_id, event.customer_id) == (
        "access.denied",
        officer.id,
        customer,
    )
    assert event.details == '{"reason_code":"purpose_missing"}'


def test_a_purpose_outside_the_role_is_403_naming_role_and_purpose_and_audited(
    client: Any, runtime: Runtime, customer: str, officer: Any
) -> None:
    response = client.get(
        f"/api/v1/customers/{customer}", headers=bearer(officer.api_token, "billing")
    )
    assert response.status_code == 403
    assert response.json()["message"] == (
        "The role 'security_officer' may not act for the purpose 'billing'."
    )
    event = last_event(runtime)
    assert (event.code, event.purpose) == ("access.denied", "billing")


def test_an_untrained_caller_is_403_saying_so_and_how_to_fix_it(
    client: Any, runtime: Runtime, customer: str
) -> None:
    untrained = create_staff(runtime, "security_officer", trained=False)
    response = client.get(
        f"/api/v1/customers/{customer}", headers=bearer(untrained.api_token, "security")
    )
    assert response.status_code == 403
    message = response.json()["message"]
    assert "security training is not on record" in message and "amanat staff train" in message


def test_the_response_holds_only_what_the_purpose_reads(
    client: Any, runtime: Runtime, customer: str, officer: Any
) -> None:
    response = client.get(
        f"/api/v1/customers/{customer}", headers=bearer(officer.api_token, "security")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # security reads account.username, contact.email and technical data; no name, no CNIC.
    assert set(body["fields"]) == {"email", "username"}
    assert body["fields"]["email"] == EMAIL
    assert body["categories"] == ["account.username", "contact.email"]
    event = last_event(runtime)
    assert (event.code, event.purpose, event.outcome) == ("access.granted", "security", "allowed")


def test_cnic_and_phone_are_masked_unless_the_purpose_needs_them_whole(
    client: Any, runtime: Runtime, customer: str, officer: Any
) -> None:
    reason = {"X-Access-Reason": "Line down, hospital cannot reach the customer"}
    response = client.get(
        f"/api/v1/customers/{customer}", headers=bearer(officer.api_token, "emergency", **reason)
    )
    assert response.status_code == 200, response.text
    assert response.json()["fields"]["phone"] == "+923001234567"  # emergency reads it whole
    assert last_event(runtime).code == "access.break_glass"
    runtime.guard.register_reference_checker(
        "ticket", lambda _s, c, r, _now: c == customer and r == "T-1"
    )
    agent = create_staff(runtime, "support_agent")
    response = client.get(
        f"/api/v1/customers/{customer}",
        headers=bearer(agent.api_token, "support", **{"X-Access-Reference": "T-1"}),
    )
    assert response.status_code == 200, response.text
    fields = response.json()["fields"]
    assert fields["cnic"] == "*****-***4567-*"
    assert fields["phone"] == "+92 *** ***4567"
    assert fields["name"] and "ntn" not in fields
    assert response.json()["masked"] == ["contact.phone", "identity.cnic"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "CANARY.Testname@example.pk"), ("phone", "0300-1234567"), ("cnic", "3520212345671")],
)
def test_search_by_exact_identifier_through_the_blind_index(
    client: Any, customer: str, officer: Any, field: str, value: str
) -> None:
    headers = bearer(officer.api_token, "security")
    posted = client.post("/api/v1/customers/search", json={field: value}, headers=headers)
    assert posted.status_code == 200, posted.text
    assert posted.json()["id"] == customer


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "CANARY.Testname@example.pk"), ("phone", "0300-1234567"), ("cnic", "3520212345671")],
)
def test_no_search_takes_personal_data_in_the_query_string(
    client: Any, runtime: Runtime, customer: str, officer: Any, field: str, value: str
) -> None:
    """F-15: the GET form of the search is gone, and no staff route reads an identifier
    from the URL: the same value in a query string finds nobody anywhere."""
    headers = bearer(officer.api_token, "security")
    got = client.get("/api/v1/customers", params={field: value}, headers=headers)
    assert got.status_code in (404, 405), got.text
    assert customer not in got.text
    posted = client.post(
        "/api/v1/customers/search", params={field: value}, json={}, headers=headers
    )
    assert posted.status_code == 422 and customer not in posted.text
    schema = client.get("/api/openapi.json").json()
    assert "get" not in schema["paths"].get("/api/v1/customers", {})
    query_names = {
        parameter["name"]
        for operations in schema["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    }
    assert not query_names & {"email", "phone", "cnic"}


def test_search_refusals_and_misses(
    client: Any, runtime: Runtime, customer: str, officer: Any
) -> None:
    headers = bearer(officer.api_token, "security")
    missing = client.post(
        "/api/v1/customers/search", json={"email": "nobody@example.pk"}, headers=headers
    )
    assert missing.status_code == 404
    assert "nobody" not in missing.text
    both = client.post(
        "/api/v1/customers/search", json={"email": EMAIL, "cnic": CNIC}, headers=headers
    )
    assert both.status_code == 422
    bad = client.post("/api/v1/customers/search", json={"cnic": "777"}, headers=headers)
    assert bad.status_code == 422 and "777" not in bad.text
    # A role without the purpose learns nothing, not even whether the customer exists.
    agent = create_staff(runtime, "analyst")
    refused = client.post(
        "/api/v1/customers/search", json={"email": "nobody@example.pk"},
        headers=bearer(agent.api_token, "security"),
    )  # fmt: skip
    assert refused.status_code == 403
    assert last_event(runtime).code == "access.denied"


def test_customers_cannot_use_the_staff_api(client: Any, runtime: Runtime, customer: str) -> None:
    token = customer_api_token(runtime, customer)
    response = client.get(f"/api/v1/customers/{customer}", headers=bearer(token, "self"))
    assert response.status_code == 403


def test_the_customer_sees_who_accessed_their_data_and_their_own_reads_apart(
    client: Any, runtime: Runtime, customer: str, officer: Any
) -> None:
    token = customer_api_token(runtime, customer)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200  # own read
    client.get(f"/api/v1/customers/{customer}", headers=bearer(officer.api_token, "security"))
    client.get(f"/api/v1/customers/{customer}", headers=bearer(officer.api_token, "billing"))
    log = client.get("/api/v1/me/access-log", headers=bearer(token)).json()
    staff_entries = [e for e in log["accesses"] if e["actor_kind"] == "staff"]
    assert len(staff_entries) == 1  # the refused read is not an access
    entry = staff_entries[0]
    assert entry["who"].startswith("Security officer #")
    assert entry["purpose"] == "security"
    assert entry["categories"] == ["account.username", "contact.email"]
    assert officer.email not in str(log)
    assert log["your_own"] and all(e["who"] == "You" for e in log["your_own"])
    times = [e["at"] for e in log["accesses"]]
    assert times == sorted(times, reverse=True)
    # Another customer sees none of it.
    other = create_customer(runtime)
    other_log = client.get(
        "/api/v1/me/access-log", headers=bearer(customer_api_token(runtime, other))
    ).json()
    assert all(
        e["who"] in ("You",) or e["actor_kind"] == "system"
        for e in other_log["your_own"] + other_log["accesses"]
    )
    assert not [e for e in other_log["accesses"] if e["actor_kind"] == "staff"]
