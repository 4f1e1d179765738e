"""Delivery: the outbox's due messages go to the SMTP server after the commit that queued them.

Queueing (``comms.service.queue_mail``) only writes a row in the caller's transaction, so
a change that rolls back sends nothing. A delivery pass, run as a job by `amanat worker`
(and inside `amanat serve` on SQLite), then:

1. claims up to AMANAT_SMTP_BATCH_SIZE due messages in one short transaction: one UPDATE
   that sets a random claim token and a lease and counts the attempt. On PostgreSQL the
   candidate rows are chosen ``FOR UPDATE SKIP LOCKED``, so workers running at once claim
   disjoint sets; on SQLite the single UPDATE is atomic under the database's write lock.
2. reads each claimed message through the guard (as Amanat's mail job, under the purpose
   of what it carries), sends it, and records the outcome in that message's own
   transaction: ``sent``; ``retrying`` after a 4xx answer or a network error, due again
   after an exponential backoff; ``dead`` after a 5xx answer or AMANAT_SMTP_MAX_ATTEMPTS
   tries.

A worker that dies mid-send leaves its claim; when the lease ends another worker tries
again (at-least-once). The Message-ID is derived from the outbox id, and the Date from
the queueing time, so a repeat is the same message to the receiving server.
"""

from __future__ import annotations

import email.utils
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from typing import cast

from sqlalchemy import Table, or_, select, update

from amanat.access.guard import AccessDenied
from amanat.comms.dkim import DkimSigner, load_signer
from amanat.comms.models import OutboxMessage
from amanat.comms.service import show_message
from amanat.comms.smtp import Refused, SmtpTransport, Unreachable, smtp_config
from amanat.core.actor import Actor
from amanat.db.base import new_id
from amanat.runtime import Runtime

log = logging.getLogger("amanat.comms.delivery")
ACTOR = Actor.system("mail")
_OUTBOX = cast(Table, OutboxMessage.__table__)
DUE = ("queued", "retrying")
MAX_BACKOFF = timedelta(hours=6)


@dataclass
class DeliveryReport:
    """What one pass did: message ids by outcome."""

    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return len(self.sent) + len(self.retrying) + len(self.dead)


def message_id(outbox_id: str, sender: str) -> str:
    """The Message-ID of an outbox message: the same on every try."""
    return f"<{outbox_id}@{sender.rpartition('@')[2]}>"


def backoff(runtime: Runtime, attempts: int) -> timedelta:
    base = timedelta(seconds=runtime.settings.mail.retry_seconds)
    delay: timedelta = base * 2 ** max(attempts - 1, 0)
    return min(delay, MAX_BACKOFF)


def claim_due(runtime: Runtime, limit: int) -> tuple[str, list[str]]:
    """Claim up to ``limit`` due messages for this pass; (claim token, ids oldest first).
    Commits the claim (a batch job choosing its own transactions)."""
    now = runtime.clock.now()
    token = new_id()
    due = (
        select(_OUTBOX.c.id)
        .where(
            _OUTBOX.c.status.in_(DUE),
            or_(_OUTBOX.c.next_attempt_at.is_(None), _OUTBOX.c.next_attempt_at <= now),
            or_(_OUTBOX.c.claimed_until.is_(None), _OUTBOX.c.claimed_until < now),
        )
        .order_by(_OUTBOX.c.created_at, _OUTBOX.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one writer anyway
    )
    lease = now + timedelta(seconds=runtime.settings.mail.lease_seconds)
    claim = (
        update(_OUTBOX)
        .where(
            _OUTBOX.c.id.in_(due.scalar_subquery()),
            # Checked again on the row itself: a claim never takes a live lease.
            or_(_OUTBOX.c.claimed_until.is_(None), _OUTBOX.c.claimed_until < now),
        )
        .values(claim=token, claimed_until=lease, attempts=_OUTBOX.c.attempts + 1)
        .returning(_OUTBOX.c.id, _OUTBOX.c.created_at)
    )
    with runtime.uow() as uow:
        rows = uow.session.execute(claim).all()
        uow.commit()
    return token, [row.id for row in sorted(rows, key=lambda r: (r.created_at, r.id))]


def deliver_due(runtime: Runtime, limit: int | None = None) -> DeliveryReport:
    """One delivery pass (the job `amanat worker` runs); nothing when AMANAT_SMTP_URL is
    not set. Caller: the job runner or `amanat outbox deliver`. Reads each message through
    the guard as the system actor ``mail`` (access.granted); commits per message."""
    report = DeliveryReport()
    config = smtp_config(runtime.settings)
    if config is None:
        return report
    signer = load_signer(runtime.settings)
    token, ids = claim_due(runtime, limit or runtime.settings.mail.batch_size)
    if not ids:
        return report
    transport = SmtpTransport(config)
    down: str | None = None  # the server cannot be reached: the rest of the batch waits
    try:
        for outbox_id in ids:
            outcome = _deliver_one(runtime, transport, signer, token, outbox_id, down)
            if outcome is None:
                continue
            status, reason = outcome
            getattr(report, status).append(outbox_id)
            if status == "retrying" and reason in _NETWORK and down is None:
                down = reason
    finally:
        transport.close()
    return report


_NETWORK = {"timeout", "tls error", "connection refused", "disconnected"}


def _deliver_one(
    runtime: Runtime,
    transport: SmtpTransport,
    signer: DkimSigner | None,
    token: str,
    outbox_id: str,
    down: str | None,
) -> tuple[str, str | None] | None:
    settings = runtime.settings
    with runtime.uow() as uow:
        row = uow.session.get(OutboxMessage, outbox_id)
        if row is None or row.claim != token:
            return None  # the lease ran out and another worker has it now
        status, reason = "sent", None
        if row.attempts > settings.mail.max_attempts:
            status, reason = "dead", "attempts"  # a worker died on its last try
        elif down is not None:
            status, reason = _failed(runtime, row.attempts, down)
        else:
            try:
                view = show_message(uow, runtime, outbox_id, actor=ACTOR)
                data = compose(
                    outbox_id, settings.mail.sender, view.recipient, view.subject, view.body,
                    row.created_at, signer,
                )  # fmt: skip
                transport.send(data, settings.mail.sender, view.recipient)
            except AccessDenied:
                status, reason = "dead", "refused by policy"
            except ValueError:  # a header with a line break, an address that is not one
                status, reason = "dead", "malformed"
            except Refused as refused:
                status, reason = (
                    ("dead", refused.reason)
                    if refused.permanent
                    else _failed(runtime, row.attempts, refused.reason)
                )
            except Unreachable as unreachable:
                status, reason = _failed(runtime, row.attempts, unreachable.reason)
        _record(runtime, row, status, reason)
        uow.commit()
    log.info(
        "mail %s", status,
        extra={"event": f"comms.{status}", "outbox_id": outbox_id, "attempts": row.attempts,
               "reason": reason},
    )  # fmt: skip
    return status, reason


def _failed(runtime: Runtime, attempts: int, reason: str) -> tuple[str, str]:
    if attempts >= runtime.settings.mail.max_attempts:
        return "dead", reason
    return "retrying", reason


def _record(runtime: Runtime, row: OutboxMessage, status: str, reason: str | None) -> None:
    now = runtime.clock.now()
    row.status = status
    row.claim = None
    row.claimed_until = None
    row.last_error = reason[:64] if reason else None
    if status == "sent":
        row.sent_at = now
        row.next_attempt_at = None
    elif status == "retrying":
        row.next_attempt_at = now + backoff(runtime, row.attempts)
    else:
        row.next_attempt_at = None


def compose(
    outbox_id: str,
    sender: str,
    recipient: str,
    subject: str,
    body: str,
    queued_at: datetime,
    signer: DkimSigner | None = None,
) -> bytes:
    """The message as sent: stable Message-ID and Date, signed when DKIM is configured.
    Raises ValueError for a header with a line break."""
    message = EmailMessage(policy=SMTP)
    message["Message-ID"] = message_id(outbox_id, sender)
    message["Date"] = email.utils.format_datetime(queued_at)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    data = message.as_bytes()
    if signer is not None:
        data = signer.header(data) + data
    return data
