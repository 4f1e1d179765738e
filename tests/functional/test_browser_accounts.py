"""The portal's main journey in a real browser (Debian's Chromium through Playwright,
headless, against a real HTTPS server): sign up, verify through the outbox link, sign in,
enrol MFA, sign out, sign in with a TOTP code, and end the other session."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from amanat.accounts import totp
from amanat.comms import service as outbox
from amanat.core.clock import FixedClock
from tests.factories.accounts import signup_data

pytestmark = pytest.mark.browser


def _outbox_link(runtime: Any, kind: str) -> str:
    with runtime.uow() as uow:
        for entry in outbox.list_outbox(uow):
            if entry.kind == kind:
                body = outbox.show_message(uow, runtime, entry.id).body
                uow.commit()
                return re.search(r"https://\S+", body).group(0)  # type: ignore[union-attr]
    raise AssertionError(f"no {kind} mail in the outbox")


def _sign_in(page: Any, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/signin")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_up_verify_sign_in_enrol_mfa_and_revoke_the_other_session(
    browser: Any, live_server: Any
) -> None:
    runtime = live_server.runtime
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    runtime.clock = clock
    url = live_server.url
    data = signup_data()
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()

    # Sign up through the form.
    page.goto(f"{url}/")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Full name").fill(data["name"])
    page.get_by_label("E-mail address").fill(data["email"])
    page.get_by_label("Mobile or landline").fill(data["phone"])
    page.get_by_label("CNIC").fill(data["cnic"])
    page.get_by_label("House and street").fill(data["address"]["line1"])
    page.get_by_label("City").fill(data["address"]["city"])
    page.get_by_label("Province or territory").select_option(data["address"]["province"])
    page.get_by_label("Password").fill("password1234")  # refused, with the reason next to it
    page.get_by_role("button", name="Create account").click()
    assert "commonly used password" in page.locator("#e-password").inner_text()
    assert page.get_by_label("E-mail address").input_value() == data["email"]  # kept
    page.get_by_label("Password").fill(data["password"])
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()

    # Verify through the link in the outbox.
    page.goto(_outbox_link(runtime, "verify_email"))
    page.get_by_role("button", name="Confirm my e-mail address").click()
    page.get_by_role("heading", name="E-mail address verified").wait_for()

    # Sign in and enrol the authenticator app.
    _sign_in(page, url, data["email"], data["password"])
    page.get_by_role("heading", name=re.compile("Hello")).wait_for()
    page.get_by_role("link", name="Security").first.click()
    page.get_by_role("button", name="Set up an authenticator app").click()
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from the app").fill(totp.code_at(secret, clock.now().timestamp()))
    page.get_by_role("button", name="Turn on").click()
    recovery_codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(recovery_codes) == 10

    # Sign out, then sign in again: the password alone is not enough.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    _sign_in(page, url, data["email"], data["password"])
    page.get_by_role("heading", name="Enter your code").wait_for()
    clock.advance(timedelta(seconds=30))
    page.get_by_label("Code").fill(totp.code_at(secret, clock.now().timestamp()))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name=re.compile("Hello")).wait_for()

    # A second browser signs in too (with a recovery code) ...
    other = browser.new_context(ignore_https_errors=True)
    other_page = other.new_page()
    _sign_in(other_page, url, data["email"], data["password"])
    other_page.get_by_label("Code").fill(recovery_codes[0])
    other_page.get_by_role("button", name="Continue").click()
    other_page.get_by_role("heading", name=re.compile("Hello")).wait_for()

    # ... and the first one sees both sessions and ends the other.
    page.goto(f"{url}/account/security")
    rows = page.locator("tr[data-session]")
    assert rows.count() == 2
    assert "127.0.0.0/24" in page.locator("table").first.inner_text()
    page.get_by_role("button", name="End", exact=True).click()
    assert page.locator("tr[data-session]").count() == 1
    other_page.goto(f"{url}/account")
    other_page.get_by_role("heading", name="Sign in").wait_for()
    assert other_page.url.endswith("/signin")
    other.close()
    context.close()
