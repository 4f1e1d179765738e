"""Tables that belong to the installation itself rather than to a domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from amanat.db.base import ID, NOT_PERSONAL, Base, UTCDateTime


class Installation(Base):
    """One row: when this installation was initialised and under which identity."""

    __tablename__ = "installation"

    id: Mapped[str] = mapped_column(ID, primary_key=True, info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    amanat_version: Mapped[str] = mapped_column(String(32), info=NOT_PERSONAL)
