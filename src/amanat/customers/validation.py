"""Validation of the personal fields: one sentence per field a person can act on.

Everything is checked before anything is stored; the caller gets every problem at once
(``Invalid`` with ``fields``), never the value that was wrong.
"""

from __future__ import annotations

import re

from amanat.core.errors import Invalid
from amanat.customers.models import PROVINCES
from amanat.customers.schemas import Address, AddressIn, CustomerDetailsIn, ValidDetails
from amanat.vault.normalise import normalise_cnic, normalise_email, normalise_phone

# FBR's published NTN format: seven digits and a check digit, written 1234567-8.
_NTN = re.compile(r"([0-9]{7})-?([0-9])")
_POSTAL = re.compile(r"[0-9]{5}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

FIX_FIELDS = "Some fields need fixing; see each field."


def clean_text(value: str) -> str:
    return " ".join(_CONTROL.sub(" ", value).split())


def check_name(value: str, field: str, errors: dict[str, str], what: str = "your full name") -> str:
    cleaned = clean_text(value)
    if not cleaned:
        errors[field] = f"Enter {what}."
    return cleaned


def check_ntn(value: str, errors: dict[str, str], field: str = "ntn") -> str:
    match = _NTN.fullmatch(value.strip())
    if match is None:
        errors[field] = "Enter the NTN as seven digits and a check digit, like 1234567-8."
        return ""
    return f"{match.group(1)}-{match.group(2)}"


def check_address(value: AddressIn, errors: dict[str, str], prefix: str = "address") -> Address:
    line1 = clean_text(value.line1)
    city = clean_text(value.city)
    province = clean_text(value.province)
    postal = value.postal_code.strip()
    if not line1:
        errors[f"{prefix}.line1"] = "Enter the house and street."
    if not city:
        errors[f"{prefix}.city"] = "Enter the city."
    if province not in PROVINCES:
        errors[f"{prefix}.province"] = (
            "Choose a province or territory: " + ", ".join(PROVINCES) + "."
        )
    if postal and not _POSTAL.fullmatch(postal):
        errors[f"{prefix}.postal_code"] = (
            "Enter the postal code as five digits, like 44000, or leave it empty."
        )
    return Address(
        line1=line1, line2=clean_text(value.line2), city=city, province=province, postal_code=postal
    )


def normalised(field: str, value: str, normaliser: object, errors: dict[str, str]) -> str:
    assert callable(normaliser)
    try:
        return str(normaliser(value))
    except ValueError as exc:
        errors[field] = str(exc)
        return ""


def validate_details(data: CustomerDetailsIn, errors: dict[str, str]) -> ValidDetails:
    """Check and normalise every field, adding one message per bad field to ``errors``."""
    name = check_name(data.name, "name", errors)
    email = normalised("email", data.email, normalise_email, errors)
    phone = normalised("phone", data.phone, normalise_phone, errors)
    cnic = normalised("cnic", data.cnic, normalise_cnic, errors)
    address = check_address(data.address, errors)
    company: str | None = None
    ntn: str | None = None
    if data.kind == "business":
        company = check_name(data.company, "company", errors, "the company's registered name")
        ntn = check_ntn(data.ntn, errors)
    return ValidDetails(
        kind=data.kind, name=name, email=email, phone=phone, cnic=cnic, address=address,
        company=company, ntn=ntn,
    )  # fmt: skip


def raise_if_any(errors: dict[str, str]) -> None:
    if errors:
        raise Invalid(FIX_FIELDS, fields=errors)
