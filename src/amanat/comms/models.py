"""The outbox: every message Amanat sends, encrypted under the recipient's data key.

Recipient, subject and body are ``comms.message`` (a verification or reset link in a
body is a credential, so the whole message is encrypted). The outbox is also the
delivery queue (``comms.delivery``): a worker claims due messages for a lease, sends them
over SMTP and records the outcome; ``amanat outbox list|show`` shows status and attempts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from amanat.db.base import ID, NOT_PERSONAL, Base, UTCDateTime, new_id, personal

# queued: waiting for its first try; retrying: a try failed for a reason that may pass
# (a 4xx answer, no connection), tried again at next_attempt_at; sent: the server
# accepted it; dead: refused for good (a 5xx answer) or tried AMANAT_SMTP_MAX_ATTEMPTS times.
OUTBOX_STATUSES = ("queued", "retrying", "sent", "dead")


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    # Whose data key encrypts the message: the customer (or staff member) it goes to.
    customer_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    kind: Mapped[str] = mapped_column(String(48), info=NOT_PERSONAL)
    purpose: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True, info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True, info=NOT_PERSONAL)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    attempts: Mapped[int] = mapped_column(Integer, default=0, info=NOT_PERSONAL)
    # When a retrying message is due again (None: due now).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    # The worker's claim (a random token) and until when it holds: a worker that dies
    # mid-send loses the claim when the lease ends, and another tries again.
    claim: Mapped[str | None] = mapped_column(String(32), info=NOT_PERSONAL)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    # Why the last try failed: the SMTP reply code and enhanced status, or the kind of
    # network error; never the server's text, which may quote the address.
    last_error: Mapped[str | None] = mapped_column(String(64), info=NOT_PERSONAL)
    recipient_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal("comms.message"))
    subject_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal("comms.message"))
    body_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal("comms.message"))
