"""The `customers` table: one row per customer, every personal field encrypted.

Conventions (see docs/security.md): a personal field is stored as ``<field>_ct``
(AES-GCM under the customer's own data key, through the guard), and a field people are
found by has a keyed blind index ``<field>_bidx``. The `customers` table is its own key
owner (``id``).

Sign-in name: a customer's ``account.username`` *is* their e-mail address (normalised,
case-folded). There is no separate username column: the e-mail's blind index is the
sign-in lookup, and a change of e-mail is a change of sign-in name, re-verified.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from amanat.db.base import ID, NOT_PERSONAL, Base, UTCDateTime, new_id, personal

KINDS: Final = ("individual", "business")
STATUSES: Final = ("active", "closed", "erased")

# Billing chooses provincial sales tax by this list; keep the spelling stable.
PROVINCES: Final = (
    "Punjab",
    "Sindh",
    "Khyber Pakhtunkhwa",
    "Balochistan",
    "Islamabad Capital Territory",
    "Gilgit-Baltistan",
    "Azad Jammu and Kashmir",
)


def blind_index_info(category: str) -> dict[str, object]:
    """Column info of a blind index: derived from a personal value, never decryptable."""
    return {**personal(category), "blind_index": True}


class Customer(Base):
    """A customer (individual, or a business through its contact person).

    Encrypted fields and their categories: ``name_ct`` identity.name, ``email_ct``
    contact.email (also the sign-in name), ``phone_ct`` contact.phone (E.164),
    ``cnic_ct`` identity.cnic (13 digits), ``address_ct`` contact.address (JSON with
    line1, line2, city, province, postal_code; province one of PROVINCES),
    ``company_ct`` identity.company and ``ntn_ct`` identity.ntn (business accounts).
    E-mail, phone and CNIC are unique through their blind indexes; erasure sets every
    blind index to NULL, so an erased customer's values may be used again.
    """

    __tablename__ = "customers"
    __key_owner__ = "id"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    kind: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    status: Mapped[str] = mapped_column(String(16), default="active", info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)

    name_ct: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal("identity.name"))
    email_ct: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal("contact.email"))
    email_bidx: Mapped[bytes | None] = mapped_column(
        LargeBinary(32), unique=True, info=blind_index_info("contact.email")
    )
    phone_ct: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal("contact.phone"))
    phone_bidx: Mapped[bytes | None] = mapped_column(
        LargeBinary(32), unique=True, info=blind_index_info("contact.phone")
    )
    cnic_ct: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal("identity.cnic"))
    cnic_bidx: Mapped[bytes | None] = mapped_column(
        LargeBinary(32), unique=True, info=blind_index_info("identity.cnic")
    )
    address_ct: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal("contact.address"))
    company_ct: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal("identity.company"))
    ntn_ct: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal("identity.ntn"))

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_active(self) -> bool:
        return self.status == "active"
