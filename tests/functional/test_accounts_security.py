"""Lockout through the API, password change and reset, CSRF on forms, secure defaults."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from amanat.accounts.models import SecurityEvent
from amanat.comms import service as outbox
from amanat.config import Settings
from amanat.core.clock import FixedClock
from tests.factories.accounts import PASSWORD, create_customer, signup_data


@pytest.fixture
def clock(runtime: Any) -> FixedClock:
    fixed = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    runtime.clock = fixed
    return fixed


def _login(client: Any, email: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def _latest_mail(runtime: Any, kind: str) -> str:
    with runtime.uow() as uow:
        for entry in outbox.list_outbox(uow):
            if entry.kind == kind:
                body = outbox.show_message(uow, runtime, entry.id).body
                uow.commit()
                return body
    raise AssertionError(f"no {kind} mail")


def test_after_failures_sign_in_waits_then_locks_and_says_how_long(
    client: Any, runtime: Any, clock: FixedClock
) -> None:
    data = signup_data()
    create_customer(runtime, **data)
    for _ in range(3):
        assert _login(client, data["email"], "wrong wrong wrong 1").status_code == 401
    assert _login(client, data["email"], "wrong wrong wrong 1").status_code == 401
    waiting = _login(client, data["email"])  # even the right password waits
    assert waiting.status_code == 429
    assert waiting.headers["retry-after"] == "2"
    assert "wait 2 seconds" in waiting.json()["message"]
    for _ in range(6):
        clock.advance(timedelta(minutes=2))
        _login(client, data["email"], "wrong wrong wrong 1")
    locked = _login(client, data["email"])
    assert locked.status_code == 429 and "15 minutes" in locked.json()["message"]
    clock.advance(timedelta(minutes=15))
    assert _login(client, data["email"]).status_code == 200
    with runtime.uow() as uow:
        kinds = uow.session.scalars(select(SecurityEvent.kind)).all()
    assert kinds.count("signin.failed") == 10
    assert "signin.account_locked" in kinds and "signin.refused" in kinds


def test_unknown_accounts_are_throttled_exactly_like_known_ones(
    client: Any, clock: FixedClock
) -> None:
    answers = [
        _login(client, "nobody@example.pk", "wrong wrong wrong 1").status_code for _ in range(5)
    ]
    assert answers == [401, 401, 401, 401, 429]


def test_password_change_needs_the_current_one_and_ends_other_sessions(
    client: Any, runtime: Any
) -> None:
    data = signup_data()
    create_customer(runtime, **data)
    other = client.__class__(client.app, base_url="https://testserver")
    assert _login(other, data["email"]).status_code == 200
    assert _login(client, data["email"]).status_code == 200
    wrong = client.post(
        "/api/v1/me/password",
        json={"current_password": "nope nope 1", "new_password": "amber falcon river 77"},
    )
    assert wrong.status_code == 422 and "current_password" in wrong.json()["fields"]
    weak = client.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "password1234"}
    )
    assert weak.status_code == 422 and "commonly used" in weak.json()["fields"]["new_password"]
    ok = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "amber falcon river 77"},
    )
    assert ok.status_code == 204
    assert client.get("/api/v1/me").status_code == 200
    assert other.get("/api/v1/me").status_code == 401
    assert _login(client, data["email"], "amber falcon river 77").status_code == 200


def test_reset_link_is_single_use_valid_30_minutes_and_ends_every_session(
    client: Any, runtime: Any, clock: FixedClock
) -> None:
    data = signup_data()
    create_customer(runtime, **data)
    assert _login(client, data["email"]).status_code == 200
    unknown = client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.pk"})
    known = client.post("/api/v1/auth/password-reset", json={"email": data["email"]})
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()  # nothing tells whether the account exists
    body = _latest_mail(runtime, "reset_password")
    token = re.search(r"/account/reset/(\S+)", body).group(1)  # type: ignore[union-attr]
    assert data["email"] not in body.split("/account/reset/")[1]  # no personal data in the link

    weak = client.post(
        "/api/v1/auth/password-reset/complete", json={"token": token, "password": "password1234"}
    )
    assert weak.status_code == 422  # the link stays usable
    done = client.post(
        "/api/v1/auth/password-reset/complete",
        json={"token": token, "password": "amber falcon river 77"},
    )
    assert done.status_code == 200
    assert client.get("/api/v1/me").status_code == 401  # every session ended
    again = client.post(
        "/api/v1/auth/password-reset/complete",
        json={"token": token, "password": "amber falcon river 78"},
    )
    assert again.status_code == 422

    client.post("/api/v1/auth/password-reset", json={"email": data["email"]})
    late = re.search(r"/account/reset/(\S+)", _latest_mail(runtime, "reset_password"))
    clock.advance(timedelta(minutes=31))
    expired = client.post(
        "/api/v1/auth/password-reset/complete",
        json={"token": late.group(1), "password": "amber falcon river 79"},  # type: ignore[union-attr]
    )
    assert expired.status_code == 422 and "expired" in expired.json()["message"]


def test_forms_without_the_csrf_token_are_refused(client: Any, runtime: Any) -> None:
    data = signup_data()
    create_customer(runtime, **data)
    page = client.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    refused = client.post("/signin", data={"email": data["email"], "password": PASSWORD})
    assert refused.status_code == 403 and "reload the page" in refused.text
    forged = client.post(
        "/signin", data={"email": data["email"], "password": PASSWORD, "csrf_token": "x" * 64}
    )
    assert forged.status_code == 403
    ok = client.post(
        "/signin",
        data={"email": data["email"], "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/account"
    # Signed in, the token is bound to the new session: the old one no longer works.
    stale = client.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert stale.status_code == 403
    security = client.get("/account/security")
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', security.text).group(1)  # type: ignore[union-attr]
    assert (
        client.post("/signout", data={"csrf_token": fresh}, follow_redirects=False).status_code
        == 303
    )


def test_a_csrf_token_with_non_ascii_characters_is_refused_not_a_server_error(
    client: Any, runtime: Any
) -> None:
    """F-07: comparing the submitted token as text raised TypeError on non-ASCII (a 500)."""
    data = signup_data()
    create_customer(runtime, **data)
    client.get("/signin")  # the pre-session cookie the token is bound to
    for forged in ("é" * 64, "\u0660" * 64, "ﬁ"):
        refused = client.post(
            "/signin", data={"email": data["email"], "password": PASSWORD, "csrf_token": forged}
        )
        assert refused.status_code == 403 and "reload the page" in refused.text
    client.post("/api/v1/auth/login", json={"email": data["email"], "password": PASSWORD})
    signed_in = client.post("/account/verify/resend", data={"csrf_token": "ü" * 64})
    assert signed_in.status_code == 403 and "reload the page" in signed_in.text


def test_every_protection_is_on_in_the_shipped_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("AMANAT_"):
            monkeypatch.delenv(name)
    settings = Settings()
    assert settings.require_email_verification is True
    assert settings.require_staff_mfa is True
    assert settings.throttling is True
    assert settings.csrf is True
    assert settings.secure_cookies is True
    assert settings.customer_idle_minutes == 30
    assert settings.staff_idle_minutes == 15
    assert settings.session_absolute_hours == 12
    assert settings.argon2_memory_kib >= 19 * 1024 and settings.argon2_time_cost >= 2
    # Switching one off takes an explicit setting.
    monkeypatch.setenv("AMANAT_THROTTLING", "false")
    assert Settings().throttling is False


def test_enumeration_protection_is_not_a_setting() -> None:
    # It cannot be switched off: there is no setting for it (see the sign-in tests).
    assert not any("enumeration" in name for name in Settings.model_fields)


def test_pages_carry_labels_and_the_strict_csp(client: Any) -> None:
    page = client.get("/signup")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    for field in ("name", "email", "phone", "cnic", "address-city", "password"):
        assert f'for="f-{field}"' in page.text and f'id="f-{field}"' in page.text
    assert "<script" not in page.text and "style=" not in page.text
    home = client.get("/")
    assert 'href="/signup"' in home.text and 'href="/signin"' in home.text
