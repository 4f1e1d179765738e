"""The disclosure journey in a real browser (Debian's Chromium through Playwright, headless,
against a real HTTPS server): a data protection officer registers a request, two other
people approve it, one exports the signed package, the customer sees the disclosure in
their access log, and anyone sees the transparency report (issue 14)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from amanat.core.clock import FixedClock
from amanat.disclosure import service as disclosure
from tests.factories.accounts import (
    PASSWORD,
    StaffHandle,
    create_customer,
    create_staff,
    signup_data,
)

pytestmark = pytest.mark.browser


def _sign_in(page: Any, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _staff(browser: Any, live: Any, clock: FixedClock, handle: StaffHandle) -> Any:
    page = browser.new_context(ignore_https_errors=True, accept_downloads=True).new_page()
    clock.advance(timedelta(seconds=30))  # each code is taken once per time step
    _sign_in(page, f"{live.url}/staff/login", handle.email)
    page.get_by_label("Code").fill(handle.totp_now(live.runtime))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/staff$"))
    return page


def test_register_approve_twice_export_and_the_customer_and_the_public_see_it(
    browser: Any, live_server: Any, tmp_path: Path
) -> None:
    runtime, url = live_server.runtime, live_server.url
    clock = FixedClock(datetime.now(UTC))
    runtime.clock = clock
    data = signup_data()
    customer_id = create_customer(runtime, **data)
    registrar = create_staff(runtime, "data_protection_officer")
    approvers = [create_staff(runtime, "legal"), create_staff(runtime, "data_protection_officer")]
    today = datetime.now(UTC).date()

    dpo = _staff(browser, live_server, clock, registrar)
    dpo.get_by_role("link", name="Disclosure register").first.click()
    dpo.get_by_label("Requesting authority").select_option("fia")
    dpo.get_by_label("Legal instrument (law and provision)").fill("PECA 2016, section 35")
    dpo.get_by_label("Its reference (order, warrant or letter number)").fill("Warrant 17/2025")
    dpo.get_by_label("Received on").fill(today.isoformat())
    dpo.get_by_label("Deadline").fill((today + timedelta(days=14)).isoformat())
    dpo.get_by_label("Period from").fill((today - timedelta(days=90)).isoformat())
    dpo.get_by_label("Period to").fill(today.isoformat())
    for category in ("identity.name", "identity.cnic", "contact.phone"):
        dpo.locator(f'input[name="categories"][value="{category}"]').check()
    dpo.get_by_label(re.compile("Customers named")).fill(data["email"])
    dpo.get_by_role("button", name="Register").click()
    heading = dpo.get_by_role("heading", name=re.compile(r"Request D-\d+"))
    heading.wait_for()
    number = heading.inner_text().removeprefix("Request ").strip()
    assert "approvals 0 of 2" in dpo.content()
    # The registrar's own approval is refused.
    dpo.get_by_role("button", name="Approve").click()
    assert "Nobody approves a request they registered" in dpo.get_by_role("alert").inner_text()

    for i, approver in enumerate(approvers, start=1):
        page = _staff(browser, live_server, clock, approver)
        page.goto(f"{url}/staff/disclosure/{number}")
        assert "Warrant 17/2025" in page.content()
        page.get_by_role("button", name="Approve").click()
        page.get_by_text(f"approvals {i} of 2").wait_for()
    assert page.locator("strong[data-status]").inner_text() == "approved"
    with page.expect_download() as download:
        page.get_by_role("button", name="Export the package").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == f"{number}.zip"
    assert disclosure.verify_package(runtime, saved).intact
    page.goto(f"{url}/staff/disclosure/{number}")
    assert page.locator("strong[data-status]").inner_text() == "disclosed"

    person = browser.new_context(ignore_https_errors=True).new_page()
    _sign_in(person, f"{url}/signin", data["email"])
    person.get_by_role("heading", name=re.compile("Hello")).wait_for()
    person.goto(f"{url}/account/access-log")
    row = person.locator("tr", has_text=number).first
    row.wait_for()
    assert "Disclose data when a law or regulator requires it" in row.inner_text()
    assert "identity.cnic" in row.inner_text()
    del customer_id

    public = browser.new_context(ignore_https_errors=True).new_page()
    public.goto(f"{url}/")
    public.get_by_role("link", name="Transparency report").click()
    public.get_by_role("heading", name="Transparency report").wait_for()
    cell = public.locator('td[data-authority="fia"][data-outcome="disclosed"]').first
    assert cell.inner_text() == "fewer than 10"
