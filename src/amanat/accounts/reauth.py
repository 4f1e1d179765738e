"""Proving it is still the owner: the password (and second factor) entered again.

A stolen session cookie or API token must not be enough to take an account over for
good. So a password change ends every other session and revokes every API token, and
the changes that would let an intruder stay (the sign-in e-mail, the second factor,
recovery codes, new API tokens) need a session whose password, plus second-factor code
when enrolled, was entered within ``reauth_minutes`` (``AuthSession.authenticated_at``);
the routes check it, and API tokens cannot do them at all.

Every password entered here goes through the sign-in counters of the account and the
network (the same delays and locks as sign-in), so a session is no password oracle.
These verbs return an error instead of raising it: a failure counts, and the count
must be committed before the error is raised.
"""

from __future__ import annotations

from dataclasses import dataclass

from amanat.accounts import mfa, notices, sessions
from amanat.accounts.credentials import names_for_rule, store_password
from amanat.accounts.models import AuthSession, Credential
from amanat.accounts.passwords import password_problem
from amanat.accounts.security import (
    account_key,
    account_network_key,
    network_key,
    record_security_event,
)
from amanat.accounts.signin import count_failure
from amanat.accounts.throttle import throttle_for
from amanat.accounts.useragent import normalise_ip
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.core.errors import AmanatError, Invalid
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.vault.normalise import normalise_email
from amanat.web.client import ClientInfo

FIX = "Some fields need fixing; see each field."
WRONG_PASSWORD = "Your password is not right."  # noqa: S105 -- a message, not a secret


@dataclass
class PasswordChanged:
    """What a password change did: ``error`` to raise after commit, or the new session
    token for the session that made the change (its old cookie stops working)."""

    error: AmanatError | None = None
    token: str | None = None

    def raise_for_failure(self) -> None:
        if self.error is not None:
            raise self.error


def confirm_password(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    password: str,
    client: ClientInfo,
    field: str = "password",
) -> AmanatError | None:
    """Check the signed-in principal's password through the sign-in counters; None when right.

    Callers: the verbs below. A wrong password counts exactly like a failed sign-in of
    the account (and network): signin.failed, then delays and locks. Errors (returned):
    TooManyRequests while the account or network waits, Invalid naming ``field``.
    """
    email, _ = names_for_rule(uow, runtime, actor)
    try:
        name = normalise_email(email or "")
    except ValueError:
        name = (email or "").casefold()
    throttle = throttle_for(runtime)
    acct = account_key(runtime, actor.kind, name)
    ip = normalise_ip(client.ip)
    pair = account_network_key(runtime, actor.kind, name, ip)
    net = network_key(runtime, ip)
    failures_before = 0
    if runtime.settings.throttling:
        refusal, failures_before = throttle.check(uow, runtime.clock.now(), [acct, pair, net])
        if refusal is not None:
            record_security_event(
                uow, runtime, "signin.refused", principal_kind=actor.kind,
                principal_id=actor.id, subject_key=acct, network_key=net,
            )  # fmt: skip
            return refusal.error()
    credential = uow.session.get(Credential, actor.id)
    if credential is None or not credential.password_hash:
        runtime.vault.passwords.dummy_verify(password)  # the same work as a real check
        ok = False
    else:
        ok = runtime.vault.passwords.verify(credential.password_hash, password)
    if not ok:
        count_failure(uow, runtime, throttle, actor.kind, actor.id, acct, net, pair)
        return Invalid(FIX, fields={field: WRONG_PASSWORD})
    if failures_before:
        throttle.record_success(uow, acct)
    return None


def reauthenticate(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    session_id: str | None,
    password: str,
    code: str,
    client: ClientInfo,
) -> AmanatError | None:
    """Enter the password (and the second-factor code when enrolled) again in this session,
    which then may make sensitive changes for ``reauth_minutes``.

    Callers: the signed-in customer or staff member through a session (never a token).
    Records account.reauthenticated. Errors (returned; commit first): Invalid naming
    ``password`` or ``code``, TooManyRequests.
    """
    row = uow.session.get(AuthSession, session_id) if session_id else None
    if row is None or row.principal_id != actor.id or row.ended_at is not None:
        return Invalid("Sign in with your password first.")
    error = confirm_password(uow, runtime, actor, password, client)
    if error is not None:
        return error
    if mfa.is_enrolled(uow, actor.id):
        error = mfa.check_code(uow, runtime, actor.kind, actor.id, code.strip())
        if error is not None:
            return error
    sessions.mark_authenticated(uow, runtime, row)
    audit.record(
        uow, runtime.clock, Event.ACCOUNT_REAUTHENTICATED, actor,
        customer_id=actor.id if actor.kind == "customer" else None, details={"session": row.id},
    )  # fmt: skip
    return None


def change_password(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    current: str,
    new: str,
    session_id: str | None,
    client: ClientInfo,
) -> PasswordChanged:
    """Change a password, proving the current one through the sign-in counters.

    Every other session ends and every API token is revoked; the session making the
    change gets a new id (returned) and counts as just authenticated. The owner is told
    by mail. Callers: the signed-in customer or staff member. Records
    account.password_changed. Errors (returned; commit first): Invalid naming the field
    (a wrong current password, the rule the new one breaks), TooManyRequests.
    """
    error = confirm_password(uow, runtime, actor, current, client, field="current_password")
    if error is not None:
        return PasswordChanged(error=error)
    credential = uow.session.get(Credential, actor.id)
    assert credential is not None  # confirm_password found its hash
    email, name = names_for_rule(uow, runtime, actor)
    problem = password_problem(new, email=email, name=name)
    if problem:
        return PasswordChanged(error=Invalid(FIX, fields={"new_password": problem}))
    store_password(uow, runtime, credential, new)
    sessions.evict(uow, runtime, actor.id, "password_changed", keep=session_id)
    token = None
    row = uow.session.get(AuthSession, session_id) if session_id else None
    if row is not None and row.ended_at is None:
        token = sessions.rotate(uow, runtime, row, mfa_done=row.mfa_done)
        sessions.mark_authenticated(uow, runtime, row)
    audit.record(
        uow, runtime.clock, Event.ACCOUNT_PASSWORD_CHANGED, actor,
        customer_id=actor.id if actor.kind == "customer" else None, categories={"account.password"},
    )  # fmt: skip
    notices.notify(uow, runtime, actor, "password_changed")
    return PasswordChanged(token=token)


def remove_second_factor(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, password: str, client: ClientInfo
) -> AmanatError | None:
    """Turn the second factor off after checking the password through the sign-in counters.

    Callers: a customer's session with a recent re-authentication (the route checks it).
    Records account.mfa_disabled (see ``mfa.disable_mfa``). Errors (returned; commit
    first): Invalid naming ``password``, TooManyRequests; raises Conflict for staff.
    """
    error = confirm_password(uow, runtime, actor, password, client)
    if error is not None:
        return error
    mfa.disable_mfa(uow, runtime, actor)
    return None
