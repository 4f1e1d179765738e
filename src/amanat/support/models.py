"""Support tickets, their messages and e-mail attachments.

Every ticket has a key owner in ``customer_id``: the customer's id when the ticket
belongs to an account, or an id of its own when an unknown sender opened it by e-mail
(``linked`` is then false). Message bodies, subjects, attachments and an unknown
sender's address are ``support.message`` / ``contact.email``, encrypted under that key
owner's data key through the guard. Nothing in these tables holds a card number: text
passes amanat.support.redaction before it is encrypted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from amanat.db.base import ID, NOT_PERSONAL, Base, UTCDateTime, new_id, personal

STATUSES: Final = ("new", "open", "waiting_on_customer", "resolved", "closed")
PRIORITIES: Final = ("low", "normal", "high", "urgent")
CATEGORIES: Final = ("connection", "billing", "account", "technical", "other")
CHANNELS: Final = ("portal", "api", "email")
AUTHOR_KINDS: Final = ("customer", "staff", "sender", "system")


class SupportCounter(Base):
    """Named counters; ``ticket_number`` hands out the human-friendly ticket numbers."""

    __tablename__ = "support_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True, info=NOT_PERSONAL)
    value: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)


class Ticket(Base):
    __tablename__ = "support_tickets"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    number: Mapped[int] = mapped_column(Integer, unique=True, info=NOT_PERSONAL)
    # Key owner: the customer, or the unlinked ticket's own subject id.
    customer_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    linked: Mapped[bool] = mapped_column(Boolean, info=NOT_PERSONAL)
    channel: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    collection_point: Mapped[str] = mapped_column(String(32), info=NOT_PERSONAL)
    category: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    priority: Mapped[str] = mapped_column(String(16), index=True, info=NOT_PERSONAL)
    status: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    assignee_id: Mapped[str | None] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True, info=NOT_PERSONAL)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    first_response_due_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    resolution_due_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    subject_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal("support.message"))
    # An unlinked ticket's sender address (where answers go); None for account tickets.
    sender_ct: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal("contact.email"))


class TicketMessage(Base):
    """One entry of a ticket's thread: a message of the customer or an agent, or an
    internal note (``internal``) that the customer never sees."""

    __tablename__ = "support_messages"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    ticket_id: Mapped[str] = mapped_column(
        ID, ForeignKey("support_tickets.id", ondelete="CASCADE"), index=True, info=NOT_PERSONAL
    )
    customer_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    author_kind: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    author_id: Mapped[str | None] = mapped_column(ID, info=NOT_PERSONAL)
    internal: Mapped[bool] = mapped_column(Boolean, info=NOT_PERSONAL)
    channel: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    collection_point: Mapped[str] = mapped_column(String(32), info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True, info=NOT_PERSONAL)
    # Place in the thread (1, 2, ...): keeps the order of entries made in the same instant.
    position: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)
    # What redaction removed before storage: counts only, never the numbers.
    cards_redacted: Mapped[int] = mapped_column(Integer, default=0, info=NOT_PERSONAL)
    codes_redacted: Mapped[int] = mapped_column(Integer, default=0, info=NOT_PERSONAL)
    body_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal("support.message"))


class TicketAttachment(Base):
    """A file that came with an e-mail, within the type and size limits; encrypted whole."""

    __tablename__ = "support_attachments"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    message_id: Mapped[str] = mapped_column(
        ID, ForeignKey("support_messages.id", ondelete="CASCADE"), index=True, info=NOT_PERSONAL
    )
    customer_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    content_type: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    size: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)
    filename_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal("support.message"))
    content_ct: Mapped[bytes] = mapped_column(LargeBinary, info=personal("support.message"))
