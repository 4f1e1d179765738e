"""Support tickets from the customer's side: open, follow, reply, close.

Every text that enters passes ``redaction.redact`` before it is encrypted: card numbers
and nearby security codes never reach the database. What was removed is recorded as a
count on the message and in the audit event, never the number, and the caller tells the
sender not to send card details (``CARD_WARNING``).

Replying to a closed ticket is refused (409: open a new ticket); a customer's reply to a
resolved or waiting ticket reopens it. Another customer's ticket is 404, the same answer
as a ticket that does not exist, and the attempt is recorded as access.denied.

The agent's side is amanat.support.desk; inbound e-mail is amanat.support.inbound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from amanat.access.guard import Access, AccessDenied
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.core.errors import Conflict, Invalid, NotFound
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.support.models import CATEGORIES, SupportCounter, Ticket, TicketMessage
from amanat.support.redaction import CARD_WARNING, Redaction, redact

COLLECTION_POINT = "support_contact"
MAX_SUBJECT_CHARS = 200
MAX_MESSAGE_CHARS = 10_000
FIRST_NUMBER = 10001
T = "support_tickets"
M = "support_messages"
_NUMBER = re.compile(r"^[Tt]-(\d{1,9})$")
NO_SUCH_TICKET = "There is no such ticket among yours; check the number (it looks like T-10042)."


def format_number(number: int) -> str:
    return f"T-{number}"


def parse_number(reference: str) -> int | None:
    match = _NUMBER.match(reference.strip()) if isinstance(reference, str) else None
    return int(match.group(1)) if match else None


def ticket_is_live(session: Session, customer_id: str, reference: str, now: datetime) -> bool:
    """The guard's ``ticket`` reference checker: the ticket exists, is this key owner's,
    and is not closed (``now`` is not needed: a ticket is live until it is closed).
    Read-only; never raises on malformed input."""
    del now
    number = parse_number(reference) if isinstance(reference, str) else None
    if number is None:
        return False
    status = session.scalar(
        select(Ticket.status).where(Ticket.number == number, Ticket.customer_id == customer_id)
    )
    return status is not None and status != "closed"


@dataclass(frozen=True)
class Written:
    """What a verb stored: the ticket, the new message, and what redaction removed."""

    ticket: Ticket
    message: TicketMessage | None
    cards_redacted: int

    @property
    def notice(self) -> str | None:
        return CARD_WARNING if self.cards_redacted else None


def mask_cards(text: str) -> Redaction:
    """``text`` with card numbers (and security codes beside them) masked, and how many
    were: for other domains' free text (the disclosure register's notes)."""
    return redact(text)


def clean_subject(subject: str) -> Redaction:
    """One line of 1..MAX_SUBJECT_CHARS characters, card numbers masked; or Invalid."""
    text = " ".join(subject.split())
    if not text:
        raise Invalid("Give the ticket a subject.", fields={"subject": "Write a short subject."})
    if len(text) > MAX_SUBJECT_CHARS:
        raise Invalid(
            f"The subject is too long: at most {MAX_SUBJECT_CHARS} characters, yours has "
            f"{len(text)}.",
            fields={"subject": f"At most {MAX_SUBJECT_CHARS} characters."},
        )
    return redact(text)


def clean_body(body: str, field: str = "message") -> Redaction:
    """1..MAX_MESSAGE_CHARS characters, card numbers masked; or Invalid naming the limit."""
    text = body.replace("\r\n", "\n").strip()
    if not text:
        raise Invalid("The message is empty; write what you need.", fields={field: "Required."})
    if len(text) > MAX_MESSAGE_CHARS:
        raise Invalid(
            f"The message is too long: at most {MAX_MESSAGE_CHARS} characters, yours has "
            f"{len(text)}. Split it into several replies.",
            fields={field: f"At most {MAX_MESSAGE_CHARS} characters."},
        )
    return redact(text)


def check_category(category: str) -> str:
    if category not in CATEGORIES:
        raise Invalid(
            f"Choose a category: {', '.join(CATEGORIES)}.",
            fields={"category": f"One of {', '.join(CATEGORIES)}."},
        )
    return category


def targets(runtime: Runtime, priority: str) -> tuple[timedelta, timedelta]:
    """First-response and resolution targets for a priority, from the settings."""
    settings = runtime.settings
    first = settings.support.first_response_minutes.get(priority, 480)
    resolution = settings.support.resolution_minutes.get(priority, 4320)
    return timedelta(minutes=first), timedelta(minutes=resolution)


def next_number(uow: UnitOfWork) -> int:
    """The next ticket number (T-10001 onwards), unique across concurrent workers."""
    session = uow.session
    for _ in range(3):
        row = session.execute(
            update(SupportCounter)
            .where(SupportCounter.name == "ticket_number")
            .values(value=SupportCounter.value + 1)
            .returning(SupportCounter.value)
        ).first()
        if row is not None:
            return int(row[0])
        try:
            with session.begin_nested():
                session.add(SupportCounter(name="ticket_number", value=FIRST_NUMBER))
            return FIRST_NUMBER
        except IntegrityError:
            continue  # another worker made the counter first; take the next value
    raise Conflict("Could not number the ticket; please try again.")


def check_collection(runtime: Runtime, categories: set[str]) -> None:
    """Refuse (as a bug) to store a category the policy does not collect at support contact."""
    for category in categories:
        if COLLECTION_POINT not in runtime.policy.category(category).collected_at:
            raise ValueError(f"{category} is not collected at {COLLECTION_POINT}")


def new_ticket(
    uow: UnitOfWork,
    runtime: Runtime,
    access: Access,
    *,
    linked: bool,
    subject: Redaction,
    category: str,
    channel: str,
    sender: str | None = None,
) -> Ticket:
    """Create the ticket row (no message, no audit): for open_ticket and inbound mail."""
    now = runtime.clock.now()
    first, resolution = targets(runtime, "normal")
    ticket = Ticket(
        number=next_number(uow), customer_id=access.customer_id, linked=linked,
        channel=channel, collection_point=COLLECTION_POINT, category=category,
        priority="normal", status="new", created_at=now, updated_at=now,
        first_response_due_at=now + first, resolution_due_at=now + resolution,
    )  # fmt: skip
    from amanat.db.base import new_id

    ticket.id = new_id()
    ticket.subject_ct = access.write(T, "subject_ct", ticket.id, "support.message", subject.text)
    if sender is not None:
        ticket.sender_ct = access.write(T, "sender_ct", ticket.id, "contact.email", sender)
    uow.session.add(ticket)
    uow.session.flush()
    return ticket


def add_message(
    uow: UnitOfWork,
    runtime: Runtime,
    access: Access,
    ticket: Ticket,
    body: Redaction,
    *,
    author_kind: str,
    author_id: str | None,
    internal: bool,
    channel: str,
) -> TicketMessage:
    """Append one (already redacted) entry to the thread; no audit (the verb records it)."""
    from amanat.db.base import new_id

    now = runtime.clock.now()
    count = uow.session.scalar(
        select(func.count()).select_from(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
    )
    message = TicketMessage(
        id=new_id(), ticket_id=ticket.id, customer_id=ticket.customer_id, position=(count or 0) + 1,
        author_kind=author_kind, author_id=author_id, internal=internal, channel=channel,
        collection_point=COLLECTION_POINT, created_at=now, cards_redacted=body.cards,
        codes_redacted=body.security_codes,
    )  # fmt: skip
    message.body_ct = access.write(M, "body_ct", message.id, "support.message", body.text)
    ticket.updated_at = now
    uow.session.add(message)
    uow.session.flush()
    return message


def open_ticket(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    *,
    subject: str,
    category: str,
    message: str,
    channel: str,
) -> Written:
    """A customer opens a ticket through the portal or the API (purpose ``self``).

    Records support.ticket_opened with the number of card numbers removed. Raises
    Invalid (empty or oversized subject or message, unknown category).
    """
    clean_subject_ = clean_subject(subject)
    body = clean_body(message)
    check_category(category)
    check_collection(runtime, {"support.message"})
    access = runtime.guard.open(uow, actor, actor.id, "self", writes={"support.message"})
    ticket = new_ticket(
        uow, runtime, access, linked=True, subject=clean_subject_, category=category,
        channel=channel,
    )  # fmt: skip
    entry = add_message(
        uow, runtime, access, ticket, body, author_kind="customer", author_id=actor.id,
        internal=False, channel=channel,
    )  # fmt: skip
    cards = clean_subject_.cards + body.cards
    audit.record(
        uow, runtime.clock, Event.SUPPORT_TICKET_OPENED, actor, customer_id=actor.id,
        purpose="self", categories={"support.message"}, reference=format_number(ticket.number),
        details={"channel": channel, "cards_redacted": cards, "message": entry.id},
    )  # fmt: skip
    return Written(ticket, entry, cards)


def customer_ticket(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, reference: str, *, reads: bool = True
) -> tuple[Ticket, Access]:
    """The customer's own ticket and a ``self`` access to it; NotFound otherwise.

    Another customer's ticket answers exactly like a missing one; the attempt is
    recorded by the guard as access.denied.
    """
    number = parse_number(reference)
    ticket = (
        uow.session.scalar(select(Ticket).where(Ticket.number == number))
        if number is not None
        else None
    )
    if ticket is None:
        raise NotFound(NO_SUCH_TICKET)
    try:
        access = runtime.guard.open(
            uow, actor, ticket.customer_id, "self",
            reads={"support.message"} if reads else (), writes={"support.message"},
            reference=format_number(ticket.number),
        )  # fmt: skip
    except AccessDenied:
        raise NotFound(NO_SUCH_TICKET) from None
    return ticket, access


def reply_as_customer(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, reference: str, message: str, channel: str
) -> Written:
    """The customer adds to their thread; a resolved or waiting ticket opens again.

    Records support.customer_replied. Raises NotFound, Invalid, or Conflict when the
    ticket is closed (closed is final: open a new ticket).
    """
    body = clean_body(message)
    ticket, access = customer_ticket(uow, runtime, actor, reference, reads=False)
    if ticket.status == "closed":
        raise Conflict(
            f"Ticket {format_number(ticket.number)} is closed; open a new ticket and mention "
            "this number."
        )
    entry = add_message(
        uow, runtime, access, ticket, body, author_kind="customer", author_id=actor.id,
        internal=False, channel=channel,
    )  # fmt: skip
    if ticket.status in ("resolved", "waiting_on_customer"):
        ticket.status = "open"
        ticket.resolved_at = None
    audit.record(
        uow, runtime.clock, Event.SUPPORT_CUSTOMER_REPLIED, actor, customer_id=actor.id,
        purpose="self", categories={"support.message"}, reference=format_number(ticket.number),
        details={"channel": channel, "cards_redacted": body.cards, "message": entry.id},
    )  # fmt: skip
    return Written(ticket, entry, body.cards)


def close_as_customer(uow: UnitOfWork, runtime: Runtime, actor: Actor, reference: str) -> Ticket:
    """The customer closes their ticket (final). Records support.ticket_closed; closing a
    closed ticket changes nothing and records nothing. Raises NotFound."""
    ticket, _ = customer_ticket(uow, runtime, actor, reference, reads=False)
    if ticket.status == "closed":
        return ticket
    now = runtime.clock.now()
    previous = ticket.status
    ticket.status, ticket.closed_at, ticket.updated_at = "closed", now, now
    audit.record(
        uow, runtime.clock, Event.SUPPORT_TICKET_CLOSED, actor, customer_id=actor.id,
        purpose="self", reference=format_number(ticket.number),
        details={"from": previous},
    )  # fmt: skip
    return ticket


def list_customer_tickets(uow: UnitOfWork, runtime: Runtime, actor: Actor) -> list[TicketView]:
    """The customer's tickets, newest first, with subjects (one ``self`` read, audited)."""
    tickets = uow.session.scalars(
        select(Ticket).where(Ticket.customer_id == actor.id).order_by(Ticket.created_at.desc())
    ).all()
    if not tickets:
        return []
    access = runtime.guard.open(uow, actor, actor.id, "self", reads={"support.message"})
    return [view(access, t, []) for t in tickets]


def show_customer_ticket(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, reference: str
) -> TicketView:
    """The customer's ticket and its thread without internal notes. Raises NotFound."""
    ticket, access = customer_ticket(uow, runtime, actor, reference)
    return view(access, ticket, thread(uow, access, ticket, internal=False))


@dataclass(frozen=True)
class MessageView:
    id: str
    author: str
    internal: bool
    created_at: datetime
    body: str
    cards_redacted: int
    attachments: list[AttachmentView]


@dataclass(frozen=True)
class AttachmentView:
    id: str
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class TicketView:
    ticket: Ticket
    number: str
    subject: str
    messages: list[MessageView]


_AUTHOR = {"customer": "customer", "staff": "agent", "sender": "sender", "system": "system"}


def view(access: Access, ticket: Ticket, messages: list[MessageView]) -> TicketView:
    subject = access.read(T, "subject_ct", ticket.id, "support.message", ticket.subject_ct) or ""
    return TicketView(ticket, format_number(ticket.number), subject, messages)


def thread(uow: UnitOfWork, access: Access, ticket: Ticket, *, internal: bool) -> list[MessageView]:
    """The ticket's messages in order; internal notes only when ``internal``."""
    from amanat.support.models import TicketAttachment

    query = select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
    if not internal:
        query = query.where(TicketMessage.internal.is_(False))
    rows = uow.session.scalars(query.order_by(TicketMessage.position)).all()
    files: dict[str, list[AttachmentView]] = {}
    if rows:
        for a in uow.session.scalars(
            select(TicketAttachment).where(TicketAttachment.message_id.in_([r.id for r in rows]))
        ):
            name = access.read(
                "support_attachments", "filename_ct", a.id, "support.message", a.filename_ct
            )
            files.setdefault(a.message_id, []).append(
                AttachmentView(a.id, name or "", a.content_type, a.size)
            )
    return [
        MessageView(
            id=r.id,
            author=_AUTHOR.get(r.author_kind, "system"),
            internal=r.internal,
            created_at=r.created_at,
            body=access.read(M, "body_ct", r.id, "support.message", r.body_ct) or "",
            cards_redacted=r.cards_redacted,
            attachments=files.get(r.id, []),
        )
        for r in rows
    ]
