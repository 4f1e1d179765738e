"""The payment processor as Amanat sees it: a Protocol, its HTTP client, webhook checks.

Amanat never sees a card number: the payer types it on the processor's hosted page.
Amanat asks the processor for a checkout session (amount, reference, return URLs),
redirects the payer there, and learns the outcome from signed webhooks.

Webhook signature (the processor's documented scheme): header ``PSP-Signature:
t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}." + raw body)>``. A webhook is refused
when the signature does not match (BadSignature) or ``t`` is further than the tolerance
from now (StaleWebhook): a replay of an old delivery fails one or the other, and a
replay of a fresh one is absorbed by the event id (idempotency, in payments.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from amanat.core.errors import BadRequest, Unavailable

SIGNATURE_HEADER = "psp-signature"


class WebhookRejected(BadRequest):
    """A webhook that must not be applied; ``reason`` is a stable code for the audit log."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Checkout:
    session_id: str
    url: str


@dataclass(frozen=True)
class ProcessorEvent:
    id: str
    type: str
    data: dict[str, Any]


class PaymentProcessor(Protocol):
    def create_checkout(
        self, *, amount_paisa: int, reference: str, description: str,
        success_url: str, cancel_url: str,
    ) -> Checkout: ...  # fmt: skip

    def refund(self, *, payment_id: str, amount_paisa: int) -> str: ...

    def parse_webhook(self, headers: dict[str, str], body: bytes, now: datetime) -> ProcessorEvent:
        """Verify the signature and timestamp, then parse; raise WebhookRejected."""
        ...


def verify_signature(
    secret: str, header: str | None, body: bytes, now: datetime, tolerance_seconds: int
) -> None:
    if not header:
        raise WebhookRejected("The webhook has no PSP-Signature header.", "signature_missing")
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (ValueError, KeyError) as exc:
        raise WebhookRejected(
            "The webhook's signature header is malformed.", "signature_malformed"
        ) from exc
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).digest()
    # Compared as bytes: compare_digest refuses a str with non-ASCII characters (TypeError),
    # and a header may carry any byte.
    if not hmac.compare_digest(expected.hex().encode(), given.encode("utf-8", "replace")):
        raise WebhookRejected("The webhook's signature does not match.", "signature_bad")
    if abs(int(now.timestamp()) - timestamp) > tolerance_seconds:
        raise WebhookRejected(
            "The webhook's timestamp is too old (or in the future); it is refused as a replay.",
            "stale",
        )


class HttpProcessor:
    """The processor over HTTP (the sandbox, or a real one speaking the same API)."""

    def __init__(
        self, base_url: str, api_key: str, webhook_secret: str, *, tolerance_seconds: int = 300
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._secret = webhook_secret
        self.tolerance_seconds = tolerance_seconds

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = httpx.post(
                f"{self.base_url}{path}", json=body, timeout=15,
                headers={"Authorization": f"Bearer {self._api_key}"},
            )  # fmt: skip
        except httpx.HTTPError as exc:
            raise Unavailable(
                "The payment processor cannot be reached; try again in a few minutes."
            ) from exc
        if response.status_code >= 400:
            raise Unavailable(
                f"The payment processor refused the request (HTTP {response.status_code}); "
                "try again later or pay by bank transfer."
            )
        result: dict[str, Any] = response.json()
        return result

    def create_checkout(
        self, *, amount_paisa: int, reference: str, description: str,
        success_url: str, cancel_url: str,
    ) -> Checkout:  # fmt: skip
        result = self._post(
            "/v1/checkout/sessions",
            {"amount": amount_paisa, "currency": "PKR", "reference": reference,
             "description": description, "success_url": success_url, "cancel_url": cancel_url},
        )  # fmt: skip
        return Checkout(session_id=str(result["id"]), url=str(result["url"]))

    def refund(self, *, payment_id: str, amount_paisa: int) -> str:
        result = self._post("/v1/refunds", {"payment": payment_id, "amount": amount_paisa})
        return str(result["id"])

    def parse_webhook(self, headers: dict[str, str], body: bytes, now: datetime) -> ProcessorEvent:
        header = {k.lower(): v for k, v in headers.items()}.get(SIGNATURE_HEADER)
        verify_signature(self._secret, header, body, now, self.tolerance_seconds)
        try:
            payload = json.loads(body)
            return ProcessorEvent(str(payload["id"]), str(payload["type"]), dict(payload["data"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected(
                "The webhook body is not a processor event.", "malformed"
            ) from exc
