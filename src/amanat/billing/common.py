"""Pieces every billing service uses: numbering, payment references, reading the party."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from amanat.access.guard import Access
from amanat.billing.documents import Party
from amanat.billing.fiscal import FiscalYear
from amanat.billing.models import DocumentCounter
from amanat.customers import service as customers
from amanat.customers.schemas import SealedCustomer
from amanat.db.uow import UnitOfWork

SERIES = {"invoice": "INV", "credit_note": "CN", "certificate": "ATC", "order": "ORD"}
PARTY_READS = frozenset(
    {"identity.name", "identity.company", "identity.ntn", "identity.cnic", "contact.address"}
)


def next_number(uow: UnitOfWork, series: str, fiscal_year: FiscalYear) -> int:
    """The next number in a gapless series for a fiscal year, in the caller's transaction.

    The counter row is locked (FOR UPDATE on PostgreSQL; SQLite's writer lock from BEGIN
    IMMEDIATE) until the caller commits, and a rollback returns the number: numbers are
    consecutive with no gaps, however many runs race.
    """
    session = uow.session
    query = (
        select(DocumentCounter)
        .where(DocumentCounter.series == series, DocumentCounter.fiscal_year == fiscal_year.label)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    counter = session.scalar(query)
    if counter is None:
        try:
            with session.begin_nested():
                session.add(
                    DocumentCounter(series=series, fiscal_year=fiscal_year.label, last_number=0)
                )
        except IntegrityError:
            pass  # another transaction made it first; take the lock on theirs
        counter = session.scalar(query)
        assert counter is not None
    counter.last_number += 1
    session.flush()
    return counter.last_number


class SeriesCounter:
    """Numbers of one series for a whole batch: the counter row is read and locked once.

    Same guarantees as ``next_number`` (the lock is held until the caller commits, a
    rollback returns every number), one query instead of one per document.
    """

    def __init__(self, uow: UnitOfWork, series: str, fiscal_year: FiscalYear) -> None:
        self._uow, self._series, self._fy = uow, series, fiscal_year
        self._counter: DocumentCounter | None = None

    def next(self) -> int:
        if self._counter is None:
            first = next_number(self._uow, self._series, self._fy)
            self._counter = self._uow.session.get(DocumentCounter, (self._series, self._fy.label))
            return first
        self._counter.last_number += 1
        return self._counter.last_number


def document_number(series: str, fiscal_year: FiscalYear, number: int) -> str:
    return f"{series}-{fiscal_year.label}-{number:06d}"


def luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def payment_reference(kind: str, fiscal_year: FiscalYear, number: int) -> str:
    """A numeric reference for bank transfers and bill-payment networks, with a check digit.

    ``1`` (invoice) or ``9`` (credit note), the fiscal year's two digits, the number in
    seven digits, a Luhn check digit: 11 digits, one mistyped digit is caught.
    """
    body = f"{'9' if kind == 'credit_note' else '1'}{fiscal_year.start_year % 100:02d}{number:07d}"
    return body + luhn_digit(body)


def get_customer(uow: UnitOfWork, customer_id: str) -> SealedCustomer:
    """The customer, erased ones too (their invoices outlive them); NotFound otherwise."""
    return customers.get_sealed(uow, customer_id, erased=True)


def read_address(access: Access, customer: SealedCustomer) -> dict[str, Any]:
    return customers.read_address(access, customer)


def address_lines(address: dict[str, Any]) -> tuple[str, ...]:
    lines = [address.get("line1"), address.get("line2")]
    place = ", ".join(p for p in (address.get("city"), address.get("province")) if p)
    if address.get("postal_code"):
        place = f"{place} {address['postal_code']}"
    return tuple(str(x) for x in (*lines, place) if x)


def read_party(access: Access, customer: SealedCustomer) -> dict[str, Any]:
    """Name, company, address, CNIC and NTN as they are now (for a snapshot)."""
    return customers.read_party(access, customer)


def format_cnic(digits: str) -> str:
    return f"{digits[:5]}-{digits[5:12]}-{digits[12:]}" if len(digits) == 13 else digits


def party_from_snapshot(snapshot: dict[str, Any], *, full_cnic: bool) -> Party:
    cnic = snapshot.get("cnic")
    if cnic:
        cnic = format_cnic(cnic) if full_cnic else customers.masked("identity.cnic", cnic)
    return Party(
        name=str(snapshot.get("name") or ""),
        company=snapshot.get("company"),
        address_lines=address_lines(snapshot.get("address") or {}),
        cnic=cnic,
        ntn=snapshot.get("ntn"),
    )


def initials(name: str) -> str:
    """``Canary Testname`` -> ``C. T.``: all /verify shows of a person."""
    return " ".join(f"{part[0].upper()}." for part in name.split() if part)
