"""The outbox: queue a message (encrypted), list and read it back for the operator.

Other domains send mail with ``queue_mail``. The message is encrypted under the
recipient's data key as ``comms.message`` through the guard, so reading one back (the
operator's ``amanat outbox show``, the staff page) is an audited access too.

A message is read under the purpose of what it carries (``CARRIES``), not the purpose
it was sent under: a support answer is a support message, an invoice mail a billing
record, whatever mailing sent them. A domain whose mail carries its records adds its
kinds there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, insert, select

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.comms.models import OutboxMessage
from amanat.core.actor import Actor
from amanat.core.errors import NotFound
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

if TYPE_CHECKING:
    from amanat.access.guard import Access
    from amanat.comms.sms import SmsSender

T = "outbox_messages"
_OUTBOX = cast(Table, OutboxMessage.__table__)
OPERATOR = Actor.system("outbox")


# Kind of mail -> (the purpose its content is read under, the category it carries).
# Kinds not named here are read under the purpose they were sent for, as comms.message.
CARRIES: dict[str, tuple[str, str]] = {
    "support_reply": ("support", "support.message"),
    "support_received": ("support", "support.message"),
    "invoice": ("billing", "billing.record"),
    "invoice_reminder": ("billing", "billing.record"),
}
_RECIPIENT = "contact.email"


def content_purpose(kind: str, sent_for: str) -> tuple[str, str]:
    """The purpose a message's content is read under, and the category its subject and
    body are read as."""
    return CARRIES.get(kind, (sent_for, "comms.message"))


@dataclass(frozen=True)
class OutboxEntry:
    id: str
    customer_id: str
    kind: str
    purpose: str
    status: str
    created_at: datetime
    attempts: int = 0  # delivery tries so far (comms.delivery)
    last_error: str | None = None  # SMTP code or network error of the last failed try


@dataclass(frozen=True)
class OutboxMessageView:
    entry: OutboxEntry
    recipient: str
    subject: str
    body: str


def queue_mail(
    uow: UnitOfWork,
    runtime: Runtime,
    *,
    customer_id: str,
    subject: str,
    body: str,
    kind: str,
    to: str | None = None,
    purpose: str = "service_updates",
    actor: Actor | None = None,
) -> str:
    """Queue one message to a customer (or staff member); returns the message id.

    ``to`` defaults to the customer's e-mail address (read through the guard for
    ``purpose``). ``purpose`` must be one that writes ``comms.message`` in the policy
    (service_updates, communications, promotional; account_management for sign-in
    mail); the default ``actor`` is Amanat's own mail job. The message is encrypted; nothing leaves before the caller commits.
    Records comms.queued (ids and kind only). Raises AccessDenied if the purpose does
    not allow it.
    """
    actor = actor or Actor.system("mail")
    if to is None:
        from amanat.customers.service import read_email

        to = read_email(uow, runtime, actor, customer_id, purpose)
    message = OutboxMessage(
        customer_id=customer_id, kind=kind, purpose=purpose, status="queued",
        created_at=runtime.clock.now(), attempts=0,
    )  # fmt: skip
    from amanat.db.base import new_id

    message.id = new_id()
    access = runtime.guard.open(uow, actor, customer_id, purpose, writes={"comms.message"})
    mid = message.id
    message.recipient_ct = access.write(T, "recipient_ct", mid, "comms.message", to)
    message.subject_ct = access.write(T, "subject_ct", mid, "comms.message", subject)
    message.body_ct = access.write(T, "body_ct", mid, "comms.message", body)
    uow.session.add(message)
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.COMMS_QUEUED, actor, customer_id=customer_id,
        purpose=purpose, categories={"comms.message"}, details={"message": mid, "kind": kind},
    )  # fmt: skip
    return mid


@dataclass(frozen=True)
class Mail:
    """One message of a bulk queueing: to whom (already read through the guard) and what."""

    customer_id: str
    to: str
    subject: str
    body: str


def queue_mails(
    uow: UnitOfWork,
    runtime: Runtime,
    mails: Sequence[Mail],
    *,
    kind: str,
    purpose: str = "service_updates",
    actor: Actor | None = None,
) -> list[str]:
    """Queue many messages at once (jobs: the billing run's invoice mail); their ids.

    The same guarantees as ``queue_mail`` one by one: the guard decides each customer
    (one access per customer for ``purpose``), every message is encrypted under its
    customer's key and records its own comms.queued; the rows go in one multi-row
    INSERT. Nothing leaves before the caller commits. Raises AccessDenied.
    """
    from amanat.db.base import new_id

    actor = actor or Actor.system("mail")
    now = runtime.clock.now()
    grants: dict[str, Access] = {}
    rows: list[dict[str, object]] = []
    for mail in mails:
        access = grants.get(mail.customer_id)
        if access is None:
            access = runtime.guard.open(
                uow, actor, mail.customer_id, purpose, writes={"comms.message"}
            )
            grants[mail.customer_id] = access
        mid = new_id()
        rows.append({
            "id": mid, "customer_id": mail.customer_id, "kind": kind, "purpose": purpose,
            "status": "queued", "created_at": now, "sent_at": None, "attempts": 0,
            "recipient_ct": access.write(T, "recipient_ct", mid, "comms.message", mail.to),
            "subject_ct": access.write(T, "subject_ct", mid, "comms.message", mail.subject),
            "body_ct": access.write(T, "body_ct", mid, "comms.message", mail.body),
        })  # fmt: skip
        audit.record(
            uow, runtime.clock, Event.COMMS_QUEUED, actor, customer_id=mail.customer_id,
            purpose=purpose, categories={"comms.message"}, details={"message": mid, "kind": kind},
        )  # fmt: skip
    if rows:
        uow.session.connection().execute(insert(_OUTBOX), rows)
    return [str(row["id"]) for row in rows]


def list_outbox(
    uow: UnitOfWork, *, limit: int = 50, status: str | None = None
) -> list[OutboxEntry]:
    """The newest messages, without their content (no personal data: ids, kinds, times)."""
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return [_entry(m) for m in uow.session.scalars(query).all()]


def show_message(
    uow: UnitOfWork,
    runtime: Runtime,
    message_id: str,
    actor: Actor | None = None,
    reference: str | None = None,
) -> OutboxMessageView:
    """One message decrypted: for the operator (the mail job, by default) or a staff
    member on the outbox page.

    Read through the guard under the purpose of what the message carries
    (``content_purpose``): a support message for ``support``, with the ticket as
    ``reference``; a billing record for ``billing``, with the invoice; account mail for
    ``account_management``, which no staff role holds. The caller commits ``uow`` for
    the access record to stand. Records access.granted or access.denied. Raises
    NotFound, AccessDenied.
    """
    message = uow.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound("There is no message with that id; `amanat outbox list` shows them.")
    reader = actor or OPERATOR
    purpose, category = content_purpose(message.kind, message.purpose)
    access = runtime.guard.open(
        uow, reader, message.customer_id, purpose, reads={_RECIPIENT, category},
        reference=reference,
    )  # fmt: skip
    mid = message.id

    def read(column: str, category: str, value: bytes) -> str:
        return access.read(T, column, mid, category, value) or ""

    return OutboxMessageView(
        entry=_entry(message),
        recipient=read("recipient_ct", _RECIPIENT, message.recipient_ct),
        subject=read("subject_ct", category, message.subject_ct),
        body=read("body_ct", category, message.body_ct),
    )


def _entry(message: OutboxMessage) -> OutboxEntry:
    return OutboxEntry(
        id=message.id, customer_id=message.customer_id, kind=message.kind,
        purpose=message.purpose, status=message.status, created_at=message.created_at,
        attempts=message.attempts, last_error=message.last_error,
    )  # fmt: skip


def sms_sender(runtime: Runtime) -> SmsSender:
    """The configured sender of text messages (``amanat.comms.sms``): the outbox until a
    provider adapter is configured. Its ``send`` queues; nothing leaves before commit."""
    from amanat.comms import sms  # sms builds on queue_mail above

    return sms.sms_sender(runtime)
