"""A new phone number is confirmed by a code sent to it, never checked against other
accounts up front (F-05): asking for a number answers the same whoever holds it.

The code (six digits, valid 15 minutes) goes by SMS through ``comms.service.sms_sender`` (the outbox by
default). Only a keyed hash of (pending row, number, code) is stored, so the number
itself is not kept before it is confirmed; the customer sends the number back with the
code. Requests are limited per number and per account like mail (three in 15 minutes,
one a day from the tenth in a row); five wrong codes void the pending one.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from amanat.accounts.models import ActionToken
from amanat.accounts.throttle import throttle_for
from amanat.comms.service import sms_sender
from amanat.core.actor import Actor
from amanat.core.errors import AmanatError, Invalid
from amanat.customers import service as customers
from amanat.customers.schemas import ProfileOut, ProfileUpdateIn
from amanat.customers.service import FIX_FIELDS, normalised
from amanat.db.base import new_id
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.vault.normalise import normalise_phone

ACTION = "verify_phone"
LIFETIME = timedelta(minutes=15)
MAX_WRONG = 5
WRONG_CODE = (
    "This code is not right or has expired; check it, or change the number again for a new one."
)


def update_profile(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, update: ProfileUpdateIn
) -> ProfileOut:
    """The customer's own profile change (customers.update_profile); a new phone is not
    set but sent a code (``phone_verification="sent"``), the same answer for any number.

    Raises Invalid with every bad field at once, TooManyRequests when codes were asked
    for this number or account too often (nothing changes then).
    """
    errors: dict[str, str] = {}
    phone = normalised("phone", update.phone, normalise_phone, errors) if update.phone else None
    try:
        profile = customers.update_profile(
            uow, runtime, actor, actor.id, update.model_copy(update={"phone": None})
        )
    except Invalid as exc:
        raise Invalid(FIX_FIELDS, fields={**errors, **exc.fields}) from exc
    if errors:
        raise Invalid(FIX_FIELDS, fields=errors)
    if phone is None:
        return profile
    _send_code(uow, runtime, actor, phone)
    return profile.model_copy(update={"phone_verification": "sent"})


def _send_code(uow: UnitOfWork, runtime: Runtime, actor: Actor, phone: str) -> None:
    throttle = throttle_for(runtime)
    now = runtime.clock.now()
    number_key = "sms:" + runtime.vault.hash_token("sms|" + phone)
    account_key = f"smsacct:{actor.id}"
    refusal, _ = throttle.check(uow, now, [number_key, account_key], "sms")
    if refusal is not None:
        raise refusal.error()
    throttle.record_mail_request(uow, now, number_key, None)
    throttle.record_mail_request(uow, now, account_key, None)
    for pending in _pending(uow, runtime, actor.id):
        pending.used_at = now  # one code at a time: a new one voids the last
    code = f"{secrets.randbelow(10**6):06d}"
    row_id = new_id()
    uow.session.add(
        ActionToken(
            id=row_id, action=ACTION, principal_kind="customer", principal_id=actor.id,
            created_at=now, expires_at=now + LIFETIME, token_hash=_hash(runtime, row_id, phone, code),
        )
    )  # fmt: skip
    uow.session.flush()
    # No name or other customer text: the number is not yet known to be the customer's.
    text = (
        f"Your Amanat code is {code}. It adds this number to your account and expires in "
        "15 minutes. If you did not ask for it, ignore this message."
    )
    sms_sender(runtime).send(
        uow, runtime, customer_id=actor.id, to=phone, text=text, kind="phone_code",
        purpose="account_management", actor=Actor.system("accounts"),
    )  # fmt: skip


def _hash(runtime: Runtime, row_id: str, phone: str, code: str) -> str:
    return runtime.vault.hash_token(f"{ACTION}|{row_id}|{phone}|{code}")


def _pending(uow: UnitOfWork, runtime: Runtime, customer_id: str) -> list[ActionToken]:
    return list(
        uow.session.scalars(
            select(ActionToken).where(
                ActionToken.principal_id == customer_id,
                ActionToken.action == ACTION,
                ActionToken.used_at.is_(None),
                ActionToken.expires_at > runtime.clock.now(),
            )
        ).all()
    )


@dataclass
class PhoneOutcome:
    """A confirmation's result; ``error`` is raised by the caller after commit (a wrong
    code is counted, and the count must be kept)."""

    profile: ProfileOut | None = None
    error: AmanatError | None = None

    def raise_for_failure(self) -> ProfileOut:
        if self.error is not None:
            raise self.error
        assert self.profile is not None
        return self.profile


def confirm_phone(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, phone: str, code: str
) -> PhoneOutcome:
    """Set the new phone when ``code`` is the one sent to ``phone``.

    Callers: the signed-in customer. Records customer.updated (contact.phone). Outcome
    errors: Invalid for a wrong or expired code (the fifth wrong one voids it), Conflict
    (naming no account) when the confirmed number is on another account.
    """
    try:
        number = normalise_phone(phone)
    except ValueError as exc:
        return PhoneOutcome(error=Invalid(FIX_FIELDS, fields={"phone": str(exc)}))
    pending = _pending(uow, runtime, actor.id)
    candidate = code.strip()
    match = next(
        (
            row
            for row in pending
            if hmac.compare_digest(
                row.token_hash.encode(), _hash(runtime, row.id, number, candidate).encode()
            )
        ),
        None,
    )
    throttle = throttle_for(runtime)
    wrong_key = f"phonecode:{actor.id}"
    if match is None:
        if throttle.store.increment(uow, wrong_key, runtime.clock.now()).consecutive >= MAX_WRONG:
            for row in pending:
                row.used_at = runtime.clock.now()
            throttle.clear(uow, wrong_key)
        return PhoneOutcome(error=Invalid(WRONG_CODE, fields={"code": WRONG_CODE}))
    match.used_at = runtime.clock.now()
    throttle.clear(uow, wrong_key)
    try:
        customers.set_phone(uow, runtime, actor, actor.id, number)
    except AmanatError as exc:
        return PhoneOutcome(error=exc)
    throttle.clear(uow, f"smsacct:{actor.id}")
    return PhoneOutcome(profile=customers.read_profile(uow, runtime, actor, actor.id))
