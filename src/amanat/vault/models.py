"""The main database's copy of the erasure ledger (the key store holds the other copy).

Two copies, so that restoring either store from an older backup is detected and undone
by ``amanat keys replay-erasures`` (also run by ``amanat init``): see amanat.vault.erasure.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from amanat.db.base import ID, NOT_PERSONAL, Base, UTCDateTime


class ErasureLedger(Base):
    """One row per erased key owner (customer, or another data subject's key owner id)."""

    __tablename__ = "erasure_ledger"

    customer_id: Mapped[str] = mapped_column(ID, primary_key=True, info=NOT_PERSONAL)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
