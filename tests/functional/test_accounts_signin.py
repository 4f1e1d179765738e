"""Sign-in, MFA, sessions and tokens through the real HTTP API on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from amanat.accounts import totp
from amanat.accounts.models import AuthSession, SecurityEvent
from amanat.core.clock import FixedClock
from tests.conftest import SAME_ORIGIN
from tests.factories.accounts import PASSWORD, create_customer, customer_api_token, signup_data

COOKIE = "__Host-amanat_session"


@pytest.fixture
def clock(runtime: Any) -> FixedClock:
    fixed = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    runtime.clock = fixed
    return fixed


def _customer(client: Any, runtime: Any) -> dict[str, Any]:
    data = signup_data()
    create_customer(runtime, **data)
    return data


def _login(client: Any, email: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


class CountingPasswords:
    """The real password hasher, counting what it is asked to do (instrumentation, not a fake)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.real, name)
        if name in {"verify", "dummy_verify", "hash"}:

            def counted(*args: Any) -> Any:
                self.calls.append(name)
                return attribute(*args)

            return counted
        return attribute


def test_sign_in_sets_a_host_only_secure_httponly_lax_cookie_and_opens_the_api(
    client: Any, runtime: Any
) -> None:
    data = _customer(client, runtime)
    response = _login(client, data["email"].upper())  # sign-in names are case-folded
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "signed_in"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    for attribute in ("Secure", "HttpOnly", "SameSite=lax", "Path=/"):
        assert attribute.lower() in cookie.lower()
    assert "domain" not in cookie.lower()
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    body = me.json()
    assert body["cnic"].startswith("*****-***") and body["cnic"].endswith("-*")
    assert body["phone"].startswith("+92 *** ***")


def test_unknown_account_and_wrong_password_do_the_same_work_and_get_the_same_answer(
    client: Any, runtime: Any
) -> None:
    data = _customer(client, runtime)
    counting = CountingPasswords(runtime.vault.passwords)
    runtime.vault.passwords = counting
    wrong = _login(client, data["email"], "not the password at all 9")
    wrong_calls, counting.calls = counting.calls, []
    unknown = _login(client, "nobody.here@example.pk", "not the password at all 9")
    unknown_calls = counting.calls
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong_calls == ["verify"] and unknown_calls == ["dummy_verify"]  # one verification each
    with runtime.uow() as uow:
        kinds = uow.session.scalars(select(SecurityEvent.kind)).all()
    assert kinds.count("signin.failed") == 2


def test_api_requires_sign_in_with_a_sentence(client: Any) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert "Sign in first" in response.json()["message"]


def test_mfa_enrolment_then_sign_in_needs_a_fresh_code_and_rotates_the_session(
    client: Any, runtime: Any, clock: FixedClock
) -> None:
    data = _customer(client, runtime)
    assert _login(client, data["email"]).status_code == 200
    enrolment = client.post("/api/v1/me/mfa/totp").json()
    assert enrolment["qr_svg"].startswith("<svg")
    secret = enrolment["secret"]
    bad = client.post("/api/v1/me/mfa/totp/confirm", json={"code": "000000"})
    assert bad.status_code == 422 and "code" in bad.json()["fields"]
    code = totp.code_at(secret, clock.now().timestamp())
    codes = client.post("/api/v1/me/mfa/totp/confirm", json={"code": code}).json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.post("/api/v1/auth/logout").status_code == 204

    first = _login(client, data["email"])
    assert first.json()["status"] == "mfa_required"
    pending_cookie = client.cookies.get(COOKIE)
    assert client.get("/api/v1/me").status_code == 401  # password alone opens nothing
    # The code used at enrolment is not accepted again (replay), even within its window.
    replay = client.post("/api/v1/auth/mfa", json={"code": code})
    assert replay.status_code == 401
    clock.advance(timedelta(seconds=30))
    fresh = totp.code_at(secret, clock.now().timestamp())
    assert client.post("/api/v1/auth/mfa", json={"code": fresh}).status_code == 200
    assert client.cookies.get(COOKIE) != pending_cookie  # a new session id after step-up
    assert client.get("/api/v1/me").status_code == 200
    # The old (pre-MFA) id is worthless now.
    client.cookies.clear()
    client.cookies.set(COOKIE, pending_cookie, domain="testserver")
    assert client.get("/api/v1/me").status_code == 401

    # A recovery code works once.
    client.cookies.clear()
    _login(client, data["email"])
    assert client.post("/api/v1/auth/mfa", json={"code": codes[0]}).status_code == 200
    client.cookies.clear()
    _login(client, data["email"])
    assert client.post("/api/v1/auth/mfa", json={"code": codes[0]}).status_code == 401


def test_sessions_are_listed_with_technical_data_and_the_other_one_can_be_revoked(
    runtime: Any,
) -> None:
    from fastapi.testclient import TestClient

    from amanat.app import create_app

    # A client at a documentation address (RFC 5737), so that the network can be shown.
    client = TestClient(
        create_app(runtime),
        base_url="https://testserver",
        client=("203.0.113.7", 50000),
        headers=SAME_ORIGIN,
    )
    data = _customer(client, runtime)
    firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
    iphone = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    )
    client.headers["user-agent"] = firefox
    _login(client, data["email"])
    desktop_cookie = client.cookies.get(COOKIE)
    client.cookies.clear()
    client.headers["user-agent"] = iphone
    _login(client, data["email"])
    listed = client.get("/api/v1/me/sessions").json()
    assert len(listed) == 2
    by_device = {s["device"]: s for s in listed}
    assert by_device["desktop"]["browser"] == "Firefox 128"
    assert by_device["desktop"]["os"] == "Windows"
    assert by_device["mobile"]["os"] == "iOS" and by_device["mobile"]["current"]
    assert by_device["desktop"]["network"] == "203.0.113.0/24"
    with runtime.uow() as uow:  # the raw user-agent is not kept anywhere
        for row in uow.session.scalars(select(AuthSession)).all():
            for value in (row.browser_ct, row.os_ct, row.device_ct, row.ip_ct):
                assert b"Firefox" not in value and b"Mozilla" not in value and b"203.0" not in value

    other = by_device["desktop"]["id"]
    assert client.delete(f"/api/v1/me/sessions/{other}").status_code == 204
    assert [s["device"] for s in client.get("/api/v1/me/sessions").json()] == ["mobile"]
    client.cookies.clear()
    client.cookies.set(COOKIE, desktop_cookie, domain="testserver")
    assert client.get("/api/v1/me").status_code == 401
    # A new browser-and-device pair sent a notice to the outbox.
    from amanat.comms.service import list_outbox

    with runtime.uow() as uow:
        assert "new_device" in [e.kind for e in list_outbox(uow)]


def test_customer_sessions_end_after_30_idle_minutes(
    client: Any, runtime: Any, clock: FixedClock
) -> None:
    data = _customer(client, runtime)
    _login(client, data["email"])
    clock.advance(timedelta(minutes=29))
    assert client.get("/api/v1/me").status_code == 200
    clock.advance(timedelta(minutes=30, seconds=1))
    assert client.get("/api/v1/me").status_code == 401


def test_sessions_end_after_the_absolute_lifetime_even_when_busy(
    client: Any, runtime: Any, clock: FixedClock
) -> None:
    data = _customer(client, runtime)
    _login(client, data["email"])
    for _ in range(12 * 3):
        clock.advance(timedelta(minutes=20))
        if client.get("/api/v1/me").status_code != 200:
            break
    assert clock.now() - datetime(2026, 3, 2, 9, 0, tzinfo=UTC) >= timedelta(hours=12)
    assert client.get("/api/v1/me").status_code == 401


def test_api_tokens_are_shown_once_stored_hashed_scoped_and_revocable(
    client: Any, runtime: Any
) -> None:
    data = _customer(client, runtime)
    _login(client, data["email"])
    created = client.post(
        "/api/v1/me/tokens", json={"label": "backup", "scopes": ["read"], "days": 7}
    )
    assert created.status_code == 201
    token = created.json()["token"]
    listed = client.get("/api/v1/me/tokens").json()
    assert "token" not in listed[0] and listed[0]["label"] == "backup"
    from amanat.accounts.models import ApiToken

    with runtime.uow() as uow:
        stored = uow.session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored

    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    refused = client.patch("/api/v1/me", headers=bearer, json={"name": "Canary Renamed"})
    assert refused.status_code == 403 and "read scope" in refused.json()["message"]
    _login(client, data["email"])
    assert client.delete(f"/api/v1/me/tokens/{created.json()['id']}").status_code == 204
    client.cookies.clear()
    assert client.get("/api/v1/me", headers=bearer).status_code == 401


def test_expired_token_is_refused(client: Any, runtime: Any, clock: FixedClock) -> None:
    customer_id = create_customer(runtime)
    token = customer_api_token(runtime, customer_id)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    clock.advance(timedelta(days=91))
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_bad_token_input_is_a_4xx_never_a_500(client: Any) -> None:
    for header in (
        "Bearer ",
        "Bearer amt_" + "x" * 500,
        "Basic Zm9vOmJhcg==",
        "Bearer \u00e9\u00e9".encode(),
    ):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401


def test_signed_in_count_and_audit_event(client: Any, runtime: Any) -> None:
    data = _customer(client, runtime)
    _login(client, data["email"])
    from amanat.audit.models import AuditEvent

    with runtime.uow() as uow:
        codes = uow.session.scalars(select(AuditEvent.code)).all()
        sessions = uow.session.scalar(select(func.count()).select_from(AuthSession))
    assert "account.signed_in" in codes and "account.signed_up" in codes
    assert sessions == 1
