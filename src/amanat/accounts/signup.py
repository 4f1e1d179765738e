"""Sign-up, e-mail verification, e-mail change and its undo, and the mail limit that
counts every request sending account mail."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from amanat.accounts import mail, sessions
from amanat.accounts.models import ActionToken, Credential
from amanat.accounts.passwords import password_problem
from amanat.accounts.schemas import SignupIn
from amanat.accounts.security import mail_key, mail_network_key, record_security_event
from amanat.accounts.throttle import Refusal, throttle_for
from amanat.accounts.tokens import issue_action_token, peek_action_token, use_action_token
from amanat.accounts.useragent import normalise_ip
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.comms.service import queue_mail
from amanat.core.actor import Actor
from amanat.core.errors import Conflict, Invalid, NotFound
from amanat.customers import service as customers
from amanat.customers.service import FIX_FIELDS, raise_if_any, validate_details
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.vault.normalise import normalise_email
from amanat.web.client import ClientInfo

SIGNUP_REFUSED = (
    "We could not create an account with these details. If you already have an account, "
    "sign in or reset your password."
)
ACCOUNT_MAIL = "account_management"


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
    try:
        existing = customers.get_customer(uow, customer_id)
    except NotFound:
        return
    if not existing.is_active:
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
