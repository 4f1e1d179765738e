"""Security notices: mail to the account's verified address after a change that an
attacker holding a session would make (ASVS 2.5.5, 3.3.x): a password change or reset,
an e-mail change (to the old address, with a link that undoes it), a second factor
turned on or off, recovery codes replaced, an API token created.

Queued in the caller's transaction through the outbox, so nothing is sent unless the
change commits. Staff have no mailbox in Amanat; their notices are the audit events.
"""

from __future__ import annotations

from amanat.accounts import mail
from amanat.comms.service import queue_mail
from amanat.core.actor import Actor
from amanat.customers import service as customers
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

ACCOUNT_MAIL = "account_management"
NOTICE_ACTOR = Actor.system("accounts")


def notify(uow: UnitOfWork, runtime: Runtime, actor: Actor, kind: str) -> None:
    """Queue the ``kind`` notice (see ``mail.NOTICES``) to a customer's verified address.

    Callers: the accounts services, after the change in the same transaction. Does
    nothing for staff or for a customer whose address is not verified (a stranger's
    address must not receive mail about an account it never confirmed). Records
    comms.queued through the outbox.
    """
    if actor.kind != "customer":
        return
    customer = customers.get_customer(uow, actor.id)
    if customer.email_verified_at is None:
        return
    name, email = customers.read_name_and_email(uow, runtime, NOTICE_ACTOR, actor.id, ACCOUNT_MAIL)
    subject, body = mail.notice(runtime, name, kind)
    queue_mail(
        uow, runtime, customer_id=actor.id, to=email, subject=subject, body=body, kind=kind,
        purpose=ACCOUNT_MAIL, actor=NOTICE_ACTOR,
    )  # fmt: skip
