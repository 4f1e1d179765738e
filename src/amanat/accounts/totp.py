"""TOTP second factor (RFC 6238 via pyotp) and its enrolment QR code (segno, SVG)."""

from __future__ import annotations

import io

import pyotp
import segno

ISSUER = "Amanat"
DIGITS = 6
INTERVAL = 30
# Accept the code of the previous and next 30-second step: clocks drift.
VALID_WINDOW = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account_label: str, issuer: str = ISSUER) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account_label, issuer_name=issuer
    )


def qr_svg(uri: str) -> str:
    """An inline SVG of the QR code (no script, no external resource: CSP-safe)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=4, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


def matching_step(secret: str, code: str, at_unix: float) -> int | None:
    """The time step the code belongs to (within the window), or None if it matches none."""
    cleaned = "".join(ch for ch in code if ch.isdigit())
    if len(cleaned) != DIGITS:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    current = int(at_unix // INTERVAL)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if pyotp.utils.strings_equal(totp.at(step * INTERVAL), cleaned):
            return step
    return None


def code_at(secret: str, at_unix: float) -> str:
    """The code for a moment (tests and the demo use it to sign in as a person would)."""
    return str(pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).at(int(at_unix)))


def qr_data_uri(uri: str) -> str:
    """The QR code as a data: URI for an <img> (allowed by the CSP's img-src)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5))
