"""Recovery evicts an intruder (issue 10: F-01, F-06, F-11, F-12, F-14), over HTTP.

The pen test's attack: someone holds a write-scoped API token and a session of a
customer. The owner resets the password; before these fixes the token survived and
changed the e-mail, enrolled the attacker's TOTP and minted fresh 365-day tokens.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from amanat.accounts import totp
from amanat.comms import service as outbox
from amanat.core.clock import FixedClock
from tests.conftest import SAME_ORIGIN
from tests.factories.accounts import (
    PASSWORD,
    create_customer,
    create_staff,
    customer_api_token,
    signup_data,
)

NEW_PASSWORD = "amber falcon river 77"


@pytest.fixture
def clock(runtime: Any) -> FixedClock:
    fixed = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    runtime.clock = fixed
    return fixed


def _browser(client: Any) -> TestClient:
    """Another browser on Amanat's own pages (it sends Sec-Fetch-Site like a real one)."""
    return TestClient(client.app, base_url="https://testserver", headers=SAME_ORIGIN)


def _login(client: Any, email: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def _mails(runtime: Any, kind: str) -> list[tuple[str, str]]:
    """(recipient, body) of every queued mail of ``kind``, newest first."""
    found = []
    with runtime.uow() as uow:
        for entry in outbox.list_outbox(uow):
            if entry.kind == kind:
                message = outbox.show_message(uow, runtime, entry.id)
                found.append((message.recipient, message.body))
        uow.commit()
    return found


def _link(body: str, path: str) -> str:
    return re.search(path + r"(\S+)", body).group(1)  # type: ignore[union-attr]


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_reset_revokes_the_attackers_token_and_session(client: Any, runtime: Any) -> None:
    data = signup_data()
    create_customer(runtime, **data)
    token = customer_api_token(runtime, _customer_id(client, runtime, data["email"]))
    attacker = _browser(client)
    assert _login(attacker, data["email"]).status_code == 200
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200

    client.post("/api/v1/auth/password-reset", json={"email": data["email"]})
    reset = _link(_mails(runtime, "reset_password")[0][1], "/account/reset/")
    page = client.get(f"/account/reset/{reset}")
    done = client.post(
        f"/account/reset/{reset}",
        data={"csrf_token": _csrf(page.text), "password": NEW_PASSWORD},
    )
    assert done.status_code == 200 and "every API token is revoked" in done.text

    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    assert attacker.get("/api/v1/me").status_code == 401
    changed = attacker.post(
        "/api/v1/me/email", json={"email": "attacker@example.com"}, headers=_bearer(token)
    )
    assert changed.status_code == 401
    notice = _mails(runtime, "password_reset_done")
    assert notice and notice[0][0] == data["email"]


def _customer_id(client: Any, runtime: Any, email: str) -> str:
    helper = _browser(client)
    assert _login(helper, email).status_code == 200
    customer_id: str = helper.get("/api/v1/me").json()["id"]
    helper.post("/api/v1/auth/logout")
    return customer_id


def test_a_password_change_revokes_tokens_ends_other_sessions_and_reissues_this_one(
    client: Any, runtime: Any
) -> None:
    data = signup_data()
    create_customer(runtime, **data)
    token = customer_api_token(runtime, _customer_id(client, runtime, data["email"]))
    attacker = _browser(client)
    assert _login(attacker, data["email"]).status_code == 200
    assert _login(client, data["email"]).status_code == 200
    old_cookie = dict(client.cookies)

    ok = client.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert ok.status_code == 204
    assert client.get("/api/v1/me").status_code == 200  # the new cookie works
    replay = _browser(client)
    replay.cookies.update(old_cookie)
    assert replay.get("/api/v1/me").status_code == 401  # the old session id does not
    assert attacker.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    assert _mails(runtime, "password_changed")[0][0] == data["email"]


def test_an_api_token_cannot_change_the_email_second_factor_codes_or_mint_tokens(
    client: Any, runtime: Any
) -> None:
    data = signup_data()
    create_customer(runtime, **data)
    token = customer_api_token(runtime, _customer_id(client, runtime, data["email"]))
    headers = _bearer(token)
    attempts = [
        ("/api/v1/me/email", {"email": "attacker@example.com"}),
        ("/api/v1/me/mfa/totp", None),
        ("/api/v1/me/mfa/totp/confirm", {"code": "123456"}),
        ("/api/v1/me/mfa/recovery-codes", None),
        ("/api/v1/me/mfa/disable", {"password": PASSWORD}),
        ("/api/v1/me/tokens", {"label": "persistence", "scopes": ["write"], "days": 365}),
        ("/api/v1/me/reauth", {"password": PASSWORD}),
    ]
    for path, body in attempts:
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 403, path
        assert "API tokens cannot" in response.json()["message"], path
    assert _mails(runtime, "change_email") == []
    assert client.get("/api/v1/me/tokens", headers=headers).json()[0]["label"] == "test script"


def test_a_session_needs_the_password_again_for_sensitive_changes(
    client: Any, runtime: Any, clock: FixedClock
) -> None:
    data = signup_data()
    create_customer(runtime, **data)
    assert _login(client, data["email"]).status_code == 200
    clock.advance(timedelta(minutes=runtime.settings.reauth_minutes + 1))
    body = {"label": "backup", "scopes": ["read"], "days": 30}
    stale = client.post("/api/v1/me/tokens", json=body)
    assert stale.status_code == 403 and "password" in stale.json()["message"]
    assert client.post("/api/v1/me/email", json={"email": "x@example.com"}).status_code == 403
    assert client.post("/api/v1/me/mfa/totp").status_code == 403

    wrong = client.post("/api/v1/me/reauth", json={"password": "not it at all 1"})
    assert wrong.status_code == 422 and "password" in wrong.json()["fields"]
    assert client.post("/api/v1/me/reauth", json={"password": PASSWORD}).status_code == 204
    assert client.post("/api/v1/me/tokens", json=body).status_code == 201
    assert _mails(runtime, "api_token_created")[0][0] == data["email"]

    # With a second factor on, the password alone is not enough.
    secret = client.post("/api/v1/me/mfa/totp").json()["secret"]
    code = totp.code_at(secret, clock.now().timestamp())
    assert client.post("/api/v1/me/mfa/totp/confirm", json={"code": code}).status_code == 200
    assert _mails(runtime, "mfa_enabled")[0][0] == data["email"]
    clock.advance(timedelta(minutes=runtime.settings.reauth_minutes + 1))
    no_code = client.post("/api/v1/me/reauth", json={"password": PASSWORD})
    assert no_code.status_code == 422 and "code" in no_code.json()["fields"]
    assert client.post("/api/v1/me/mfa/recovery-codes").status_code == 403
    code = totp.code_at(secret, clock.now().timestamp())
    both = client.post("/api/v1/me/reauth", json={"password": PASSWORD, "code": code})
    assert both.status_code == 204
    assert client.post("/api/v1/me/mfa/recovery-codes").status_code == 200
    assert _mails(runtime, "recovery_codes_replaced")[0][0] == data["email"]
    off = client.post("/api/v1/me/mfa/disable", json={"password": PASSWORD})
    assert off.status_code == 204
    assert _mails(runtime, "mfa_disabled")[0][0] == data["email"]


def test_the_old_address_is_told_of_an_email_change_and_its_link_undoes_it(
    client: Any, runtime: Any
) -> None:
    data = signup_data()
    create_customer(runtime, **data)
    token = customer_api_token(runtime, _customer_id(client, runtime, data["email"]))
    assert _login(client, data["email"]).status_code == 200
    assert client.post("/api/v1/me/email", json={"email": "taker@example.com"}).status_code == 202
    confirm = _link(_mails(runtime, "change_email")[0][1], "/account/verify/")
    assert client.post("/api/v1/auth/verify-email", json={"token": confirm}).status_code == 200
    assert client.get("/api/v1/me").json()["email"] == "taker@example.com"
    # A second change asked for before the undo must not survive it.
    assert client.post("/api/v1/me/email", json={"email": "again@example.com"}).status_code == 202
    pending = _link(_mails(runtime, "change_email")[0][1], "/account/verify/")

    to, body = _mails(runtime, "email_changed")[0]
    assert to == data["email"]
    undo = _link(body, "/account/undo-email/")
    visitor = _browser(client)
    form = visitor.get(f"/account/undo-email/{undo}")
    assert form.status_code == 200 and "Put my address back" in form.text
    done = visitor.post("/account/undo-email", data={"csrf_token": _csrf(form.text), "token": undo})
    assert done.status_code == 200 and "every API token is revoked" in done.text

    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    assert client.post("/api/v1/auth/verify-email", json={"token": pending}).status_code == 422
    again = client.post("/api/v1/auth/undo-email-change", json={"token": undo})
    assert again.status_code == 422  # single use
    assert _login(client, "taker@example.com").status_code == 401
    assert _login(client, data["email"]).status_code == 200


def test_email_change_mail_is_throttled_and_carries_no_customer_text(
    client: Any, runtime: Any
) -> None:
    data = signup_data(name="Urgent Visit Evil Example Now")
    create_customer(runtime, **data)
    assert _login(client, data["email"]).status_code == 200
    answers = [
        client.post("/api/v1/me/email", json={"email": "victim@example.com"}).status_code
        for _ in range(4)
    ]
    assert answers == [202, 202, 202, 429]
    mails = _mails(runtime, "change_email")
    assert len(mails) == 3
    assert all("Urgent" not in body and "Evil" not in body for _, body in mails)
    many = [
        client.post("/api/v1/me/email", json={"email": f"v{n}@example.com"}).status_code
        for n in range(20)
    ]
    assert many[-1] == 429  # the per-network limit holds across addresses


def test_password_checks_after_sign_in_use_the_sign_in_counters(
    client: Any, runtime: Any, clock: FixedClock
) -> None:
    data = signup_data()
    create_customer(runtime, **data)
    assert _login(client, data["email"]).status_code == 200
    guesses = [
        client.post(
            "/api/v1/me/password",
            json={"current_password": f"guess number {n}", "new_password": NEW_PASSWORD},
        ).status_code
        for n in range(4)
    ]
    assert guesses == [422, 422, 422, 422]
    oracle = client.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert oracle.status_code == 429 and oracle.headers["retry-after"]
    assert client.post("/api/v1/me/mfa/disable", json={"password": PASSWORD}).status_code == 429
    assert _login(_browser(client), data["email"]).status_code == 429  # the same counters


def _staff_sign_in(client: Any, runtime: Any, clock: FixedClock, handle: Any) -> TestClient:
    browser = _browser(client)
    login = browser.get("/staff/login")
    browser.post(
        "/staff/login",
        data={"csrf_token": _csrf(login.text), "email": handle.email, "password": PASSWORD},
    )
    clock.advance(timedelta(seconds=30))
    mfa_page = browser.get("/staff/login/mfa")
    browser.post(
        "/staff/login/mfa",
        data={"csrf_token": _csrf(mfa_page.text), "code": handle.totp_now(runtime)},
    )
    return browser


def test_staff_change_their_password_and_end_their_sessions(
    client: Any, runtime: Any, clock: FixedClock
) -> None:
    handle = create_staff(runtime, "support_agent")
    other = _staff_sign_in(client, runtime, clock, handle)
    me = _staff_sign_in(client, runtime, clock, handle)
    page = me.get("/staff/account")
    assert page.status_code == 200 and page.text.count("data-session=") == 2
    listed = me.get("/api/v1/staff/me/sessions", headers=_bearer(handle.api_token))
    assert listed.status_code == 200 and len(listed.json()) == 2

    wrong = me.post(
        "/staff/account/password",
        data={"csrf_token": _csrf(page.text), "current_password": "no", "new_password": "x"},
    )
    assert wrong.status_code == 422 and "not right" in wrong.text
    done = me.post(
        "/staff/account/password",
        data={
            "csrf_token": _csrf(page.text),
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
        },
    )
    assert done.status_code == 200 and "every API token is revoked" in done.text
    assert me.get("/staff/account").status_code == 200
    assert other.get("/staff/account", follow_redirects=False).status_code == 303
    gone = me.get("/api/v1/staff/me/sessions", headers=_bearer(handle.api_token))
    assert gone.status_code == 401

    third = _browser(client)
    login = third.get("/staff/login")
    third.post(
        "/staff/login",
        data={"csrf_token": _csrf(login.text), "email": handle.email, "password": NEW_PASSWORD},
    )
    clock.advance(timedelta(seconds=30))
    mfa_page = third.get("/staff/login/mfa")
    third.post(
        "/staff/login/mfa",
        data={"csrf_token": _csrf(mfa_page.text), "code": handle.totp_now(runtime)},
    )
    sessions = me.get("/api/v1/staff/me/sessions").json()
    assert len(sessions) == 2
    newcomer = next(s["id"] for s in sessions if not s["current"])
    assert me.delete(f"/api/v1/staff/me/sessions/{newcomer}").status_code == 204
    assert third.get("/staff/account", follow_redirects=False).status_code == 303
