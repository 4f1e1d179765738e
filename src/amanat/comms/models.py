"""The outbox: every message Amanat sends, encrypted under the recipient's data key.

Recipient, subject and body are ``comms.message`` (a verification or reset link in a
body is a credential, so the whole message is encrypted). Until SMTP delivery lands the
operator reads queued mail with ``amanat outbox list|show``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from amanat.db.base import ID, NOT_PERSONAL, Base, UTCDateTime, new_id, personal

OUTBOX_STATUSES = ("queued", "sent", "failed")


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    # Whose data key encrypts the message: the customer (or staff member) it goes to.
    customer_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    kind: Mapped[str] = mapped_column(String(48), info=NOT_PERSONAL)
    purpose: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    status: Mapped[str] = mapped_column(String(16), default="queued", info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True, info=NOT_PERSONAL)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    attempts: Mapped[int] = mapped_column(Integer, default=0, info=NOT_PERSONAL)
    recipient_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal("comms.message"))
    subject_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal("comms.message"))
    body_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal("comms.message"))
