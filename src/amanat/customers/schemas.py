"""What comes in and goes out of the customer domain. Never the ORM object itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Bounds that no genuine value exceeds; longer input is refused before it is parsed.
NAME_MAX = 200
LINE_MAX = 200


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line1: str = Field("", max_length=LINE_MAX, description="House, street")
    line2: str = Field("", max_length=LINE_MAX, description="Area, sector (optional)")
    city: str = Field("", max_length=100)
    province: str = Field(
        "", max_length=64, description="One of Pakistan's provinces or territories"
    )
    postal_code: str = Field("", max_length=10, description="Five digits (optional)")


class Address(BaseModel):
    line1: str
    line2: str
    city: str
    province: str
    postal_code: str


class CustomerDetailsIn(BaseModel):
    """The personal fields collected at account creation (also the profile's fields)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["individual", "business"] = "individual"
    name: str = Field("", max_length=NAME_MAX, description="Full name (of the contact person)")
    email: str = Field("", max_length=320)
    phone: str = Field("", max_length=40, description="Mobile or landline with area code")
    cnic: str = Field("", max_length=20, description="13 digits, e.g. 35202-1234567-1")
    address: AddressIn = Field(default_factory=AddressIn)
    company: str = Field("", max_length=NAME_MAX, description="Business accounts only")
    ntn: str = Field("", max_length=20, description="Business accounts only: 1234567-8")


class ValidDetails(BaseModel):
    """Details after validation and normalisation: ready to be encrypted."""

    kind: Literal["individual", "business"]
    name: str
    email: str
    phone: str
    cnic: str
    address: Address
    company: str | None
    ntn: str | None


class ProfileOut(BaseModel):
    """A customer's own view: CNIC masked, phone masked."""

    id: str
    kind: str
    status: str
    email_verified: bool
    name: str
    email: str
    phone: str
    cnic: str
    address: Address
    company: str | None
    ntn: str | None
    phone_verification: Literal["sent"] | None = Field(
        None,
        description='"sent": a code went by SMS to the new number; the phone changes once it is confirmed',
    )


class ProfileUpdateIn(BaseModel):
    """Fields a customer may change themselves; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=NAME_MAX)
    phone: str | None = Field(None, max_length=40)
    address: AddressIn | None = None
    company: str | None = Field(None, max_length=NAME_MAX)
    ntn: str | None = Field(None, max_length=20)


@dataclass(frozen=True, slots=True)
class SealedCustomer:
    """A customer's record as stored: state in the clear, personal fields still sealed.

    Built only by ``amanat.customers.service`` (``get_sealed``, ``load_sealed``); other
    domains hold it and hand it back to ``read_fields`` / ``read_party`` with an access
    the guard opened. The ciphertexts are keyed by the customers domain's own names, so
    no other module needs (or learns) how the table stores a field.
    """

    id: str
    kind: str
    status: str
    email_verified_at: datetime | None
    sealed: Mapping[str, bytes | None] = field(repr=False)

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None
