"""Reading a customer's personal fields: the sealed customer and the field readers.

This module alone (with the verbs in ``service``) knows which column holds which field.
``service`` re-exports everything here; other domains import it from there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any

from sqlalchemy import select

from amanat.access.guard import Access
from amanat.core.errors import NotFound
from amanat.customers.masking import masked
from amanat.customers.models import Customer
from amanat.customers.schemas import SealedCustomer
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

T = "customers"

# The personal fields other domains may name: field -> (category, label). The sign-in
# name (``account.username``) is the e-mail address, read under its own category.
PERSONAL_FIELDS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "name": ("identity.name", "Name"),
    "company": ("identity.company", "Company"),
    "email": ("contact.email", "E-mail"),
    "username": ("account.username", "Sign-in name"),
    "phone": ("contact.phone", "Phone"),
    "cnic": ("identity.cnic", "CNIC"),
    "address": ("contact.address", "Address"),
    "ntn": ("identity.ntn", "NTN"),
})  # fmt: skip
# Where each field is sealed (the column its ciphertext is in); private to this domain.
_COLUMN_OF = {"name": "name_ct", "company": "company_ct", "email": "email_ct",
              "username": "email_ct", "phone": "phone_ct", "cnic": "cnic_ct",
              "address": "address_ct", "ntn": "ntn_ct"}  # fmt: skip
_SEALED = ("name_ct", "company_ct", "email_ct", "phone_ct", "cnic_ct", "address_ct", "ntn_ct")
_SEALED_SELECT = select(
    Customer.id, Customer.kind, Customer.status, Customer.email_verified_at,
    *(getattr(Customer, column) for column in _SEALED),
)  # fmt: skip
# Blind-indexed fields a customer can be found by: field -> (category, index column).
_FOUND_BY = {"email": ("contact.email", Customer.email_bidx),
             "phone": ("contact.phone", Customer.phone_bidx),
             "cnic": ("identity.cnic", Customer.cnic_bidx)}  # fmt: skip


def _sealed_of(row: Any) -> SealedCustomer:
    """From the ORM row or a Core row of ``_SEALED_SELECT`` (attribute access by name)."""
    return SealedCustomer(
        id=row.id, kind=row.kind, status=row.status, email_verified_at=row.email_verified_at,
        sealed=MappingProxyType({column: getattr(row, column) for column in _SEALED}),
    )  # fmt: skip


def get_sealed(uow: UnitOfWork, customer_id: str, *, erased: bool = False) -> SealedCustomer:
    """One customer as stored, fields sealed. Raises NotFound when there is no such
    customer, or they are erased and ``erased`` is False (the default)."""
    customer = uow.session.get(Customer, customer_id)
    if customer is None or (customer.status == "erased" and not erased):
        raise NotFound("There is no such customer.")
    return _sealed_of(customer)


def load_sealed(uow: UnitOfWork, customer_ids: Iterable[str]) -> dict[str, SealedCustomer]:
    """The customers among ``customer_ids`` (any status), by id, in one SELECT: for
    batch jobs such as the billing run."""
    rows = uow.session.execute(_SEALED_SELECT.where(Customer.id.in_(list(customer_ids))))
    return {row.id: _sealed_of(row) for row in rows}


def find_sealed(
    uow: UnitOfWork, runtime: Runtime, field: str, normalised_value: str
) -> SealedCustomer | None:
    """The customer whose e-mail, phone or CNIC (``field``) this normalised value is,
    by blind index (erased customers have none); None when nobody matches."""
    category, column = _FOUND_BY[field]
    index = runtime.guard.blind_index(category, normalised_value)
    customer = uow.session.scalar(select(Customer).where(column == index))
    return None if customer is None else _sealed_of(customer)


def read_fields(
    access: Access, sealed: SealedCustomer, wanted: Iterable[str]
) -> dict[str, str | dict[str, str] | None]:
    """The ``wanted`` fields (names from ``PERSONAL_FIELDS``, in that order) that
    ``access`` may read, masked where it says so; fields it may not read are left out.

    An address is a dict of its non-empty parts (line1, line2, city, province,
    postal_code). The guard recorded the access when it was opened; reading records
    nothing more.
    """
    fields: dict[str, str | dict[str, str] | None] = {}
    for name in wanted:
        if PERSONAL_FIELDS[name][0] not in access.readable:
            continue
        value = read_text(access, sealed, name)
        if name == "address" and value is not None:
            fields[name] = {k: str(v) for k, v in json.loads(value).items() if v is not None}
        else:
            fields[name] = value
    return fields


def read_text(access: Access, sealed: SealedCustomer, name: str) -> str | None:
    """One field as text (the address as its JSON), masked where ``access`` says so.
    Raises AccessDenied when ``access`` was not opened for the field's category."""
    category = PERSONAL_FIELDS[name][0]
    column = _COLUMN_OF[name]
    value = access.read(T, column, sealed.id, category, sealed.sealed[column])
    return masked(category, value) if value is not None and access.is_masked(category) else value


def read_address(access: Access, sealed: SealedCustomer) -> dict[str, Any]:
    """The address as stored (line1, line2, city, province, postal_code), unmasked;
    empty when there is none. ``access`` must be open for contact.address."""
    raw = access.read(T, "address_ct", sealed.id, "contact.address", sealed.sealed["address_ct"])
    return dict(json.loads(raw)) if raw else {}


def read_party(access: Access, sealed: SealedCustomer) -> dict[str, Any]:
    """Name, company, address, CNIC and NTN as they are now, unmasked (for an invoice's
    or certificate's snapshot). ``access`` must be open for each of their categories."""
    cid, ct = sealed.id, sealed.sealed
    return {
        "name": access.read(T, "name_ct", cid, "identity.name", ct["name_ct"]) or "",
        "company": access.read(T, "company_ct", cid, "identity.company", ct["company_ct"]),
        "address": read_address(access, sealed),
        "cnic": access.read(T, "cnic_ct", cid, "identity.cnic", ct["cnic_ct"]),
        "ntn": access.read(T, "ntn_ct", cid, "identity.ntn", ct["ntn_ct"]),
    }


def subject_profile(
    uow: UnitOfWork, access: Access, first: date, last: date
) -> dict[str, list[dict[str, Any]]]:
    """The customer's profile as it is now, the fields ``access`` may read, for a
    disclosure's export (``runtime.SubjectRecords``; a profile has no date, so ``first``
    and ``last`` do not narrow it). Nothing for an erased customer, whose fields are gone."""
    del first, last
    wanted = [n for n, (category, _) in PERSONAL_FIELDS.items() if category in access.readable]
    customer = uow.session.get(Customer, access.customer_id) if wanted else None
    if customer is None or customer.status == "erased":
        return {}
    if "username" in wanted and "email" in wanted:
        wanted.remove("username")  # the sign-in name is the e-mail address
    fields = read_fields(access, _sealed_of(customer), wanted)
    return {"profile": [{"kind": customer.kind, "status": customer.status, **fields}]}
