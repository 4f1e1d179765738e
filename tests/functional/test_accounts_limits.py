"""Limits through the real HTTP API and pages, on both databases: wrong second-factor
codes counted per account across sign-ins, and per-address and per-network limits on
the requests that send mail (sign-up, password reset, verification resend)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from amanat.accounts import totp
from amanat.accounts.models import SecurityEvent
from amanat.accounts.throttle import MAIL_NET_PER_WINDOW, MAIL_PER_WINDOW, MAIL_WINDOW
from amanat.comms import service as outbox
from amanat.core.clock import FixedClock
from tests.factories.accounts import PASSWORD, create_customer, signup_data

WRONG = "000000"


@pytest.fixture
def clock(runtime: Any) -> FixedClock:
    fixed = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    runtime.clock = fixed
    return fixed


def _login(client: Any, email: str) -> Any:
    return client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})


def _code(client: Any, code: str) -> Any:
    return client.post("/api/v1/auth/mfa", json={"code": code})


def _security_kinds(runtime: Any) -> list[str]:
    with runtime.uow() as uow:
        return list(uow.session.scalars(select(SecurityEvent.kind)).all())


def _mail_kinds(runtime: Any) -> list[str]:
    with runtime.uow() as uow:
        return [entry.kind for entry in outbox.list_outbox(uow)]


def _enrolled_customer(client: Any, runtime: Any, clock: FixedClock) -> tuple[str, str]:
    data = signup_data()
    create_customer(runtime, **data)
    assert _login(client, data["email"]).json()["status"] == "signed_in"
    secret = client.post("/api/v1/me/mfa/totp").json()["secret"]
    code = totp.code_at(secret, clock.now().timestamp())
    assert client.post("/api/v1/me/mfa/totp/confirm", json={"code": code}).status_code == 200
    assert client.post("/api/v1/auth/logout").status_code == 204
    return data["email"], secret


def test_wrong_codes_count_across_sign_ins_with_growing_delays_then_a_lock(
    client: Any, runtime: Any, clock: FixedClock
) -> None:
    email, secret = _enrolled_customer(client, runtime, clock)
    assert _login(client, email).json()["status"] == "mfa_required"
    assert [_code(client, WRONG).status_code for _ in range(4)] == [401] * 4
    # The fourth wrong code makes the account wait, even for the right code.
    waiting = _code(client, totp.code_at(secret, clock.now().timestamp()))
    assert waiting.status_code == 429
    assert waiting.headers["retry-after"] == "2"
    assert waiting.json()["message"] == (
        "Too many wrong second-factor codes; wait 2 seconds and try again."
    )
    clock.advance(timedelta(seconds=2))
    # The fifth wrong code in this session ends it: the password is asked for again...
    ended = _code(client, WRONG)
    assert ended.status_code == 401 and "sign in again" in ended.json()["message"]
    # ...but a fresh sign-in brings no fresh guesses: the account still waits.
    clock.advance(timedelta(seconds=1))
    assert _login(client, email).json()["status"] == "mfa_required"
    still = _code(client, WRONG)
    assert still.status_code == 429 and still.headers["retry-after"] == "3"
    for failure in range(6, 11):  # each after its wait; the tenth ends the second session
        clock.advance(timedelta(seconds=64))
        wrong = _code(client, WRONG)
        assert wrong.status_code == 401
        assert ("sign in again" in wrong.json()["message"]) == (failure == 10)
    assert _login(client, email).json()["status"] == "mfa_required"
    locked = _code(client, totp.code_at(secret, clock.now().timestamp()))
    assert locked.status_code == 429
    assert locked.json()["message"] == (
        "Too many wrong second-factor codes; wait 15 minutes and try again, or reset your password."
    )
    kinds = _security_kinds(runtime)
    assert kinds.count("mfa.failed") == 10
    assert kinds.count("mfa.account_locked") == 1
    assert "mfa.refused" in kinds
    # After the lock, the right code works and clears the count.
    clock.advance(timedelta(minutes=15))
    assert _code(client, totp.code_at(secret, clock.now().timestamp())).status_code == 200
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert _login(client, email).json()["status"] == "mfa_required"
    clock.advance(timedelta(seconds=30))
    assert [_code(client, WRONG).status_code for _ in range(3)] == [401] * 3  # free again


def test_password_reset_mail_is_limited_per_address_alike_for_known_and_unknown(
    client: Any, runtime: Any, clock: FixedClock
) -> None:
    data = signup_data()
    create_customer(runtime, **data)
    clock.advance(MAIL_WINDOW + timedelta(seconds=1))  # the sign-up's own mail counted before
    answers: dict[str, list[int]] = {}
    for email in (data["email"], "nobody.at.all@example.pk"):
        answers[email] = [
            client.post("/api/v1/auth/password-reset", json={"email": email}).status_code
            for _ in range(MAIL_PER_WINDOW + 1)
        ]
    # The same answers for an account and for no account: the limit enumerates nothing.
    assert answers[data["email"]] == answers["nobody.at.all@example.pk"]
    assert answers[data["email"]] == [202] * MAIL_PER_WINDOW + [429]
    refused = client.post("/api/v1/auth/password-reset", json={"email": data["email"].upper()})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) == int(MAIL_WINDOW.total_seconds())
    assert refused.json()["message"] == (
        "Too many e-mails were requested for this address or from your network; "
        "wait 15 minutes and try again."
    )
    assert data["email"] not in refused.text
    assert _mail_kinds(runtime).count("reset_password") == MAIL_PER_WINDOW
    assert _security_kinds(runtime).count("mail.address_limited") == 2
    clock.advance(MAIL_WINDOW + timedelta(seconds=1))
    again = client.post("/api/v1/auth/password-reset", json={"email": data["email"]})
    assert again.status_code == 202


def test_repeated_sign_ups_for_a_taken_address_mail_its_owner_within_the_limit(
    client: Any, runtime: Any, clock: FixedClock
) -> None:
    data = signup_data()
    create_customer(runtime, **data)
    clock.advance(MAIL_WINDOW + timedelta(seconds=1))
    statuses = []
    for _ in range(MAIL_PER_WINDOW + 1):
        again = signup_data(email=data["email"])
        statuses.append(client.post("/api/v1/signup", json=again).status_code)
    assert statuses == [202] * MAIL_PER_WINDOW + [429]
    # The owner learns of each refused attempt (the mail is kept although the sign-up is
    # refused), and of no more than the limit.
    assert _mail_kinds(runtime).count("signup_attempt") == MAIL_PER_WINDOW


def test_the_portal_limits_verification_resends_and_reset_forms(
    client: Any, runtime: Any, clock: FixedClock
) -> None:
    data = signup_data()
    create_customer(runtime, verified=False, **data)
    assert _login(client, data["email"]).json()["status"] == "signed_in"
    page = client.get("/account")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    statuses = [
        client.post(
            "/account/verify/resend", data={"csrf_token": token}, follow_redirects=False
        ).status_code
        for _ in range(MAIL_PER_WINDOW + 1)
    ]
    # Signing in started the address's count afresh: three resends, then a refusal.
    assert statuses == [303] * MAIL_PER_WINDOW + [429]
    assert _mail_kinds(runtime).count("verify_email") == 1 + MAIL_PER_WINDOW
    form = client.get("/account/reset")
    reset_token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    refused = client.post(
        "/account/reset", data={"csrf_token": reset_token, "email": data["email"]}
    )
    assert refused.status_code == 429 and "Too many e-mails" in refused.text
    assert refused.headers["retry-after"]


def test_one_network_asking_mail_for_many_addresses_is_stopped(
    client: Any, runtime: Any, clock: FixedClock
) -> None:
    for n in range(MAIL_NET_PER_WINDOW):
        sent = client.post("/api/v1/auth/password-reset", json={"email": f"spray.{n}@example.pk"})
        assert sent.status_code == 202
    fresh = client.post("/api/v1/auth/password-reset", json={"email": "spray.new@example.pk"})
    assert fresh.status_code == 429
    assert _security_kinds(runtime).count("mail.network_limited") == 1
