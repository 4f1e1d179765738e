"""The audit tables. Rows are only ever inserted; database triggers refuse the rest.

``audit_events`` is a hash chain (see amanat.audit.canonical for the exact bytes hashed);
``audit_checkpoints`` holds signed heads of that chain; ``audit_notes`` holds the free
text some events carry (a break-glass reason), encrypted with the data key of the
customer it concerns, outside the chain (see docs/security.md, "Audit log").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from amanat.db.base import ID, NOT_PERSONAL, Base, UTCDateTime, personal

SEQ = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(Base):
    __tablename__ = "audit_events"

    # Assigned by the chain (previous + 1, under the chain lock): gapless by construction.
    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=False, info=NOT_PERSONAL)
    at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    code: Mapped[str] = mapped_column(String(64), index=True, info=NOT_PERSONAL)
    actor_kind: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    actor_id: Mapped[str] = mapped_column(String(64), index=True, info=NOT_PERSONAL)
    actor_role: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    customer_id: Mapped[str | None] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    purpose: Mapped[str | None] = mapped_column(String(64), info=NOT_PERSONAL)
    # Canonical compact JSON (sorted list of category ids), exactly the bytes hashed.
    categories: Mapped[str] = mapped_column(Text, info=NOT_PERSONAL)
    reference: Mapped[str | None] = mapped_column(String(64), info=NOT_PERSONAL)
    outcome: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    # Canonical compact JSON object of ids and codes only, never values.
    details: Mapped[str] = mapped_column(Text, info=NOT_PERSONAL)
    prev_hash: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    hash: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)


class AuditCheckpoint(Base):
    """A signed head of the chain: 'event ``seq`` had hash ``head_hash`` at ``at``'."""

    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=False, info=NOT_PERSONAL)
    head_hash: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    key_id: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    signature: Mapped[str] = mapped_column(String(128), info=NOT_PERSONAL)  # hex Ed25519


class AuditNote(Base):
    """Free text attached to one event (a break-glass reason), encrypted per customer."""

    __tablename__ = "audit_notes"

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=False, info=NOT_PERSONAL)
    customer_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    note_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal("audit.note"))
