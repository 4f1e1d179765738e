"""Sign-in (customers and staff, one core), sign-out and password reminders.

Sign-in returns an outcome instead of raising: a failure changes state (throttling
counters, security events) that must be committed, so the caller commits and only then
raises ``outcome.error``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import timedelta

from amanat.accounts import mail, sessions
from amanat.accounts.models import AuthSession, Credential
from amanat.accounts.security import (
    account_key,
    account_network_key,
    device_proof,
    mail_key,
    network_key,
    record_security_event,
)
from amanat.accounts.signup import ACCOUNT_MAIL
from amanat.accounts.throttle import Throttle, throttle_for
from amanat.accounts.useragent import normalise_ip
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.comms.service import queue_mail
from amanat.core.actor import Actor
from amanat.core.errors import AmanatError, Unauthenticated
from amanat.customers import service as customers
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.vault.normalise import normalise_email
from amanat.web.client import ClientInfo

SIGNIN_FAILED = "The e-mail address or password is not right; check both and try again."


@dataclass
class SignInOutcome:
    """What a sign-in attempt did. ``error`` is raised by the caller after commit."""

    error: AmanatError | None = None
    principal_id: str | None = None
    session_id: str | None = None
    token: str | None = None
    mfa_required: bool = False
    reminders: list[str] = field(default_factory=list)
    retry_after: int | None = None
    device_proof: str | None = None  # the device cookie to set after a successful sign-in

    def raise_for_failure(self) -> None:
        if self.error is not None:
            raise self.error


def sign_in_customer(
    uow: UnitOfWork, runtime: Runtime, email: str, password: str, client: ClientInfo
) -> SignInOutcome:
    """Check a customer's e-mail and password and open a session (MFA pending if enrolled).

    Callers: anyone (portal form, API). An unknown account and a wrong password get the
    same answer after the same work: one argon2 verification (against a dummy hash when
    there is no account), one failure counted, one security event. Records
    account.signed_in on success. Outcome errors: Unauthenticated, TooManyRequests.
    """
    try:
        name = normalise_email(email)
    except ValueError:
        name = " ".join(email.split()).casefold()[:320]
    customer = customers.find_by_email(uow, runtime, name) if name else None
    principal_id = customer.id if customer is not None and customer.is_active else None
    return sign_in_principal(
        uow, runtime, principal_kind="customer", principal_id=principal_id, role="customer",
        sign_in_name=name, password=password, client=client,
    )  # fmt: skip


def sign_in_principal(
    uow: UnitOfWork,
    runtime: Runtime,
    *,
    principal_kind: str,
    principal_id: str | None,
    role: str,
    sign_in_name: str,
    password: str,
    client: ClientInfo,
) -> SignInOutcome:
    """The shared core of customer and staff sign-in (see sign_in_customer)."""
    now = runtime.clock.now()
    throttle = throttle_for(runtime)
    acct = account_key(runtime, principal_kind, sign_in_name)
    ip = normalise_ip(client.ip)
    pair = account_network_key(runtime, principal_kind, sign_in_name, ip)
    net = network_key(runtime, ip)
    credential = uow.session.get(Credential, principal_id) if principal_id else None
    proof = _device_proof(runtime, credential)
    # A browser that signed in before passes the account-wide count (which anyone who
    # knows the address can raise); this network's count for the account still holds.
    recognised = proof is not None and hmac.compare_digest(proof.encode(), client.device.encode())
    failures_before = 0
    if runtime.settings.throttling:
        keys = [pair, net] if recognised else [acct, pair, net]
        refusal, _ = throttle.check(uow, now, keys)
        if refusal is not None:
            record_security_event(
                uow, runtime, "signin.refused", principal_kind=principal_kind,
                principal_id=principal_id, subject_key=acct, network_key=net,
            )  # fmt: skip
            return SignInOutcome(error=refusal.error(), retry_after=refusal.retry_after_seconds)
        failures_before = throttle.consecutive(uow, acct)
    if credential is not None and credential.password_hash:
        ok = runtime.vault.passwords.verify(credential.password_hash, password)
    else:
        ok = runtime.vault.passwords.dummy_verify(password)
    if not ok or credential is None or principal_id is None:
        count_failure(uow, runtime, throttle, principal_kind, principal_id, acct, net, pair)
        return SignInOutcome(error=Unauthenticated(SIGNIN_FAILED))

    if failures_before:
        throttle.record_success(uow, acct)
    if runtime.settings.throttling:
        throttle.record_success(uow, pair)
    if principal_kind == "customer" and runtime.settings.throttling:
        # Whoever signs in can read their mail: the daily mail limit starts again.
        throttle.clear(uow, mail_key(runtime, sign_in_name))
    if runtime.vault.passwords.needs_rehash(credential.password_hash or ""):
        credential.password_hash = runtime.vault.passwords.hash(password)
    mfa_enrolled = credential.mfa_enabled_at is not None
    new, tech = sessions.create_session(
        uow, runtime, principal_kind=principal_kind, principal_id=principal_id, role=role,
        mfa_done=not mfa_enrolled, client=client,
    )  # fmt: skip
    outcome = SignInOutcome(
        principal_id=principal_id, session_id=new.session_id, token=new.token,
        mfa_required=mfa_enrolled, device_proof=_device_proof(runtime, credential),
    )  # fmt: skip
    row = uow.session.get(AuthSession, new.session_id)
    new_device = row is not None and sessions.is_new_device(uow, runtime, row)
    if principal_kind == "customer":
        _after_customer_sign_in(
            uow, runtime, credential, outcome, new_device, failures_before, tech
        )
    audit.record(
        uow, runtime.clock, Event.ACCOUNT_SIGNED_IN, _actor(principal_kind, principal_id, role),
        customer_id=principal_id if principal_kind == "customer" else None,
        details={"session": new.session_id, "mfa_pending": mfa_enrolled, "new_device": new_device},
    )  # fmt: skip
    return outcome


def count_failure(
    uow: UnitOfWork,
    runtime: Runtime,
    throttle: Throttle,
    principal_kind: str,
    principal_id: str | None,
    acct: str,
    net: str,
    pair: str,
) -> None:
    common: dict[str, object] = {
        "principal_kind": principal_kind, "principal_id": principal_id,
        "subject_key": acct, "network_key": net,
    }  # fmt: skip
    record_security_event(uow, runtime, "signin.failed", **common)  # type: ignore[arg-type]
    if not runtime.settings.throttling:
        return
    result = throttle.record_failure(uow, runtime.clock.now(), acct, net, pair)
    if result.account_locked:
        record_security_event(uow, runtime, "signin.account_locked", **common)  # type: ignore[arg-type]
    if result.network_locked:
        record_security_event(uow, runtime, "signin.network_locked", network_key=net)


def _device_proof(runtime: Runtime, credential: Credential | None) -> str | None:
    """What the device cookie of a browser that signed in to this account holds."""
    if credential is None or not credential.password_hash:
        return None
    since = credential.password_changed_at.isoformat() if credential.password_changed_at else ""
    return device_proof(runtime, credential.principal_kind, credential.id, since)


def _actor(principal_kind: str, principal_id: str, role: str) -> Actor:
    return (
        Actor.customer(principal_id)
        if principal_kind == "customer"
        else Actor.staff(principal_id, role)
    )


def _after_customer_sign_in(
    uow: UnitOfWork,
    runtime: Runtime,
    credential: Credential,
    outcome: SignInOutcome,
    new_device: bool,
    failures_before: int,
    tech: object,
) -> None:
    """New-device notice and password reminders: remind, never force (NIST 800-63B)."""
    from amanat.accounts.useragent import TechnicalData

    assert isinstance(tech, TechnicalData)
    now = runtime.clock.now()
    cid = credential.id
    reminder: str | None = None
    if new_device and failures_before > 0:
        reminder = (
            "This sign-in came from a new device after failed attempts; if that was not you, "
            "change your password now."
        )
        record_security_event(
            uow, runtime, "signin.suspicious", principal_kind="customer", principal_id=cid
        )
    period = timedelta(days=runtime.settings.password_reminder_days)
    changed = credential.password_changed_at
    if reminder is None and changed is not None and now - changed > period:
        reminder = (
            f"Your password is more than {runtime.settings.password_reminder_days} days old; "
            "consider choosing a new one."
        )
    if not new_device and reminder is None:
        return
    name, email = customers.read_name_and_email(
        uow, runtime, Actor.system("signin"), cid, ACCOUNT_MAIL
    )
    if new_device:
        record_security_event(
            uow, runtime, "signin.new_device", principal_kind="customer", principal_id=cid
        )
        subject, body = mail.new_device(runtime, name, tech.browser, tech.os, tech.device)
        queue_mail(
            uow, runtime, customer_id=cid, to=email, subject=subject, body=body,
            kind="new_device", purpose=ACCOUNT_MAIL, actor=Actor.system("signin"),
        )  # fmt: skip
    if reminder is not None:
        outcome.reminders.append(reminder)
        reminded = credential.password_reminded_at
        if reminded is None or now - reminded > period or failures_before > 0:
            credential.password_reminded_at = now
            subject, body = mail.password_reminder(runtime, name, reminder)
            queue_mail(
                uow, runtime, customer_id=cid, to=email, subject=subject, body=body,
                kind="password_reminder", purpose=ACCOUNT_MAIL, actor=Actor.system("signin"),
            )  # fmt: skip


def current_reminders(uow: UnitOfWork, runtime: Runtime, actor: Actor) -> list[str]:
    """Reminders to show on the account page: remind, never force."""
    credential = uow.session.get(Credential, actor.id)
    days = runtime.settings.password_reminder_days
    changed = credential.password_changed_at if credential is not None else None
    if changed is not None and runtime.clock.now() - changed > timedelta(days=days):
        return [f"Your password is more than {days} days old; consider choosing a new one."]
    return []


def sign_out(uow: UnitOfWork, runtime: Runtime, actor: Actor, session_id: str) -> None:
    """End the current session. Records account.session_ended."""
    row = uow.session.get(AuthSession, session_id)
    if row is not None and row.ended_at is None and row.principal_id == actor.id:
        sessions.end_session(uow, runtime, actor, row, "signed_out")
