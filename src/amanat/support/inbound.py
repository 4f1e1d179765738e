"""Inbound support e-mail: one parsed message becomes a ticket or a reply.

A sender whose address belongs to an account (found through the e-mail blind index) gets
a ticket linked to it; an unknown sender gets a ticket of its own, keyed by a new key
owner id, with their address encrypted as ``contact.email``. A ticket number in the
subject (``[T-10042]``) continues that ticket when it is the sender's and not closed;
otherwise a new ticket is opened. Everything the mail brings is recorded as collected at
``support_contact``.

Limits: the whole message at most MAX_MAIL_BYTES (the listener refuses bigger ones with
552); text longer than the message limit is cut, with a note; attachments of an allowed
type and size are stored encrypted (text attachments redacted), others are dropped and
the automatic answer says which and why. The answer (outbox) also warns against card
numbers when one was removed.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import getaddresses

from sqlalchemy import select

from amanat.access.guard import Access
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.core.errors import BadRequest
from amanat.db.base import new_id
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.support import service as tickets
from amanat.support.models import Ticket, TicketAttachment
from amanat.support.redaction import CARD_WARNING, MASK, Redaction, redact
from amanat.vault.normalise import normalise_email

MAX_MAIL_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 1024 * 1024
MAX_ATTACHMENTS = 5
ALLOWED_TYPES = ("text/plain", "image/png", "image/jpeg")
ACTOR = Actor.system("support_mail")
PURPOSE = "support"
_NUMBER_IN_SUBJECT = re.compile(r"\bT-(\d{1,9})\b", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
TRUNCATED = "\n\n[The rest of this e-mail was cut: messages keep at most {} characters.]"


class MailRefused(BadRequest):
    """The message cannot become a ticket; ``smtp`` is the reply the sender's server gets."""

    def __init__(self, message: str, smtp: str, reason: str) -> None:
        super().__init__(message)
        self.smtp = smtp
        self.reason = reason


@dataclass
class Receipt:
    number: str
    new_ticket: bool
    linked: bool
    cards_redacted: int
    refused_attachments: list[str] = field(default_factory=list)


def parse(raw: bytes) -> EmailMessage:
    if len(raw) > MAX_MAIL_BYTES:
        raise MailRefused(
            f"The e-mail is too big: at most {MAX_MAIL_BYTES} bytes.",
            f"552 5.3.4 Message too big: at most {MAX_MAIL_BYTES} bytes",
            "too_big",
        )
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def sender_of(message: EmailMessage) -> str:
    """The normalised From address, or MailRefused."""
    try:
        pairs = getaddresses([str(message.get("from", ""))])
        address = normalise_email(pairs[0][1]) if len(pairs) == 1 else ""
    except (ValueError, IndexError, TypeError):
        address = ""
    if not address:
        raise MailRefused(
            "The e-mail has no valid From address.",
            "550 5.1.7 A support message needs one valid From address",
            "no_sender",
        )
    return address


def _text_of(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def body_of(message: EmailMessage) -> str:
    """The text of the message: its plain part, else its HTML part reduced to text."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _text_of(part)  # type: ignore[arg-type]  # get_body returns the same message class
    if part.get_content_subtype() == "html":
        text = html.unescape(_TAG.sub(" ", re.sub(r"(?i)<br\s*/?>|</p>", "\n", text)))
    return text


def _clean(text: str) -> Redaction:
    text = text.replace("\r\n", "\n").strip() or "(The e-mail had no text.)"
    limit = tickets.MAX_MESSAGE_CHARS
    if len(text) > limit:
        note = TRUNCATED.format(limit)
        text = text[: limit - len(note)] + note
    return redact(text)


def _subject(message: EmailMessage) -> tuple[Redaction, int | None]:
    try:
        raw = " ".join(str(message.get("subject", "")).split())
    except (ValueError, TypeError):
        raw = ""
    match = _NUMBER_IN_SUBJECT.search(raw)
    text = raw[: tickets.MAX_SUBJECT_CHARS] or "(no subject)"
    return redact(text), int(match.group(1)) if match else None


def _customer_for(uow: UnitOfWork, runtime: Runtime, address: str) -> str | None:
    from amanat.customers.service import find_by_email

    customer = find_by_email(uow, runtime, address)
    return customer.id if customer is not None and customer.status == "active" else None


def _thread(
    uow: UnitOfWork, runtime: Runtime, number: int | None, owner: str | None, sender: str
) -> Ticket | None:
    """The ticket the mail continues: the sender's, not closed; else None (a new ticket)."""
    if number is None:
        return None
    ticket = uow.session.scalar(select(Ticket).where(Ticket.number == number))
    if ticket is None or ticket.status == "closed":
        return None
    if owner is not None:
        return ticket if ticket.linked and ticket.customer_id == owner else None
    if ticket.linked:
        return None
    access = runtime.guard.open(
        uow, ACTOR, ticket.customer_id, PURPOSE, reads={"contact.email"},
        reference=tickets.format_number(ticket.number),
    )  # fmt: skip
    known = access.read(
        "support_tickets", "sender_ct", ticket.id, "contact.email", ticket.sender_ct
    )
    return ticket if known == sender else None


def receive(uow: UnitOfWork, runtime: Runtime, raw: bytes) -> Receipt:
    """Turn one inbound e-mail into a ticket or a reply, and queue the automatic answer.

    Caller: the SMTP listener (amanat.support.mail), which commits. Acts as the system
    job ``support_mail`` for purpose ``support``. Records support.ticket_opened or
    support.customer_replied (channel email). Raises MailRefused.
    """
    message = parse(raw)
    sender = sender_of(message)
    subject, number = _subject(message)
    body = _clean(body_of(message))
    tickets.check_collection(runtime, {"support.message", "contact.email"})
    owner = _customer_for(uow, runtime, sender)
    ticket = _thread(uow, runtime, number, owner, sender)
    key_owner = ticket.customer_id if ticket is not None else owner or new_id()
    linked = owner is not None
    access = runtime.guard.open(
        uow, ACTOR, key_owner, PURPOSE, writes={"support.message", "contact.email"},
        reference=tickets.format_number(ticket.number) if ticket is not None else None,
    )  # fmt: skip
    is_new = ticket is None
    if ticket is None:
        ticket = tickets.new_ticket(
            uow, runtime, access, linked=linked, subject=subject, category="other",
            channel="email", sender=None if linked else sender,
        )  # fmt: skip
    entry = tickets.add_message(
        uow, runtime, access, ticket, body, author_kind="customer" if linked else "sender",
        author_id=owner, internal=False, channel="email",
    )  # fmt: skip
    if not is_new and ticket.status in ("resolved", "waiting_on_customer"):
        ticket.status = "open"
        ticket.resolved_at = None
    refused = _attachments(uow, access, message, entry.id, key_owner)
    cards = body.cards + (subject.cards if is_new else 0)
    reference = tickets.format_number(ticket.number)
    audit.record(
        uow, runtime.clock,
        Event.SUPPORT_TICKET_OPENED if is_new else Event.SUPPORT_CUSTOMER_REPLIED, ACTOR,
        customer_id=key_owner, purpose=PURPOSE, categories={"support.message"},
        reference=reference,
        details={"channel": "email", "cards_redacted": cards, "message": entry.id,
                 "linked": linked, "attachments_refused": len(refused)},
    )  # fmt: skip
    receipt = Receipt(reference, is_new, linked, cards, refused)
    _answer(uow, runtime, key_owner, sender, receipt)
    return receipt


def _attachments(
    uow: UnitOfWork, access: Access, message: EmailMessage, message_id: str, owner: str
) -> list[str]:
    """Store the allowed attachments; return a line per refused one (name and why)."""
    refused: list[str] = []
    stored = 0
    for part in message.iter_attachments():
        # Masked at once: the name is stored, and a refused one is quoted in the answer.
        name = _redact_file_name(" ".join(str(part.get_filename() or "attachment").split())[:120])
        kind = part.get_content_type()
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if kind not in ALLOWED_TYPES:
            refused.append(f"{name}: files of type {kind} are not accepted (only text, PNG, JPEG)")
            continue
        if len(data) > MAX_ATTACHMENT_BYTES:
            refused.append(f"{name}: larger than {MAX_ATTACHMENT_BYTES // 1024} KiB")
            continue
        if stored >= MAX_ATTACHMENTS:
            refused.append(f"{name}: at most {MAX_ATTACHMENTS} files per message")
            continue
        if kind == "text/plain":
            data = redact(_attachment_text(part, data)).text.encode()
        attachment = TicketAttachment(
            id=new_id(), message_id=message_id, customer_id=owner, content_type=kind,
            size=len(data),
        )  # fmt: skip
        table = "support_attachments"
        attachment.filename_ct = access.write(
            table, "filename_ct", attachment.id, "support.message", name
        )
        attachment.content_ct = access.write(
            table, "content_ct", attachment.id, "support.message", base64.b64encode(data).decode()
        )
        uow.session.add(attachment)
        stored += 1
    uow.session.flush()
    return refused


def _attachment_text(part: MIMEPart, data: bytes) -> str:
    """A text attachment as text, in its declared charset; UTF-8 when that fails.

    Digits spaced out by NUL characters (UTF-16 sent as something else) would hide a
    card number from the detector, so NULs are dropped: they carry nothing readable.
    """
    try:
        content = part.get_content()
        text = content if isinstance(content, str) else data.decode("utf-8", "replace")
    except (LookupError, UnicodeError, ValueError):
        text = data.decode("utf-8", "replace")
    return text.replace("\x00", "")


def _redact_file_name(name: str) -> str:
    """The file name with card numbers masked, ``4111_1111_1111_1111.txt`` included.

    File names separate groups with underscores, which prose does not; the detector
    reads them as spaces here, and the mask (which keeps the length) is laid back over
    the name as written.
    """
    probe = redact(name.replace("_", " "))
    if not probe.redacted:
        return name
    return "".join(m if m == MASK else ch for ch, m in zip(name, probe.text, strict=True))


def _answer(uow: UnitOfWork, runtime: Runtime, owner: str, sender: str, receipt: Receipt) -> None:
    from amanat.comms.service import queue_mail

    lines = [
        "Hello,",
        "",
        f"We received your message as support ticket {receipt.number}"
        + (" (a new ticket)." if receipt.new_ticket else "."),
        f"Keep {receipt.number} in the subject when you write again about it.",
    ]
    if receipt.cards_redacted:
        lines += ["", CARD_WARNING]
    if receipt.refused_attachments:
        lines += ["", "These attachments were not kept:"]
        lines += [f"- {line}" for line in receipt.refused_attachments]
    queue_mail(
        uow, runtime, customer_id=owner, to=sender, kind="support_received",
        purpose="service_updates", subject=f"[{receipt.number}] We received your message",
        body="\n".join(lines) + "\n",
    )  # fmt: skip


def record_refusal(uow: UnitOfWork, runtime: Runtime, reason: str) -> None:
    """Audit a refused e-mail by reason code only (too_big, no_sender, ...)."""
    audit.record(
        uow, runtime.clock, Event.SUPPORT_MAIL_REFUSED, ACTOR, outcome="failed",
        details={"reason": reason},
    )  # fmt: skip
