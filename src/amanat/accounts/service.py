"""Sign-up, e-mail verification, sign-in, sign-out and passwords.

Sign-in returns an outcome instead of raising: a failure changes state (throttling
counters, security events) that must be committed, so the caller commits and only then
raises ``outcome.error``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from amanat.accounts import mail, notices, sessions
from amanat.accounts.models import ActionToken, AuthSession, Credential
from amanat.accounts.passwords import password_problem
from amanat.accounts.schemas import SignupIn
from amanat.accounts.security import (
    account_key,
    account_network_key,
    device_proof,
    mail_key,
    mail_network_key,
    mfa_key,
    network_key,
    record_security_event,
)
from amanat.accounts.throttle import Refusal, Throttle, throttle_for
from amanat.accounts.tokens import issue_action_token, peek_action_token, use_action_token
from amanat.accounts.useragent import normalise_ip
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.comms.service import queue_mail
from amanat.core.actor import Actor
from amanat.core.errors import AmanatError, Conflict, Invalid, Unauthenticated
from amanat.customers import service as customers
from amanat.customers.models import Customer
from amanat.customers.validation import FIX_FIELDS, raise_if_any, validate_details
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.vault.normalise import normalise_email
from amanat.web.client import ClientInfo

SIGNIN_FAILED = "The e-mail address or password is not right; check both and try again."
SIGNUP_REFUSED = (
    "We could not create an account with these details. If you already have an account, "
    "sign in or reset your password."
)
ACCOUNT_MAIL = "account_management"


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


# -- sign-up and verification -------------------------------------------------------------


@dataclass
class SignUpOutcome:
    """What a sign-up did. The caller answers the same whether or not an account was
    created: ``customer_id`` is for the service's own callers (factories, the demo),
    never for the person signing up."""

    customer_id: str | None = None

    def raise_for_failure(self) -> str:
        """The new customer's id, or Conflict when nothing was created (internal callers
        that expect fresh, unique details)."""
        if self.customer_id is None:
            raise Conflict(SIGNUP_REFUSED)
        return self.customer_id


def sign_up(
    uow: UnitOfWork, runtime: Runtime, data: SignupIn, client: ClientInfo | None = None
) -> SignUpOutcome:
    """Create a customer (collection point ``account_creation``) and mail a verification link.

    Callers: anyone (the public sign-up form and API; ``client`` is the caller's network
    address for the per-network mail limit). Acts as ``Actor.system("signup")`` for
    ``account_management``. Records customer.created and account.signed_up. Raises
    Invalid with one message per field, or TooManyRequests when mail was asked for this
    address or from this network too often (``mail_limit``); nothing is stored then.

    When the e-mail, phone or CNIC already belongs to an account nothing is created and
    each holder is told by mail (``signup_attempt``); the outcome is otherwise the same,
    after the same work (the password is hashed either way), so the caller's answer
    cannot enumerate accounts.
    """
    errors: dict[str, str] = {}
    details = validate_details(data, errors)
    if "password" not in errors:
        problem = password_problem(data.password, email=details.email, name=details.name)
        if problem:
            errors["password"] = problem
    raise_if_any(errors)
    refused = mail_limit(uow, runtime, details.email, client)
    if refused is not None:
        raise refused.error()
    # Hash before looking for duplicates, so that a refusal costs the same time as a success.
    password_hash = runtime.vault.passwords.hash(data.password)
    now = runtime.clock.now()
    taken = customers.holders(uow, runtime, details)
    if taken:
        for holder_id, categories in sorted(taken.items()):
            _tell_existing_owner(uow, runtime, holder_id, categories)
        return SignUpOutcome()
    try:
        with uow.session.begin_nested():
            customer = customers.create_customer(uow, runtime, details, now)
    except IntegrityError:
        # A concurrent sign-up took a value between the look-up and the insert: nothing
        # of this one is kept, and the answer stays the same.
        return SignUpOutcome()
    uow.session.add(
        Credential(
            id=customer.id, principal_kind="customer", password_hash=password_hash,
            password_changed_at=now,
        )
    )  # fmt: skip
    uow.session.flush()
    _send_verification(uow, runtime, customer.id, details.email, "verify_email")
    audit.record(
        uow, runtime.clock, Event.ACCOUNT_SIGNED_UP, Actor.system("signup"),
        customer_id=customer.id, purpose="account_management",
        categories={"account.password"},
    )  # fmt: skip
    return SignUpOutcome(customer_id=customer.id)


def mail_limit(
    uow: UnitOfWork, runtime: Runtime, email: str, client: ClientInfo | None
) -> Refusal | None:
    """Count a request that will send mail to ``email`` (normalised), or say why it is
    refused. Counted before anything looks up whether the address has an account, so
    the limit tells nothing about accounts. Records mail.address_limited or
    mail.network_limited when a limit is reached."""
    if not runtime.settings.throttling:
        return None
    throttle = throttle_for(runtime)
    now = runtime.clock.now()
    address = mail_key(runtime, email)
    network = mail_network_key(runtime, normalise_ip(client.ip)) if client is not None else None
    refusal, _ = throttle.check(uow, now, [address] + ([network] if network else []), "mail")
    if refusal is not None:
        return refusal
    result = throttle.record_mail_request(uow, now, address, network)
    if result.address_locked:
        record_security_event(uow, runtime, "mail.address_limited", subject_key=address)
    if result.network_locked:
        record_security_event(uow, runtime, "mail.network_limited", network_key=network)
    return None


_HELD = {"contact.email": "e-mail address", "contact.phone": "phone number",
         "identity.cnic": "CNIC"}  # fmt: skip


def _tell_existing_owner(
    uow: UnitOfWork, runtime: Runtime, customer_id: str, categories: set[str]
) -> None:
    """The holder of a taken e-mail, phone or CNIC learns of the attempt (the caller does not)."""
    existing = uow.session.get(Customer, customer_id)
    if existing is None or not existing.is_active:
        return
    name, address = customers.read_name_and_email(
        uow, runtime, Actor.system("signup"), existing.id, ACCOUNT_MAIL
    )
    what = " and ".join(_HELD[c] for c in sorted(categories))
    subject, body = mail.signup_attempt(runtime, name, what)
    queue_mail(
        uow, runtime, customer_id=existing.id, to=address, subject=subject, body=body,
        kind="signup_attempt", purpose=ACCOUNT_MAIL, actor=Actor.system("signup"),
    )  # fmt: skip


def _send_verification(
    uow: UnitOfWork, runtime: Runtime, customer_id: str, email: str, action: str
) -> None:
    row, token = issue_action_token(
        uow, runtime, action=action, principal_kind="customer", principal_id=customer_id
    )
    if action == "change_email":
        access = runtime.guard.open(
            uow, Actor.customer(customer_id), customer_id, "self", writes={"contact.email"}
        )
        row.payload_ct = access.write("action_tokens", "payload_ct", row.id, "contact.email", email)
        subject, body = mail.change_email(runtime, token)
    else:
        subject, body = mail.verify_email(runtime, token)
    queue_mail(
        uow, runtime, customer_id=customer_id, to=email, subject=subject, body=body,
        kind=action, purpose=ACCOUNT_MAIL, actor=Actor.system("signup"),
    )  # fmt: skip


def verify_email(uow: UnitOfWork, runtime: Runtime, token: str) -> str:
    """Spend a verification (or e-mail change) link; returns the customer id.

    Callers: anyone holding the link. Records customer.email_verified (or
    customer.email_changed). Raises Invalid when the link is used, expired or unknown,
    Conflict when a new address was taken by another account meanwhile.
    """
    row = _use_either(uow, runtime, token)
    customer = customers.get_customer(uow, row.principal_id)
    actor = Actor.customer(customer.id)
    if row.action == "change_email":
        access = runtime.guard.open(uow, actor, customer.id, "self", reads={"contact.email"})
        new_email = access.read(
            "action_tokens", "payload_ct", row.id, "contact.email", row.payload_ct
        )
        if not new_email:
            raise Invalid("This link is not valid any more; ask for a new one.")
        holder = customers.find_by_email(uow, runtime, new_email)
        if holder is not None and holder.id != customer.id:
            raise Conflict("This address cannot be used any more; choose another one.")
        was_verified = customer.email_verified_at is not None
        name, old_email = customers.read_name_and_email(
            uow, runtime, Actor.system("accounts"), customer.id, ACCOUNT_MAIL
        )
        customers.set_email(uow, runtime, actor, customer, new_email, runtime.clock.now())
        if was_verified and old_email and old_email != new_email:
            _offer_undo(uow, runtime, customer.id, name, old_email)
        return customer.id
    if customer.email_verified_at is None:
        customer.email_verified_at = runtime.clock.now()
        uow.session.flush()
        audit.record(
            uow, runtime.clock, Event.CUSTOMER_EMAIL_VERIFIED, actor, customer_id=customer.id
        )
    return customer.id


def _offer_undo(
    uow: UnitOfWork, runtime: Runtime, customer_id: str, name: str, old_email: str
) -> None:
    """Tell the old address of an e-mail change, with a single-use link that undoes it."""
    row, token = issue_action_token(
        uow, runtime, action="undo_email_change", principal_kind="customer",
        principal_id=customer_id,
    )  # fmt: skip
    access = runtime.guard.open(
        uow, Actor.customer(customer_id), customer_id, "self", writes={"contact.email"}
    )
    row.payload_ct = access.write("action_tokens", "payload_ct", row.id, "contact.email", old_email)
    subject, body = mail.email_changed(runtime, name, token)
    queue_mail(
        uow, runtime, customer_id=customer_id, to=old_email, subject=subject, body=body,
        kind="email_changed", purpose=ACCOUNT_MAIL, actor=Actor.system("accounts"),
    )  # fmt: skip


def undo_email_change(uow: UnitOfWork, runtime: Runtime, token: str) -> str:
    """Spend the link mailed to the old address of an e-mail change: the old address is the
    sign-in e-mail again, every session ends and every API token is revoked, so whoever
    changed it is out; the owner then resets the password from the old address.

    Callers: anyone holding the link. Records customer.email_changed and
    account.email_change_undone. Raises Invalid for a spent, expired or unknown link,
    Conflict when another account took the old address meanwhile.
    """
    row = use_action_token(uow, runtime, "undo_email_change", token)
    customer = customers.get_customer(uow, row.principal_id)
    actor = Actor.customer(customer.id)
    access = runtime.guard.open(uow, actor, customer.id, "self", reads={"contact.email"})
    old_email = access.read("action_tokens", "payload_ct", row.id, "contact.email", row.payload_ct)
    if not old_email:
        raise Invalid("This link is not valid any more; reset your password instead.")
    holder = customers.find_by_email(uow, runtime, old_email)
    if holder is not None and holder.id != customer.id:
        raise Conflict("This address now belongs to another account; contact support.")
    customers.set_email(uow, runtime, actor, customer, old_email, runtime.clock.now())
    ended, revoked = sessions.evict(uow, runtime, customer.id, "email_change_undone")
    audit.record(
        uow, runtime.clock, Event.ACCOUNT_EMAIL_CHANGE_UNDONE, actor, customer_id=customer.id,
        details={"sessions": ended, "tokens": revoked},
    )  # fmt: skip
    return customer.id


def _use_either(uow: UnitOfWork, runtime: Runtime, token: str) -> ActionToken:

    for action in ("verify_email", "change_email"):
        if peek_action_token(uow, runtime, action, token) is not None:
            return use_action_token(uow, runtime, action, token)
    return use_action_token(uow, runtime, "verify_email", token)  # raises the refusal


def resend_verification(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, client: ClientInfo | None = None
) -> None:
    """Mail a fresh verification link to a signed-in, unverified customer.

    Raises TooManyRequests when mail was asked for this address or network too often
    (nothing is sent then).
    """
    customer = customers.get_customer(uow, actor.id)
    if customer.is_verified:
        return
    _, email = customers.read_name_and_email(uow, runtime, actor, actor.id, "self")
    refused = mail_limit(uow, runtime, email, client)
    if refused is not None:
        raise refused.error()
    _send_verification(uow, runtime, actor.id, email, "verify_email")


def request_email_change(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    new_email: str,
    client: ClientInfo | None = None,
) -> None:
    """Mail a confirmation link to the new address; the old one stays until it is used.

    Callers: the signed-in customer through a session with a recent re-authentication
    (the route checks it; API tokens cannot). Records nothing until confirmed (the mail
    itself is audited as comms.queued). Raises Invalid for a malformed address,
    TooManyRequests when mail was asked for this address or from this network too often
    (``mail_limit``, like sign-up and reset). A taken address gets the same answer (no
    enumeration); the link then fails with a sentence. The mail carries no text of the
    customer's: the address is not verified yet.
    """
    try:
        email = normalise_email(new_email)
    except ValueError as exc:
        raise Invalid(FIX_FIELDS, fields={"email": str(exc)}) from exc
    refused = mail_limit(uow, runtime, email, client)
    if refused is not None:
        raise refused.error()
    customers.get_customer(uow, actor.id)
    _send_verification(uow, runtime, actor.id, email, "change_email")


# -- sign-in ------------------------------------------------------------------------------


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
    customer: Customer | None = None
    if name:
        customer = customers.find_by_email(uow, runtime, name)
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


# -- passwords ----------------------------------------------------------------------------


def names_for_rule(
    uow: UnitOfWork, runtime: Runtime, actor: Actor
) -> tuple[str | None, str | None]:
    if actor.kind != "customer":
        from amanat.staff.service import staff_email

        return staff_email(uow, runtime, actor.id), None
    name, email = customers.read_name_and_email(
        uow, runtime, Actor.system("accounts"), actor.id, ACCOUNT_MAIL
    )
    return email, name


def store_password(
    uow: UnitOfWork, runtime: Runtime, credential: Credential, password: str
) -> None:
    credential.password_hash = runtime.vault.passwords.hash(password)
    credential.password_changed_at = runtime.clock.now()
    credential.password_reminded_at = None
    uow.session.flush()


def request_password_reset(
    uow: UnitOfWork, runtime: Runtime, email: str, client: ClientInfo | None = None
) -> None:
    """Mail a reset link (valid 30 minutes) if the address has an account; say nothing either way.

    Callers: anyone (``client``: the caller's network address, for the per-network mail
    limit). Records account.password_reset_requested for an existing account. Raises
    Invalid for a malformed address, TooManyRequests (the same for any address) when
    mail was asked for this address or network too often.
    """
    try:
        name = normalise_email(email)
    except ValueError as exc:
        raise Invalid(FIX_FIELDS, fields={"email": str(exc)}) from exc
    refused = mail_limit(uow, runtime, name, client)
    if refused is not None:
        raise refused.error()
    customer = customers.find_by_email(uow, runtime, name)
    if customer is None or not customer.is_active:
        return
    system = Actor.system("accounts")
    person, address = customers.read_name_and_email(uow, runtime, system, customer.id, ACCOUNT_MAIL)
    _, token = issue_action_token(
        uow, runtime, action="reset_password", principal_kind="customer", principal_id=customer.id
    )
    subject, body = mail.reset_password(runtime, person, token)
    queue_mail(
        uow, runtime, customer_id=customer.id, to=address, subject=subject, body=body,
        kind="reset_password", purpose=ACCOUNT_MAIL, actor=system,
    )  # fmt: skip
    audit.record(
        uow, runtime.clock, Event.ACCOUNT_PASSWORD_RESET_REQUESTED, system, customer_id=customer.id
    )


def reset_password(uow: UnitOfWork, runtime: Runtime, token: str, new: str) -> str:
    """Set a new password with a reset link; ends every session, revokes every API token
    (so whoever held one is out), clears the lock and tells the owner by mail.

    Callers: anyone holding the link. Records account.password_reset. Raises Invalid for
    a spent, expired or unknown link, or naming the rule the password breaks (the link
    stays usable then).
    """
    row = peek_action_token(uow, runtime, "reset_password", token)
    if row is None:
        use_action_token(uow, runtime, "reset_password", token)  # raises the refusal
        raise AssertionError("unreachable")
    actor = Actor.customer(row.principal_id)
    email, name = names_for_rule(uow, runtime, actor)
    problem = password_problem(new, email=email, name=name)
    if problem:
        raise Invalid(FIX_FIELDS, fields={"password": problem})
    use_action_token(uow, runtime, "reset_password", token)
    credential = uow.session.get(Credential, row.principal_id)
    if credential is None:
        raise Invalid("This link is not valid any more; ask for a new one.")
    store_password(uow, runtime, credential, new)
    sessions.evict(uow, runtime, row.principal_id, "password_reset")
    throttle = throttle_for(runtime)
    throttle.clear(uow, mfa_key("customer", row.principal_id))
    if email:
        throttle.clear(uow, account_key(runtime, "customer", email))
        throttle.clear(uow, mail_key(runtime, email))
    audit.record(
        uow, runtime.clock, Event.ACCOUNT_PASSWORD_RESET, actor, customer_id=row.principal_id,
        categories={"account.password"},
    )  # fmt: skip
    notices.notify(uow, runtime, actor, "password_reset_done")
    return row.principal_id
