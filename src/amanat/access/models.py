"""Security-training records of staff members. Rows are only ever added."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from amanat.db.base import ID, NOT_PERSONAL, Base, UTCDateTime


class StaffTraining(Base):
    """One completed security training of one staff member (the latest one counts)."""

    __tablename__ = "staff_training"

    id: Mapped[str] = mapped_column(ID, primary_key=True, info=NOT_PERSONAL)
    staff_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    completed_on: Mapped[date] = mapped_column(Date, info=NOT_PERSONAL)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    # Who recorded it: an actor string such as "staff:<id>" or "job:cli", never a name.
    recorded_by: Mapped[str] = mapped_column(String(80), info=NOT_PERSONAL)
