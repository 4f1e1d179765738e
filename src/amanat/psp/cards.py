"""Card checks of the sandbox: Luhn, brand, and the card networks' published test numbers.

The sandbox approves and declines exactly as processors' test modes do, by the test
numbers they publish (the same numbers Stripe, Adyen and others document for Visa,
Mastercard 2- and 5-series, American Express, Discover, JCB, UnionPay and Diners).
Any other number, even a valid one, is declined: a sandbox never takes a real card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

APPROVED: dict[str, str] = {
    "4242424242424242": "visa",
    "4111111111111111": "visa",
    "4000056655665556": "visa",
    "5555555555554444": "mastercard",
    "5105105105105100": "mastercard",
    "2223003122003222": "mastercard",
    "5200828282828210": "mastercard",
    "378282246310005": "amex",
    "371449635398431": "amex",
    "6011111111111117": "discover",
    "3566002020360505": "jcb",
    "6200000000000005": "unionpay",
    "36227206271667": "diners",
}

DECLINED: dict[str, str] = {
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
    "4000000000009987": "lost_card",
    "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc",
    "4000000000000119": "processing_error",
}

_BRANDS = (
    (re.compile(r"^4"), "visa"),
    (re.compile(r"^(5[1-5]|2(2[2-9][1-9]|2[3-9]|[3-6]|7[01]|720))"), "mastercard"),
    (re.compile(r"^3[47]"), "amex"),
    (re.compile(r"^(6011|65|64[4-9])"), "discover"),
    (re.compile(r"^35(2[89]|[3-8])"), "jcb"),
    (re.compile(r"^62"), "unionpay"),
    (re.compile(r"^3(0[0-5]|[68])"), "diners"),
)


class CardRejected(ValueError):
    """The form cannot be processed; the message tells the payer what to fix."""


@dataclass(frozen=True)
class Outcome:
    approved: bool
    brand: str
    last4: str
    reason: str | None


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def brand_of(digits: str) -> str:
    for pattern, brand in _BRANDS:
        if pattern.match(digits):
            return brand
    return "unknown"


def decide(number: str, exp_month: int, exp_year: int, cvc: str, today: tuple[int, int]) -> Outcome:
    """Approve or decline a card as the sandbox's test mode does; CardRejected for bad input."""
    digits = re.sub(r"[\s-]", "", number)
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise CardRejected("Enter the card number as 12 to 19 digits.")
    if not luhn_valid(digits):
        raise CardRejected("This card number is not valid; check the digits.")
    if not 1 <= exp_month <= 12 or (exp_year, exp_month) < today:
        raise CardRejected("The expiry date must be a month in the future.")
    if not cvc.isdigit() or len(cvc) not in (3, 4):
        raise CardRejected("Enter the 3 or 4 digit security code.")
    brand, last4 = brand_of(digits), digits[-4:]
    if digits in APPROVED:
        return Outcome(True, APPROVED[digits], last4, None)
    if digits in DECLINED:
        return Outcome(False, brand, last4, DECLINED[digits])
    return Outcome(False, brand, last4, "live_card_in_sandbox")
