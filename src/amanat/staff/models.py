"""The `staff_members` table. A staff member's sign-in name is their work e-mail,
kept as ``account.username`` (encrypted under the staff member's own key, found by its
blind index). Password and second factor live in ``credentials`` like a customer's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from amanat.db.base import ID, NOT_PERSONAL, Base, UTCDateTime, new_id, personal

STAFF_STATUSES = ("invited", "active", "removed")


class StaffMember(Base):
    __tablename__ = "staff_members"
    __key_owner__ = "id"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    # A stable, non-personal display number ("Support agent #3") for customers' access logs.
    number: Mapped[int] = mapped_column(Integer, unique=True, info=NOT_PERSONAL)
    role: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    status: Mapped[str] = mapped_column(String(16), default="invited", info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    username_ct: Mapped[bytes | None] = mapped_column(
        LargeBinary, info=personal("account.username")
    )
    username_bidx: Mapped[bytes | None] = mapped_column(
        # A blind index: derived from a personal value, never decryptable.
        LargeBinary(32),
        unique=True,
        info={**personal("account.username"), "blind_index": True},
    )
