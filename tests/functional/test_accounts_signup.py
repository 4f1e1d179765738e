"""Sign-up through the real HTTP API: validation, duplicates without enumeration, verification."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from amanat.accounts.models import ActionToken
from amanat.comms import service as outbox
from amanat.customers import service as customers
from amanat.customers.models import Customer
from tests.factories.accounts import create_customer, signup_data


def _customer_id(runtime: Any, email: str) -> str:
    with runtime.uow() as uow:
        found = customers.find_by_email(uow, runtime, email.casefold())
        assert found is not None, "no account for this address"
        return found.id


def _verification_token(runtime: Any, customer_id: str) -> str:
    """The token from the verification link in the customer's outbox (as a person would click)."""
    with runtime.uow() as uow:
        for entry in outbox.list_outbox(uow):
            if entry.customer_id == customer_id and entry.kind == "verify_email":
                body = outbox.show_message(uow, runtime, entry.id).body
                uow.commit()
                return body.split("/account/verify/", 1)[1].split()[0]
    raise AssertionError("no verification mail in the outbox")


def test_signup_returns_202_stores_ciphertext_only_and_queues_a_verification_link(
    client: Any, runtime: Any
) -> None:
    data = signup_data(name="Canary Testname", cnic="35202-7654321-3")
    response = client.post("/api/v1/signup", json=data)
    assert response.status_code == 202, response.text
    assert "customer_id" not in response.json()
    customer_id = _customer_id(runtime, data["email"])

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
    assert ok.status_code == 202


def _answer(response: Any) -> tuple[int, str, dict[str, str]]:
    """Everything a caller sees of an answer, but what differs on every request."""
    headers = {k: v for k, v in response.headers.items() if k not in {"date", "x-request-id"}}
    return response.status_code, response.text, headers


def _attempt_mails(runtime: Any, customer_id: str) -> list[str]:
    with runtime.uow() as uow:
        bodies = [
            outbox.show_message(uow, runtime, entry.id).body
            for entry in outbox.list_outbox(uow, limit=500)
            if entry.customer_id == customer_id and entry.kind == "signup_attempt"
        ]
        uow.commit()
    return bodies


def test_a_taken_email_phone_or_cnic_gets_the_same_answer_as_a_new_account(
    client: Any, runtime: Any
) -> None:
    """F-05: sign-up used to answer 409 for a registered e-mail, phone or CNIC."""
    owner = signup_data()
    owner_id = create_customer(runtime, **owner)
    fresh = client.post("/api/v1/signup", json=signup_data())
    assert fresh.status_code == 202, fresh.text
    with runtime.uow() as uow:
        before = uow.session.query(Customer).count()
    for field, value, what in (
        ("email", owner["email"].upper(), "e-mail address"),  # case-folded for uniqueness
        ("phone", "0" + owner["phone"].replace("+92 ", "").replace(" ", ""), "phone number"),
        ("cnic", owner["cnic"].replace("-", ""), "CNIC"),  # bare digits
    ):
        taken = client.post("/api/v1/signup", json=signup_data(**{field: value}))
        assert _answer(taken) == _answer(fresh), field
        with runtime.uow() as uow:
            assert uow.session.query(Customer).count() == before, field  # nothing created
        # The holder, and only the holder, hears of it, told which of their details it was.
        assert any(f"with your {what}," in body for body in _attempt_mails(runtime, owner_id))
    assert len(_attempt_mails(runtime, owner_id)) == 3


def test_the_signup_page_answers_the_same_for_a_taken_cnic(client: Any, runtime: Any) -> None:
    owner = signup_data()
    create_customer(runtime, **owner)

    def submit(data: dict[str, Any]) -> Any:
        page = client.get("/signup")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        form = {k: v for k, v in data.items() if k != "address"}
        form.update({f"address.{k}": v for k, v in data["address"].items()})
        return client.post("/signup", data={**form, "csrf_token": token})

    fresh, taken = submit(signup_data()), submit(signup_data(cnic=owner["cnic"]))
    assert fresh.status_code == taken.status_code == 202
    assert fresh.text.split("<main", 1)[1] == taken.text.split("<main", 1)[1]


def test_signup_refuses_a_twelve_digit_cnic_over_http(client: Any, runtime: Any) -> None:
    data = signup_data(cnic="35202-987654-7")
    response = client.post("/api/v1/signup", json=data)
    assert response.status_code == 422
    assert "13 digits" in response.json()["fields"]["cnic"]
    assert "987654" not in response.text
    bare = client.post("/api/v1/signup", json=signup_data(cnic="352021234567"))
    assert bare.status_code == 422 and set(bare.json()["fields"]) == {"cnic"}
    with runtime.uow() as uow:
        assert customers.find_by_email(uow, runtime, data["email"]) is None


def test_a_cyrillic_lookalike_email_cannot_become_a_second_account(
    client: Any, runtime: Any
) -> None:
    owner = signup_data(email="paul.canary@example.com")
    create_customer(runtime, **owner)
    lookalike = signup_data(email="\u0440\u0430ul.canary@example.com")  # Cyrillic р and а
    response = client.post("/api/v1/signup", json=lookalike)
    assert response.status_code == 422
    assert "alphabet" in response.json()["fields"]["email"]
    with runtime.uow() as uow:
        assert uow.session.query(Customer).count() == 1
    # Nor can the look-alike sign in to anything.
    login = client.post(
        "/api/v1/auth/login", json={"email": lookalike["email"], "password": owner["password"]}
    )
    assert login.status_code == 401
