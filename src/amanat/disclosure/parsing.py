"""Parsers of what a person types into the register: dates, request numbers, the
identifiers an authority names a customer by. Each returns a value or raises Invalid
with one sentence (never another exception); none echoes personal data.
"""

from __future__ import annotations

import re
from datetime import date

from amanat.core.errors import Invalid
from amanat.vault.normalise import normalise_cnic, normalise_email, normalise_phone

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
_NUMBER = re.compile(r"^[Dd]-(\d{1,9})$", re.ASCII)
_CUSTOMER_ID = re.compile(r"^[0-9a-f]{32}$", re.ASCII)
_CNIC = re.compile(r"^\d{5}-?\d{7}-?\d$", re.ASCII)
FIRST_NUMBER = 1001


def parse_date(text: str, field: str, label: str) -> date:
    """A calendar date written YYYY-MM-DD (years 1900-2100); Invalid naming ``label``."""
    match = _DATE.match(text.strip()) if isinstance(text, str) else None
    problem = f"Give the {label} as YYYY-MM-DD."
    if match is None:
        raise Invalid(problem, fields={field: "YYYY-MM-DD"})
    year, month, day = (int(part) for part in match.groups())
    if not 1900 <= year <= 2100:
        raise Invalid(f"The {label} must be a year between 1900 and 2100.", fields={field: problem})
    try:
        return date(year, month, day)
    except ValueError:
        raise Invalid(
            f"The {label} is not a day of the calendar.", fields={field: problem}
        ) from None


def optional_date(text: str | None, field: str, label: str) -> date | None:
    return None if text is None or not text.strip() else parse_date(text, field, label)


def format_number(number: int) -> str:
    return f"D-{number}"


def parse_number(reference: object) -> int | None:
    """The register number of ``D-1042`` (any case), or None for anything else."""
    match = _NUMBER.match(reference.strip()) if isinstance(reference, str) else None
    return int(match.group(1)) if match else None


def identifier(text: str) -> tuple[str, str]:
    """What one line of a scope names: ("id", customer id), or ("email" | "phone" | "cnic",
    the normalised value the blind index is over). Raises Invalid (without the value)."""
    value = text.strip()
    if _CUSTOMER_ID.match(value):
        return "id", value
    try:
        if "@" in value:
            return "email", normalise_email(value)
        if _CNIC.match(value):
            return "cnic", normalise_cnic(value)
        if value and sum(ch.isdigit() for ch in value) >= 7:
            return "phone", normalise_phone(value)
    except ValueError:
        pass
    raise Invalid(
        "Each customer line must be a customer id, an e-mail address, a phone number or a CNIC.",
        fields={"customers": "one id, e-mail, phone or CNIC per line"},
    )
