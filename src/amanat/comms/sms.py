"""Text messages (SMS) through a provider interface.

``SmsSender`` is what a provider adapter implements. The default, ``OutboxSms``, keeps
each message in the outbox like mail (encrypted under the recipient's data key, read
with ``amanat outbox list|show``), so nothing leaves until an operator wires a provider.
"""

from __future__ import annotations

from typing import Protocol

from amanat.comms.service import queue_mail
from amanat.core.actor import Actor
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

SMS_SUBJECT = "SMS"  # outbox rows of text messages carry this subject; the number is the recipient


class SmsSender(Protocol):
    def send(
        self,
        uow: UnitOfWork,
        runtime: Runtime,
        *,
        customer_id: str,
        to: str,
        text: str,
        kind: str,
        purpose: str,
        actor: Actor,
    ) -> str:
        """Queue one text message to ``to`` (E.164) for ``customer_id``; its id. Nothing
        leaves before the caller commits."""
        ...


class OutboxSms:
    """The default: the message stays in the outbox (audited as comms.queued)."""

    def send(
        self,
        uow: UnitOfWork,
        runtime: Runtime,
        *,
        customer_id: str,
        to: str,
        text: str,
        kind: str,
        purpose: str,
        actor: Actor,
    ) -> str:
        return queue_mail(
            uow, runtime, customer_id=customer_id, to=to, subject=SMS_SUBJECT, body=text,
            kind=kind, purpose=purpose, actor=actor,
        )  # fmt: skip


def sms_sender(runtime: Runtime) -> SmsSender:
    """The configured sender; the outbox until a provider adapter is configured."""
    return OutboxSms()
