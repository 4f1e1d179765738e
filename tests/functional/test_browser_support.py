"""The support journey in a real browser (Debian's Chromium through Playwright, headless,
against a real HTTPS server): a customer opens a ticket with a card number in it, an
agent answers in the staff console, and the customer sees the answer."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from amanat.core.clock import FixedClock
from tests.factories.accounts import PASSWORD, create_customer, create_staff, signup_data

pytestmark = pytest.mark.browser


def _sign_in(page: Any, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_customer_opens_a_ticket_an_agent_answers_and_the_customer_sees_it(
    browser: Any, live_server: Any
) -> None:
    runtime, url = live_server.runtime, live_server.url
    clock = FixedClock(datetime.now(UTC))
    runtime.clock = clock
    data = signup_data()
    create_customer(runtime, **data)
    agent = create_staff(runtime, "support_agent")

    customer = browser.new_context(ignore_https_errors=True).new_page()
    _sign_in(customer, f"{url}/signin", data["email"])
    customer.get_by_role("heading", name=re.compile("Hello")).wait_for()
    customer.get_by_role("link", name="Support").first.click()
    customer.get_by_role("link", name="Open a ticket").click()
    customer.get_by_label("Subject").fill("Router keeps rebooting")
    customer.get_by_label("Category").select_option("technical")
    customer.get_by_label("Message").fill("It restarts hourly. I paid with 4111 1111 1111 1111.")
    customer.get_by_role("button", name="Send").click()
    heading = customer.get_by_role("heading", name=re.compile(r"T-\d+: Router keeps rebooting"))
    heading.wait_for()
    number = heading.inner_text().split(":")[0]
    assert "We removed a payment card number" in customer.get_by_role("alert").inner_text()
    assert "**** **** **** 1111" in customer.content()
    assert "4111 1111 1111 1111" not in customer.content()

    desk = browser.new_context(ignore_https_errors=True).new_page()
    clock.advance(timedelta(seconds=30))  # the enrolment used this time step's code
    _sign_in(desk, f"{url}/staff/login", agent.email)
    desk.get_by_label("Code").fill(agent.totp_now(runtime))
    desk.get_by_role("button", name="Continue").click()
    desk.goto(f"{url}/staff/support")
    desk.get_by_label("Status").select_option("new")
    desk.get_by_role("button", name="Filter").click()
    desk.get_by_role("link", name=number).click()
    desk.get_by_role("heading", name=f"{number}: Router keeps rebooting").wait_for()
    assert "Canary Testname" in desk.content()  # the name: support may read it
    desk.get_by_label("Reply (the customer is notified by e-mail)").fill(
        "We pushed a firmware fix; please restart the router once."
    )
    desk.get_by_role("button", name="Send reply").click()
    desk.get_by_text("We pushed a firmware fix").wait_for()

    customer.reload()
    customer.get_by_text("We pushed a firmware fix; please restart the router once.").wait_for()
    assert "waiting on customer" in customer.content()
