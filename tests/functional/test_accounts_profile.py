"""The customer's own profile: masked display, changes with per-field errors, e-mail change
re-verified, erasure by crypto-shredding, and the operator's outbox commands."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from amanat.accounts.models import AuthSession, Credential
from amanat.cli import app as amanat_cli
from amanat.comms import service as outbox
from amanat.core.actor import Actor
from amanat.customers import service as customers
from amanat.customers.models import Customer
from amanat.vault.api import VaultError
from tests.factories.accounts import PASSWORD, create_customer, signup_data


def _login(client: Any, email: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def test_profile_shows_cnic_and_phone_masked_and_changes_are_validated(
    client: Any, runtime: Any
) -> None:
    data = signup_data(cnic="35202-7654321-3", phone="0300 7654321")
    create_customer(runtime, **data)
    _login(client, data["email"])
    me = client.get("/api/v1/me").json()
    assert me["cnic"] == "*****-***4321-*"  # neither locality (35202) nor the sex digit (3)
    assert me["phone"] == "+92 *** ***4321"
    bad = client.patch(
        "/api/v1/me",
        json={"phone": "12", "address": {"line1": "x", "city": "", "province": "Nowhere"}},
    )
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"phone", "address.city", "address.province"}
    good = client.patch(
        "/api/v1/me",
        json={
            "name": "Canary Renamed",
            "address": {"line1": "House 9", "city": "Lahore", "province": "Punjab"},
        },
    )
    assert good.status_code == 200
    assert (
        good.json()["name"] == "Canary Renamed" and good.json()["address"]["province"] == "Punjab"
    )


def _sms_code(runtime: Any, customer_id: str) -> tuple[str, str]:
    """The newest code texted for this customer, and the number it went to."""
    with runtime.uow() as uow:
        for entry in outbox.list_outbox(uow, limit=500):
            if entry.customer_id == customer_id and entry.kind == "phone_code":
                message = outbox.show_message(uow, runtime, entry.id)
                uow.commit()
                return re.search(r"code is (\d{6})", message.body).group(1), message.recipient  # type: ignore[union-attr]
    raise AssertionError("no code in the outbox")


def _answer(response: Any) -> tuple[int, str, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k not in {"date", "x-request-id"}}
    return response.status_code, response.text, headers


def test_a_new_phone_answers_the_same_for_any_number_and_is_set_only_by_its_code(
    client: Any, runtime: Any
) -> None:
    """F-05: PATCH /me used to answer "This phone number cannot be used" for a number held
    by another account, at once and unthrottled."""
    other = signup_data(phone="0300 1112233")
    create_customer(runtime, **other)
    data = signup_data()
    customer_id = create_customer(runtime, **data)
    _login(client, data["email"])
    taken = client.patch("/api/v1/me", json={"phone": "0300 1112233"})
    free = client.patch("/api/v1/me", json={"phone": "0300 4445566"})
    assert _answer(taken) == _answer(free)
    assert free.status_code == 200 and free.json()["phone_verification"] == "sent"
    assert (
        client.get("/api/v1/me").json()["phone"]
        == data["phone"][:3] + " *** ***" + data["phone"][-4:]
    )
    code, recipient = _sms_code(runtime, customer_id)
    assert recipient == "+923004445566"  # a new code voids the last one
    wrong = client.post(
        "/api/v1/me/phone/confirm",
        json={"phone": "0300 4445566", "code": "000000" if code != "000000" else "111111"},
    )
    assert wrong.status_code == 422
    confirmed = client.post(
        "/api/v1/me/phone/confirm", json={"phone": "0300 4445566", "code": code}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["phone"].endswith("5566")


def test_a_confirmed_number_held_by_another_account_is_refused_naming_none(
    client: Any, runtime: Any
) -> None:
    other = signup_data(phone="0300 2223344")
    other_id = create_customer(runtime, **other)
    data = signup_data()
    customer_id = create_customer(runtime, **data)
    _login(client, data["email"])
    assert client.patch("/api/v1/me", json={"phone": "0300 2223344"}).status_code == 200
    code, _ = _sms_code(runtime, customer_id)
    held = client.post("/api/v1/me/phone/confirm", json={"phone": "0300 2223344", "code": code})
    assert held.status_code == 409
    assert held.json()["message"] == customers.PHONE_HELD
    assert other_id not in held.text and other["email"] not in held.text


def test_phone_codes_are_throttled_and_five_wrong_ones_void_the_code(
    client: Any, runtime: Any
) -> None:
    data = signup_data()
    customer_id = create_customer(runtime, **data)
    _login(client, data["email"])
    answers = [
        client.patch("/api/v1/me", json={"phone": "0300 5556677"}).status_code for _ in range(4)
    ]
    assert answers == [200, 200, 200, 429]
    code, _ = _sms_code(runtime, customer_id)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        body = {"phone": "0300 5556677", "code": wrong}
        assert client.post("/api/v1/me/phone/confirm", json=body).status_code == 422
    late = client.post("/api/v1/me/phone/confirm", json={"phone": "0300 5556677", "code": code})
    assert late.status_code == 422  # the code was voided by the fifth wrong one


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def test_the_profile_page_confirms_a_new_phone_by_the_code_texted_to_it(
    client: Any, runtime: Any
) -> None:
    """The page sent a code to a new number but had no form to enter it, so a customer
    without the API could never change their phone."""
    data = signup_data()
    customer_id = create_customer(runtime, **data)
    _login(client, data["email"])
    page = client.get("/account/profile")
    assert 'action="/account/phone/confirm"' in page.text
    profile = client.get("/api/v1/me").json()
    form = {
        "csrf_token": _csrf(page.text), "name": profile["name"], "phone": "0300 6667788",
        "address.line1": profile["address"]["line1"], "address.city": profile["address"]["city"],
        "address.province": profile["address"]["province"],
    }  # fmt: skip
    sent = client.post("/account/profile", data=form)
    assert sent.status_code == 200 and "We sent a code by SMS" in sent.text
    code, _ = _sms_code(runtime, customer_id)
    confirm = {"csrf_token": _csrf(sent.text), "pending_phone": "0300 6667788"}
    unsigned = {"pending_phone": "0300 6667788", "code": code}
    assert client.post("/account/phone/confirm", data=unsigned).status_code == 403
    wrong = client.post(
        "/account/phone/confirm", data=confirm | {"code": "000000" if code != "000000" else "1"}
    )
    assert wrong.status_code == 422
    assert re.search(r'id="e-code">This code is not right', wrong.text)
    assert client.get("/api/v1/me").json()["phone"].endswith(data["phone"][-4:])
    confirmed = client.post("/account/phone/confirm", data=confirm | {"code": code})
    assert confirmed.status_code == 200, confirmed.text
    assert "Your new phone number is confirmed." in confirmed.text
    assert "+92 *** ***7788" in confirmed.text
    assert client.get("/api/v1/me").json()["phone"] == "+92 *** ***7788"


def test_email_change_takes_effect_only_through_the_link_sent_to_the_new_address(
    client: Any, runtime: Any
) -> None:
    data = signup_data()
    create_customer(runtime, **data)
    _login(client, data["email"])
    assert (
        client.post("/api/v1/me/email", json={"email": "New.Canary@example.com"}).status_code == 202
    )
    assert client.get("/api/v1/me").json()["email"] == data["email"]  # unchanged until confirmed
    with runtime.uow() as uow:
        entry = next(e for e in outbox.list_outbox(uow) if e.kind == "change_email")
        message = outbox.show_message(uow, runtime, entry.id)
        uow.commit()
    assert message.recipient == "new.canary@example.com"
    token = re.search(r"/account/verify/(\S+)", message.body).group(1)  # type: ignore[union-attr]
    assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 200
    assert client.get("/api/v1/me").json()["email"] == "new.canary@example.com"
    client.cookies.clear()
    assert _login(client, data["email"]).status_code == 401
    assert _login(client, "new.canary@example.com").status_code == 200


def test_erasure_clears_fields_indexes_and_credentials_and_destroys_the_key(runtime: Any) -> None:
    data = signup_data()
    customer_id = create_customer(runtime, **data)
    with runtime.uow() as uow:
        ciphertext = uow.session.get(Customer, customer_id).name_ct  # type: ignore[union-attr]
    with runtime.uow() as uow:
        customers.erase_customer(uow, runtime, Actor.system("tests"), customer_id)
        uow.commit()
    with runtime.uow() as uow:
        row = uow.session.get(Customer, customer_id)
        assert row is not None and row.status == "erased"
        assert row.name_ct is None and row.email_bidx is None and row.cnic_bidx is None
        assert uow.session.get(Credential, customer_id) is None
        assert (
            uow.session.scalar(
                select(AuthSession.id).where(AuthSession.principal_id == customer_id)
            )
            is None
        )
    with pytest.raises(VaultError):
        runtime.vault.decrypt(customer_id, "customers", "name_ct", customer_id, ciphertext)
    # The same e-mail, phone and CNIC may be used for a new account.
    create_customer(runtime, **data)


def test_outbox_list_and_show_for_the_operator(runtime: Any) -> None:
    create_customer(runtime, verified=False)
    env = {
        "AMANAT_DATA_DIR": str(runtime.settings.data_dir),
        "AMANAT_ENVIRONMENT": "test",
        "COLUMNS": "200",
    }
    if runtime.settings.database_url:
        env["AMANAT_DATABASE_URL"] = runtime.settings.database_url
    runner = CliRunner()
    listed = runner.invoke(amanat_cli, ["outbox", "list"], env=env)
    assert listed.exit_code == 0 and "verify_email" in listed.output
    assert "example.pk" not in listed.output  # the list shows no content
    message_id = re.search(r"\b([0-9a-f]{32})\b", listed.output).group(1)  # type: ignore[union-attr]
    shown = runner.invoke(amanat_cli, ["outbox", "show", message_id], env=env)
    assert (
        shown.exit_code == 0 and "/account/verify/" in shown.output and "example.pk" in shown.output
    )
    missing = runner.invoke(amanat_cli, ["outbox", "show", "0" * 32], env=env)
    assert missing.exit_code == 2 and "outbox list" in missing.output
