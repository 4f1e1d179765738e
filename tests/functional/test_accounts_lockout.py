"""Sign-in throttling through the real HTTP API: nobody who merely knows an address can
lock its owner out (F-13, ASVS 2.2.1), and one network failing against many accounts is
stopped (the per-network lock) whatever the account."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from amanat.accounts.throttle import LOCK_FROM, NET_LIMIT
from amanat.comms import service as outbox
from amanat.core.clock import FixedClock
from tests.conftest import SAME_ORIGIN
from tests.factories.accounts import PASSWORD, create_customer, signup_data

WRONG = "wrong wrong wrong 1"


@pytest.fixture
def clock(runtime: Any) -> FixedClock:
    fixed = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    runtime.clock = fixed
    return fixed


@contextmanager
def _browser(client: Any, ip: str) -> Iterator[Any]:
    """Another browser, with its own cookies, on another network address."""
    with client.__class__(
        client.app, base_url="https://testserver", client=(ip, 50000), headers=SAME_ORIGIN
    ) as other:
        yield other


def _login(browser: Any, email: str, password: str = PASSWORD) -> Any:
    return browser.post("/api/v1/auth/login", json={"email": email, "password": password})


def _exhaust(browser: Any, clock: FixedClock, email: str) -> None:
    """Wrong passwords until the account-wide 15-minute wait, waiting out each delay."""
    for _ in range(LOCK_FROM):
        answer = _login(browser, email, WRONG)
        if answer.status_code == 429:
            clock.advance(timedelta(seconds=int(answer.headers["retry-after"])))
            answer = _login(browser, email, WRONG)
        assert answer.status_code == 401, (answer.headers.get("retry-after"), answer.text)


def test_an_attacker_cannot_lock_the_owner_out_of_a_device_they_used_before(
    client: Any, runtime: Any, clock: FixedClock
) -> None:
    data = signup_data()
    create_customer(runtime, **data)
    with _browser(client, "192.0.2.10") as owner, _browser(client, "198.51.100.66") as attacker:
        assert _login(owner, data["email"]).status_code == 200  # the device is remembered
        assert owner.post("/api/v1/auth/logout").status_code == 204
        _exhaust(attacker, clock, data["email"])
        # The attacker, even with the right password, waits 15 minutes ...
        held = _login(attacker, data["email"])
        assert held.status_code == 429 and "15 minutes" in held.json()["message"]
        with _browser(client, "192.0.2.11") as new_phone:
            # The owner on a new browser is told how to get in ...
            fresh = _login(new_phone, data["email"])
            assert fresh.status_code == 429
            assert "device you have used before" in fresh.json()["message"]
            assert "reset your password" in fresh.json()["message"]
            # ... and the browser they used before is not held by the attacker's failures.
            assert _login(owner, data["email"]).status_code == 200
            # Without such a device, a password reset by e-mail opens the account too.
            _exhaust(attacker, clock, data["email"])
            assert _login(new_phone, data["email"]).status_code == 429
            reset = new_phone.post("/api/v1/auth/password-reset", json={"email": data["email"]})
            assert reset.status_code == 202
            token = re.search(r"/account/reset/(\S+)", _latest(runtime, "reset_password"))
            assert token is not None
            new_password = "amber falcon river 77"
            done = new_phone.post(
                "/api/v1/auth/password-reset/complete",
                json={"token": token.group(1), "password": new_password},
            )
            assert done.status_code == 200
            assert _login(new_phone, data["email"], new_password).status_code == 200


def test_a_device_cookie_from_before_a_password_reset_no_longer_passes(
    client: Any, runtime: Any, clock: FixedClock
) -> None:
    data = signup_data()
    create_customer(runtime, **data)
    with _browser(client, "192.0.2.20") as stolen:
        assert _login(stolen, data["email"]).status_code == 200
        cookie = dict(stolen.cookies)
    with runtime.uow() as uow:
        from amanat.accounts.models import Credential
        from amanat.customers import service as customers

        found = customers.find_by_email(uow, runtime, data["email"])
        assert found is not None
        credential = uow.session.get(Credential, found.id)
        assert credential is not None
        credential.password_changed_at = clock.now()  # as a reset or change does
        uow.commit()
    with _browser(client, "198.51.100.67") as attacker:
        _exhaust(attacker, clock, data["email"])
        attacker.cookies.update(cookie)
        assert _login(attacker, data["email"]).status_code == 429


def test_one_network_failing_against_many_accounts_is_locked_at_sign_in(
    client: Any, runtime: Any, clock: FixedClock
) -> None:
    """The per-network lock through the real sign-in route: one failure per account, so
    no account's own count stops the spray; the network's does."""
    victim = signup_data()
    create_customer(runtime, **victim)
    with _browser(client, "203.0.113.9") as sprayer:
        for n in range(NET_LIMIT):
            assert _login(sprayer, f"spray.{n}@example.pk", WRONG).status_code == 401
        stopped = _login(sprayer, victim["email"])  # even the right password, another account
        assert stopped.status_code == 429
        assert int(stopped.headers["retry-after"]) == 15 * 60
        assert "wait 15 minutes" in stopped.json()["message"]
    with _browser(client, "192.0.2.30") as elsewhere:
        assert _login(elsewhere, victim["email"]).status_code == 200


def _latest(runtime: Any, kind: str) -> str:
    with runtime.uow() as uow:
        for entry in outbox.list_outbox(uow):
            if entry.kind == kind:
                body = outbox.show_message(uow, runtime, entry.id).body
                uow.commit()
                return body
    raise AssertionError(f"no {kind} mail")
