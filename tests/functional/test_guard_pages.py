"""The staff console at /staff and the customer's /account/access-log page, as browsers
without JavaScript use them (forms, cookies, CSRF)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from amanat.core.clock import FixedClock
from amanat.runtime import Runtime
from tests.factories.accounts import PASSWORD, create_customer, create_staff

EMAIL = "console.canary@example.pk"


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


@pytest.fixture
def clock(runtime: Runtime) -> FixedClock:
    fixed = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    runtime.clock = fixed
    return fixed


def staff_sign_in(client: Any, runtime: Runtime, clock: FixedClock, handle: Any) -> None:
    login = client.get("/staff/login")
    client.post(
        "/staff/login", data={"csrf_token": csrf(login.text), "email": handle.email, "password": PASSWORD},
        follow_redirects=False,
    )  # fmt: skip
    mfa = client.get("/staff/login/mfa")
    clock.advance(timedelta(seconds=30))  # the enrolment code is spent; take the next one
    done = client.post(
        "/staff/login/mfa", data={"csrf_token": csrf(mfa.text), "code": handle.totp_now(runtime)},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/staff"


def test_the_console_searches_by_post_and_shows_only_what_the_purpose_allows(
    client: Any, runtime: Runtime, clock: FixedClock
) -> None:
    customer = create_customer(runtime, email=EMAIL)
    officer = create_staff(runtime, "security_officer")
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/login"
    staff_sign_in(client, runtime, clock, officer)

    console = client.get("/staff")
    assert console.status_code == 200
    assert "Staff console" in console.text and "security_officer" in console.text
    assert "valid until" in console.text  # the caller's training
    assert "<script" not in console.text

    no_purpose = client.post(
        "/staff/customers/search",
        data={"csrf_token": csrf(console.text), "kind": "email", "identifier": EMAIL},
    )
    assert no_purpose.status_code == 400
    assert "may act for: security, emergency" in no_purpose.text

    found = client.post(
        "/staff/customers/search",
        data={"csrf_token": csrf(console.text), "kind": "email", "identifier": EMAIL,
              "purpose": "security"},
    )  # fmt: skip
    assert found.status_code == 200, found.text
    assert customer in found.text and EMAIL in found.text
    assert "Canary Testname" not in found.text  # security does not read names
    assert EMAIL not in str(found.url)

    refused = client.post(
        "/staff/customers/search",
        data={"csrf_token": csrf(console.text), "kind": "email", "identifier": EMAIL,
              "purpose": "emergency"},
    )  # fmt: skip
    assert refused.status_code == 403 and "write down why" in refused.text

    forged = client.post(
        "/staff/customers/search",
        data={"csrf_token": "forged", "kind": "email", "identifier": EMAIL, "purpose": "security"},
    )
    assert forged.status_code in (400, 403) and EMAIL not in forged.text


def test_the_customer_reads_their_access_log_page(
    client: Any, runtime: Runtime, clock: FixedClock
) -> None:
    customer = create_customer(runtime, email=EMAIL)
    officer = create_staff(runtime, "security_officer")
    read = client.get(
        f"/api/v1/customers/{customer}",
        headers={"Authorization": f"Bearer {officer.api_token}", "X-Access-Purpose": "security"},
    )
    assert read.status_code == 200
    assert client.get("/account/access-log", follow_redirects=False).status_code == 303
    signin = client.get("/signin")
    client.post(
        "/signin", data={"csrf_token": csrf(signin.text), "email": EMAIL, "password": PASSWORD}
    )
    page = client.get("/account/access-log")
    assert page.status_code == 200
    assert "Who accessed your data" in page.text
    assert re.search(r"Security officer #\d+", page.text)
    assert "Keep our services and your account secure" in page.text  # the purpose's title
    assert officer.email not in page.text
    assert 'href="/account/access-log"' in client.get("/account").text
