"""The audit table. Rows are only ever inserted (see amanat.audit.service)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from amanat.db.base import NOT_PERSONAL, Base, UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, info=NOT_PERSONAL
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    code: Mapped[str] = mapped_column(String(64), index=True, info=NOT_PERSONAL)
    actor_kind: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    actor_id: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    actor_role: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    customer_id: Mapped[str | None] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    purpose: Mapped[str | None] = mapped_column(String(64), info=NOT_PERSONAL)
    categories: Mapped[list[str]] = mapped_column(JSON, info=NOT_PERSONAL)
    reference: Mapped[str | None] = mapped_column(String(64), info=NOT_PERSONAL)
    outcome: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    # Ids and codes only, never values: e.g. {"reason_code": "training_lapsed"}.
    details: Mapped[dict[str, object]] = mapped_column(JSON, info=NOT_PERSONAL)
    # Free text typed by staff (a break-glass reason) can name people, so it is kept
    # apart from the ids above; the guard issue encrypts or bounds it.
    note: Mapped[str | None] = mapped_column(Text, info=NOT_PERSONAL)
