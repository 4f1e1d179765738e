"""The disclosure register: legal and regulatory requests, their scope and decisions.

A request is its own key owner (``__key_owner__ = "id"``): the instrument, its reference,
the identifiers the authority gave and the notes are ``disclosure.request``, encrypted
under the request's data key through the guard, since they may name several people. The
scope names customers by id only (``disclosure_scope``); categories and the period are
in the clear, as are the dates, the authority's kind and the state, which the
transparency report counts. Decisions carry their reason encrypted under the request.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from amanat.db.base import ID, NOT_PERSONAL, Base, UTCDateTime, new_id, personal

# registered: waiting for approvals; approved: the approvals the policy asks for are in,
# an export may be made until the deadline; rejected: an approver refused (final);
# disclosed: the export was made (final). "expired" is not stored: an approved or
# registered request whose deadline has passed, shown as such and good for nothing.
STATUSES: Final = ("registered", "approved", "rejected", "disclosed")
DECISIONS: Final = ("approve", "reject")
CATEGORY = "disclosure.request"


class DisclosureCounter(Base):
    """Named counters; ``request_number`` hands out the register's numbers (D-1001, ...)."""

    __tablename__ = "disclosure_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True, info=NOT_PERSONAL)
    value: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)


class DisclosureRequest(Base):
    __tablename__ = "disclosure_requests"
    __key_owner__ = "id"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    number: Mapped[int] = mapped_column(Integer, unique=True, info=NOT_PERSONAL)
    authority: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    # The policy's statutory disclosure and its period ("s165:2025-Q3") when the law makes
    # it periodic; None for a request an authority sent.
    statutory_key: Mapped[str | None] = mapped_column(String(64), index=True, info=NOT_PERSONAL)
    status: Mapped[str] = mapped_column(String(16), index=True, info=NOT_PERSONAL)
    received_on: Mapped[date] = mapped_column(Date, index=True, info=NOT_PERSONAL)
    deadline: Mapped[date] = mapped_column(Date, info=NOT_PERSONAL)
    period_from: Mapped[date] = mapped_column(Date, info=NOT_PERSONAL)
    period_to: Mapped[date] = mapped_column(Date, info=NOT_PERSONAL)
    categories: Mapped[list[str]] = mapped_column(JSON, info=NOT_PERSONAL)
    customers: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)  # in the scope
    unmatched: Mapped[int] = mapped_column(Integer, default=0, info=NOT_PERSONAL)
    # A non-disclosure order: the customers are told only from this day on.
    nondisclosure_until: Mapped[date | None] = mapped_column(Date, info=NOT_PERSONAL)
    registered_by: Mapped[str] = mapped_column(ID, info=NOT_PERSONAL)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    disclosed_by: Mapped[str | None] = mapped_column(ID, info=NOT_PERSONAL)
    disclosed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    # SHA-256 of the exported package's manifest, as recorded in the audit chain.
    manifest_sha256: Mapped[str | None] = mapped_column(String(64), info=NOT_PERSONAL)
    cards_redacted: Mapped[int] = mapped_column(Integer, default=0, info=NOT_PERSONAL)
    instrument_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal(CATEGORY))
    legal_reference_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal(CATEGORY))
    subjects_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal(CATEGORY))
    notes_ct: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal(CATEGORY))


class DisclosureScope(Base):
    """One customer a request covers; ``notified_at`` when they were told (or found
    erased, with nobody left to tell)."""

    __tablename__ = "disclosure_scope"
    __table_args__ = (UniqueConstraint("request_id", "customer_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    request_id: Mapped[str] = mapped_column(
        ID, ForeignKey("disclosure_requests.id", ondelete="CASCADE"), index=True,
        info=NOT_PERSONAL,
    )  # fmt: skip
    customer_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)


class DisclosureDecision(Base):
    """One approver's approval or rejection; one per person and request."""

    __tablename__ = "disclosure_decisions"
    __key_owner__ = "request_id"
    __table_args__ = (UniqueConstraint("request_id", "staff_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    request_id: Mapped[str] = mapped_column(
        ID, ForeignKey("disclosure_requests.id", ondelete="CASCADE"), index=True,
        info=NOT_PERSONAL,
    )  # fmt: skip
    staff_id: Mapped[str] = mapped_column(ID, info=NOT_PERSONAL)
    role: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    decision: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    reason_ct: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal(CATEGORY))
