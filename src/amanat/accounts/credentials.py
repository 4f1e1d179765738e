"""Passwords: the names a password must not contain, storing a new one, and the reset
link for a forgotten one."""

from __future__ import annotations

from amanat.accounts import mail, notices, sessions
from amanat.accounts.models import Credential
from amanat.accounts.passwords import password_problem
from amanat.accounts.security import account_key, mail_key, mfa_key
from amanat.accounts.signup import ACCOUNT_MAIL, mail_limit
from amanat.accounts.throttle import throttle_for
from amanat.accounts.tokens import issue_action_token, peek_action_token, use_action_token
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.comms.service import queue_mail
from amanat.core.actor import Actor
from amanat.core.errors import Invalid
from amanat.customers import service as customers
from amanat.customers.service import FIX_FIELDS
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.vault.normalise import normalise_email
from amanat.web.client import ClientInfo


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


# -- verbs for the other principals' domains (staff) --------------------------------------


def set_password(uow: UnitOfWork, runtime: Runtime, principal_id: str, password: str) -> None:
    """Store the first password of a principal whose credential exists (staff enrolment).

    The caller checked the password against ``password_problem``."""
    credential = uow.session.get(Credential, principal_id)
    if credential is None:
        raise Invalid("This account has no second factor yet; enrol it first.")
    store_password(uow, runtime, credential, password)


def clear_sign_in_limits(
    uow: UnitOfWork, runtime: Runtime, principal_kind: str, sign_in_name: str, principal_id: str
) -> None:
    """Forget the failed sign-in and second-factor counts of an account (staff removal)."""
    throttle = throttle_for(runtime)
    throttle.clear(uow, account_key(runtime, principal_kind, sign_in_name))
    throttle.clear(uow, mfa_key(principal_kind, principal_id))


def totp_secret(uow: UnitOfWork, runtime: Runtime, actor: Actor, principal_id: str) -> str | None:
    """The TOTP key of an enrolled principal, read through the guard (the demo prints it)."""
    credential = uow.session.get(Credential, principal_id)
    access = runtime.guard.open(
        uow, actor, principal_id, "account_management", reads={"account.credentials"}
    )
    return access.read(
        "credentials", "totp_secret_ct", principal_id, "account.credentials",
        credential.totp_secret_ct if credential else None,
    )  # fmt: skip
