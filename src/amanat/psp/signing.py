"""How the sandbox signs its webhooks (documented for the merchant, as a real PSP does).

Header ``PSP-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``, where the HMAC is keyed
with the webhook secret and taken over ``f"{t}."`` followed by the raw request body.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "PSP-Signature"


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"
