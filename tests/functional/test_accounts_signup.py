"""Sign-up through the real HTTP API: validation, duplicates without enumeration, verification."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from amanat.accounts.models import ActionToken
from amanat.comms import service as outbox
from amanat.customers.models import Customer
from tests.factories.accounts import signup_data


def _verification_token(runtime: Any, customer_id: str) -> str:
    """The token from the verification link in the customer's outbox (as a person would click)."""
    with runtime.uow() as uow:
        for entry in outbox.list_outbox(uow):
            if entry.customer_id == customer_id and entry.kind == "verify_email":
                body = outbox.show_message(uow, runtime, entry.id).body
                uow.commit()
                return body.split("/account/verify/", 1)[1].split()[0]
    raise AssertionError("no verification mail in the outbox")


def test_signup_returns_201_stores_ciphertext_only_and_queues_a_verification_link(
    client: Any, runtime: Any
) -> None:
    data = signup_data(name="Canary Testname", cnic="35202-7654321-3")
    response = client.post("/api/v1/signup", json=data)
    assert response.status_code == 201, response.text
    customer_id = response.json()["customer_id"]

    with runtime.uow() as uow:
        customer = uow.session.get(Customer, customer_id)
        assert customer is not None and customer.email_verified_at is None
        raw = uow.session.execute(
            text("SELECT name_ct, email_ct, phone_ct, cnic_ct, address_ct FROM customers")
        ).one()
        for value in raw:
            assert b"Canary" not in value and b"7654321" not in value and b"example.pk" not in value

    token = _verification_token(runtime, customer_id)
    assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 200
    with runtime.uow() as uow:
        assert uow.session.get(Customer, customer_id).email_verified_at is not None  # type: ignore[union-attr]
    # Single use: the same link cannot be spent twice.
    again = client.post("/api/v1/auth/verify-email", json={"token": token})
    assert again.status_code == 422
    assert "not valid any more" in again.json()["message"]


def test_signup_reports_each_bad_field_with_an_actionable_message_and_stores_nothing(
    client: Any, runtime: Any
) -> None:
    data = signup_data(
        name=" ",
        email="not-an-email",
        phone="99-9",
        cnic="3520-1234567-1",
        address={"line1": "", "city": "", "province": "Atlantis", "postal_code": "abc"},
        password="password",
    )
    response = client.post("/api/v1/signup", json=data)
    assert response.status_code == 422
    fields = response.json()["fields"]
    assert set(fields) == {
        "name", "email", "phone", "cnic", "address.line1", "address.city",
        "address.province", "address.postal_code", "password",
    }  # fmt: skip
    assert "13 digits" in fields["cnic"]
    assert "Punjab" in fields["address.province"]
    for message in fields.values():
        assert "not-an-email" not in message and "99-9" not in message
    with runtime.uow() as uow:
        assert uow.session.scalar(select(Customer.id)) is None
        assert uow.session.scalar(select(ActionToken.id)) is None


def test_business_signup_needs_company_and_ntn_in_published_format(client: Any) -> None:
    response = client.post(
        "/api/v1/signup", json=signup_data(kind="business", company="", ntn="12-34")
    )
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"company", "ntn"}
    ok = client.post("/api/v1/signup", json=signup_data(kind="business", ntn="12345678"))
    assert ok.status_code == 201


def test_duplicate_email_phone_or_cnic_is_refused_without_naming_which(client: Any) -> None:
    first = signup_data()
    assert client.post("/api/v1/signup", json=first).status_code == 201
    messages = set()
    for field, value in (
        ("email", first["email"].upper()),  # case-folded for uniqueness
        (
            "phone",
            "0" + first["phone"].replace("+92 ", "").replace(" ", ""),
        ),  # same number, local form
        ("cnic", first["cnic"].replace("-", "")),  # bare digits
    ):
        response = client.post("/api/v1/signup", json=signup_data(**{field: value}))
        assert response.status_code == 409, (field, response.text)
        body = response.json()
        assert "fields" not in body
        messages.add(body["message"])
    assert len(messages) == 1  # the same sentence whichever value was taken
    (message,) = messages
    for word in ("e-mail", "phone", "CNIC"):
        assert word not in message
