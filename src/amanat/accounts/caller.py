"""The accounts domain's answer to "who is calling?" for the web kit (amanat.web.caller).

``resolve_caller`` is registered as the ``CallerResolver`` (amanat.accounts.domain): it
turns a bearer API token or a session cookie into an ``AuthContext``.
"""

from __future__ import annotations

from amanat.accounts import sessions, tokens
from amanat.core.actor import Actor
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.web.caller import AuthContext


def resolve_caller(
    uow: UnitOfWork, runtime: Runtime, bearer: str | None, cookie: str, principal_kind: str
) -> AuthContext | None:
    """The caller behind a bearer token (when sent) or the session cookie, if live."""
    if bearer is not None:
        row = tokens.resolve_api_token(uow, runtime, bearer)
        if row is not None and row.principal_kind == principal_kind:
            actor = _actor(principal_kind, row.principal_id, row.role)
            return AuthContext(actor, "token", None, row.id, tuple(row.scopes), True)
        return None
    session = sessions.resolve(uow, runtime, cookie, principal_kind) if cookie else None
    if session is None:
        return None
    actor = _actor(principal_kind, session.principal_id, session.role)
    return AuthContext(
        actor, "session", session.id, None, ("read", "write"), session.mfa_done,
        session.authenticated_at,
    )  # fmt: skip


def _actor(principal_kind: str, principal_id: str, role: str) -> Actor:
    if principal_kind == "staff":
        return Actor.staff(principal_id, role)
    return Actor.customer(principal_id)
