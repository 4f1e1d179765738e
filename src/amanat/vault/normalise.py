"""One spelling per value: what the blind index is computed over and what is stored.

Every accepted spelling of the same e-mail, phone or CNIC normalises to the same string,
so that an exact-match lookup through the blind index finds it however it was typed.
Each function raises ``ValueError`` with one sentence a person can act on; the sentence
never repeats the value (it may be personal data and error messages end up in logs).
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

_CNIC_DASHED = re.compile(r"[0-9]{5}-[0-9]{7}-[0-9]")
_CNIC_BARE = re.compile(r"[0-9]{13}")
_MAX_INPUT = 320  # RFC 5321's limit for an address; nothing we normalise is longer


def normalise_email(text: str) -> str:
    """The address checked for syntax (no DNS lookup) and case-folded as a whole.

    Case-folding the local part too is a choice: RFC 5321 lets a server treat it as
    case-sensitive, but no mail provider our customers use does, and two accounts that
    differ only in case would be a support and security hazard.
    """
    candidate = text.strip()
    if not candidate:
        raise ValueError("Enter an e-mail address, like name@example.pk.")
    if len(candidate) > _MAX_INPUT:
        raise ValueError("That e-mail address is too long; enter at most 320 characters.")
    try:
        checked = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(
            "Enter a valid e-mail address, like name@example.pk (one @, a domain with a dot, "
            "no spaces)."
        ) from exc
    return checked.normalized.casefold()


def normalise_phone(text: str, region: str = "PK") -> str:
    """The number in E.164 (``+923001234567``), read as a ``region`` number unless it has a
    country code: Pakistani mobiles (03xx ...) and landlines with their area code
    (042 ..., 051 ...) are accepted in any common spelling, as is any valid international
    number written with ``+`` or ``00``.
    """
    candidate = text.strip()
    if not candidate:
        raise ValueError("Enter a phone number, like 0300 1234567 or +92 300 1234567.")
    if len(candidate) > 40:
        raise ValueError("That phone number is too long; enter the digits with the area code.")
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    try:
        parsed = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(
            "Enter a phone number with its area code, like 0300 1234567, 042 35761234 or "
            "+92 300 1234567."
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(
            "That is not a valid phone number: enter a mobile like 0300 1234567 or a landline "
            "with its area code like 042 35761234; use +country code for numbers abroad."
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_cnic(text: str) -> str:
    """The 13 digits of a CNIC written as ``NNNNN-NNNNNNN-N`` or as 13 bare digits."""
    candidate = text.strip()
    if _CNIC_DASHED.fullmatch(candidate):
        return candidate.replace("-", "")
    compact = candidate.replace(" ", "")
    if _CNIC_BARE.fullmatch(compact):
        return compact
    raise ValueError("Enter the CNIC as 13 digits, with or without dashes, like 35202-1234567-1.")
