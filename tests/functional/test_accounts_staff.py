"""Staff accounts: `amanat staff add|list|remove`, enrolment by link, MFA-only sign-in,
and the staff API dependency (401/403)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from amanat.accounts import totp
from amanat.app import create_app
from amanat.cli import app as amanat_cli
from amanat.core.actor import Actor
from amanat.core.clock import FixedClock
from amanat.web.caller import api_staff
from tests.factories.accounts import PASSWORD, create_customer, create_staff, customer_api_token


def _env(runtime: Any) -> dict[str, str]:
    settings = runtime.settings
    env = {
        "AMANAT_DATA_DIR": str(settings.data_dir),
        "AMANAT_ENVIRONMENT": "test",
        "COLUMNS": "200",
    }
    if settings.database_url:
        env["AMANAT_DATABASE_URL"] = settings.database_url
    return env


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


@pytest.fixture
def clock(runtime: Any) -> FixedClock:
    fixed = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    runtime.clock = fixed
    return fixed


def test_staff_add_prints_an_enrolment_link_that_sets_password_and_totp(
    runtime: Any, client: Any, clock: FixedClock
) -> None:
    runner = CliRunner()
    bad_role = runner.invoke(
        amanat_cli, ["staff", "add", "agent@example.com", "--role", "wizard"], env=_env(runtime)
    )
    assert bad_role.exit_code == 2 and "support_agent" in bad_role.output
    result = runner.invoke(
        amanat_cli,
        ["staff", "add", "Agent.One@example.com", "--role", "support_agent"],
        env=_env(runtime),
    )
    assert result.exit_code == 0, result.output
    link = re.search(r"https://\S+/staff/enrol/(\S+)", result.output)
    assert link is not None
    token = link.group(1)
    again = runner.invoke(
        amanat_cli,
        ["staff", "add", "agent.one@example.com", "--role", "analyst"],
        env=_env(runtime),
    )
    assert again.exit_code == 2 and "already has a staff account" in again.output

    page = client.get(f"/staff/enrol/{token}")
    assert page.status_code == 200
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)  # type: ignore[union-attr]
    assert 'src="data:image/svg+xml' in page.text
    wrong = client.post(
        f"/staff/enrol/{token}",
        data={"csrf_token": _csrf(page.text), "password": PASSWORD, "code": "123456"},
    )
    assert wrong.status_code == 422
    code = totp.code_at(secret, clock.now().timestamp())
    done = client.post(
        f"/staff/enrol/{token}",
        data={"csrf_token": _csrf(page.text), "password": PASSWORD, "code": code},
    )
    assert done.status_code == 200 and "recovery-codes" in done.text
    assert client.get(f"/staff/enrol/{token}").status_code == 422  # the link is spent

    listed = runner.invoke(amanat_cli, ["staff", "list"], env=_env(runtime))
    assert "agent.one@example.com" in listed.output and "active" in listed.output

    # Sign in: password, then a TOTP code (a fresh step: the enrolment code is spent).
    login = client.get("/staff/login")
    step1 = client.post(
        "/staff/login", data={"csrf_token": _csrf(login.text), "email": "agent.one@example.com", "password": PASSWORD},
        follow_redirects=False,
    )  # fmt: skip
    assert step1.status_code == 303 and step1.headers["location"] == "/staff/login/mfa"
    mfa_page = client.get("/staff/login/mfa")
    clock.advance(timedelta(seconds=30))
    step2 = client.post(
        "/staff/login/mfa", data={"csrf_token": _csrf(mfa_page.text), "code": totp.code_at(secret, clock.now().timestamp())},
        follow_redirects=False,
    )  # fmt: skip
    assert step2.status_code == 303 and step2.headers["location"] == "/staff"
    assert client.get("/staff/outbox").status_code == 200

    # Staff sessions end after 15 idle minutes.
    clock.advance(timedelta(minutes=15, seconds=1))
    expired = client.get("/staff/outbox", follow_redirects=False)
    assert expired.status_code == 303 and expired.headers["location"] == "/staff/login"

    removed = runner.invoke(
        amanat_cli, ["staff", "remove", "agent.one@example.com"], env=_env(runtime)
    )
    assert removed.exit_code == 0
    assert (
        "agent.one@example.com"
        not in runner.invoke(amanat_cli, ["staff", "list"], env=_env(runtime)).output
    )
    missing = runner.invoke(
        amanat_cli, ["staff", "remove", "agent.one@example.com"], env=_env(runtime)
    )
    assert missing.exit_code == 2 and "staff list" in missing.output


def _staff_app(runtime: Any) -> TestClient:
    app = create_app(runtime)

    @app.get("/api/v1/test-only/whoami")
    def whoami(actor: Annotated[Actor, Depends(api_staff)]) -> dict[str, str]:
        return {"id": actor.id, "role": actor.role}

    return TestClient(app, base_url="https://testserver")


def test_api_staff_accepts_staff_tokens_and_refuses_customers_and_strangers(runtime: Any) -> None:
    handle = create_staff(runtime, "billing_officer")
    customer_token = customer_api_token(runtime, create_customer(runtime))
    client = _staff_app(runtime)
    ok = client.get(
        "/api/v1/test-only/whoami", headers={"Authorization": f"Bearer {handle.api_token}"}
    )
    assert ok.json() == {"id": handle.id, "role": "billing_officer"}
    customer = client.get(
        "/api/v1/test-only/whoami", headers={"Authorization": f"Bearer {customer_token}"}
    )
    assert customer.status_code == 403 and "staff account" in customer.json()["message"]
    stranger = client.get("/api/v1/test-only/whoami")
    assert stranger.status_code == 401
    staff_on_customer_api = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {handle.api_token}"}
    )
    assert staff_on_customer_api.status_code == 403


def test_staff_password_alone_opens_nothing(runtime: Any, clock: FixedClock) -> None:
    handle = create_staff(runtime, "support_agent")
    client = _staff_app(runtime)
    login = client.get("/staff/login")
    client.post(
        "/staff/login", data={"csrf_token": _csrf(login.text), "email": handle.email, "password": PASSWORD},
        follow_redirects=False,
    )  # fmt: skip
    pending = client.get("/api/v1/test-only/whoami")
    assert pending.status_code == 403 and "second factor" in pending.json()["message"]
    page = client.get("/staff/outbox", follow_redirects=False)
    assert page.headers["location"] == "/staff/login/mfa"


def test_staff_cannot_read_account_mail_with_sign_in_links(runtime: Any, clock: FixedClock) -> None:
    handle = create_staff(runtime, "support_agent")
    create_customer(runtime)  # its verification mail is account_management mail
    client = _staff_app(runtime)
    login = client.get("/staff/login")
    client.post(
        "/staff/login",
        data={"csrf_token": _csrf(login.text), "email": handle.email, "password": PASSWORD},
    )
    clock.advance(timedelta(seconds=30))
    mfa_page = client.get("/staff/login/mfa")
    client.post(
        "/staff/login/mfa",
        data={"csrf_token": _csrf(mfa_page.text), "code": handle.totp_now(runtime)},
    )
    listing = client.get("/staff/outbox")
    message_id = re.search(r'href="/staff/outbox/([0-9a-f]{32})"', listing.text).group(1)  # type: ignore[union-attr]
    opened = client.get(f"/staff/outbox/{message_id}")
    assert opened.status_code == 403
    assert "account_management" in opened.text
