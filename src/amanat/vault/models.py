"""The main database's copy of the erasure ledger (the key store holds the other copy).

Two copies, so that restoring either store from an older backup is detected and undone
by ``amanat keys replay-erasures`` (also run by ``amanat init``): see amanat.vault.erasure.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from amanat.db.base import NOT_PERSONAL, Base, UTCDateTime


class ErasureLedger(Base):
    """One row per erased key owner (customer, or another data subject's key owner id)."""

    __tablename__ = "erasure_ledger"

    # A customer id, or ``hold:<customer id>`` for an expired legal hold's key.
    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True, info=NOT_PERSONAL)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
