"""The sandbox processor as its own process: hosted page, test cards, signed webhooks.

Amanat is not involved here: a plain HTTP receiver stands in for the merchant, so these
tests pin down the processor's side of the contract (what it signs, retries, reorders).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from amanat.psp.cards import APPROVED, DECLINED, brand_of, luhn_valid
from tests.factories.billing import (
    PSP_WEBHOOK_SECRET,
    Psp,
    Receiver,
    sandbox_psp,
    webhook_receiver,
)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as r:
        yield r


@pytest.fixture
def psp(tmp_path: Path, receiver: Receiver) -> Iterator[Psp]:
    with sandbox_psp(tmp_path / "data", receiver.url) as p:
        yield p


def _checkout(psp: Psp, amount: int = 150_000) -> dict[str, Any]:
    with psp.client() as c:
        response = c.post(
            "/v1/checkout/sessions",
            json={
                "amount": amount,
                "currency": "PKR",
                "reference": "inv-ref-1",
                "description": "Invoice INV-2025-26-000001",
                "success_url": "https://merchant.example.pk/done",
                "cancel_url": "https://merchant.example.pk/cancel",
            },
        )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _pay(url: str, number: str, cvc: str = "123") -> httpx.Response:
    page = httpx.get(url)
    assert page.status_code == 200
    assert "SANDBOX" in page.text
    return httpx.post(
        url, data={"number": number, "exp_month": "12", "exp_year": "2099", "cvc": cvc}
    )


def _verify(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    header = {k.lower(): v for k, v in headers.items()}["psp-signature"]
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(
        PSP_WEBHOOK_SECRET.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    return dict(json.loads(body))


def test_published_test_numbers_are_luhn_valid_and_branded() -> None:
    for number, brand in APPROVED.items():
        assert luhn_valid(number)
        assert brand_of(number) == brand
    assert all(luhn_valid(n) for n in DECLINED)


def test_merchant_api_needs_the_key(psp: Psp) -> None:
    response = httpx.post(f"{psp.url}/v1/checkout/sessions", json={})
    assert response.status_code == 401


def test_approved_card_redirects_and_sends_signed_webhooks(psp: Psp, receiver: Receiver) -> None:
    session = _checkout(psp)
    response = _pay(session["url"], "4242 4242 4242 4242")
    assert response.status_code == 303
    assert response.headers["location"].startswith("https://merchant.example.pk/done?session=")
    receiver.wait_for(2)
    events = [_verify(h, b) for h, b, _ in receiver.received]
    assert [e["type"] for e in events] == ["payment.pending", "payment.succeeded"]
    card = events[1]["data"]["card"]
    assert card["brand"] == "visa"
    assert card["last4"] == "4242"
    assert card["token"].startswith("tok_")
    assert events[1]["data"]["amount"] == 150_000
    assert all("4242424242424242" not in b.decode() for _, b, _ in receiver.received)
    # A completed session's page no longer takes a card.
    again = httpx.get(session["url"])
    assert again.status_code == 303


def test_declined_card_stays_on_the_page_and_reports_failure(psp: Psp, receiver: Receiver) -> None:
    session = _checkout(psp)
    response = _pay(session["url"], "4000000000000002")
    assert response.status_code == 402
    assert "declined" in response.text
    receiver.wait_for(2)
    types = [_verify(h, b)["type"] for h, b, _ in receiver.received]
    assert types == ["payment.pending", "payment.failed"]


def test_real_looking_cards_and_typos_are_refused(psp: Psp, receiver: Receiver) -> None:
    session = _checkout(psp)
    typo = _pay(session["url"], "4242424242424241")
    assert typo.status_code == 400
    assert "not valid" in typo.text
    other = _pay(session["url"], "4012888888881881")  # valid Luhn, not a sandbox number
    assert other.status_code == 402
    assert "live_card_in_sandbox" in other.text


def test_failed_deliveries_are_retried_until_accepted(psp: Psp, receiver: Receiver) -> None:
    receiver.statuses.extend([500, 503])
    session = _checkout(psp)
    _pay(session["url"], "5555555555554444")
    receiver.wait_for(4)
    statuses = [status for _, _, status in receiver.received]
    assert statuses[:2] == [500, 503]
    delivered = [_verify(h, b)["id"] for h, b, s in receiver.received if s == 200]
    assert len(set(delivered)) == 2


def test_refund_sends_its_own_event(psp: Psp, receiver: Receiver) -> None:
    session = _checkout(psp)
    _pay(session["url"], "4242424242424242")
    receiver.wait_for(2)
    payment = _verify(*receiver.received[-1][:2])["data"]["payment"]
    with psp.client() as c:
        assert (
            c.post("/v1/refunds", json={"payment": payment, "amount": 200_000}).status_code == 409
        )
        assert c.post("/v1/refunds", json={"payment": payment, "amount": 50_000}).status_code == 201
    receiver.wait_for(3)
    assert _verify(*receiver.received[-1][:2])["type"] == "refund.succeeded"


def test_duplicate_and_reordered_delivery(tmp_path: Path, receiver: Receiver) -> None:
    with sandbox_psp(tmp_path / "chaos", receiver.url, duplicate=True, reorder=True) as psp:
        session = _checkout(psp)
        _pay(session["url"], "4242424242424242")
        receiver.wait_for(4)
    types = [_verify(h, b)["type"] for h, b, _ in receiver.received]
    assert types == ["payment.succeeded", "payment.succeeded", "payment.pending", "payment.pending"]
