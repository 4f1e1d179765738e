"""API access tokens (for scripts) and single-use link tokens (verify, reset, enrol).

A token is shown once and stored only as its hash. API tokens carry a prefix
(``amt_``) so that a leaked one is recognisable in a secret scanner, scopes (``read``
allows GET/HEAD only; ``write`` allows everything the owner may do) and an expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from amanat.accounts import notices
from amanat.accounts.models import ActionToken, ApiToken
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.core.errors import Invalid, NotFound
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

API_PREFIX = "amt_"
SCOPES = ("read", "write")
MAX_TOKEN_DAYS = 365
DEFAULT_TOKEN_DAYS = 90
ACTION_LIFETIMES = {
    "verify_email": timedelta(days=2),
    "change_email": timedelta(days=2),
    "reset_password": timedelta(minutes=30),
    "staff_enrol": timedelta(days=7),
    "undo_email_change": timedelta(days=30),
}


@dataclass(frozen=True)
class CreatedToken:
    id: str
    token: str
    expires_at: datetime
    scopes: list[str]


@dataclass(frozen=True)
class TokenView:
    id: str
    label: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None


def create_api_token(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    *,
    label: str,
    scopes: list[str],
    days: int = DEFAULT_TOKEN_DAYS,
) -> CreatedToken:
    """Create an API token for the actor (customer or staff). Shown once; the owner is told
    by mail. Callers: a session with a recent re-authentication (routes check it; tokens
    cannot mint tokens), the operator's CLI and test factories.

    Records account.api_token_created. Raises Invalid for unknown scopes, a bad expiry
    or an empty label.
    """
    errors: dict[str, str] = {}
    label = " ".join(label.split())
    if not label or len(label) > 80:
        errors["label"] = "Name the token (1 to 80 characters), e.g. the script that uses it."
    if not scopes or any(scope not in SCOPES for scope in scopes):
        errors["scopes"] = "Choose the scopes: read, write, or both."
    if not 1 <= days <= MAX_TOKEN_DAYS:
        errors["days"] = f"Choose an expiry between 1 and {MAX_TOKEN_DAYS} days."
    if errors:
        raise Invalid("Some fields need fixing; see each field.", fields=errors)
    now = runtime.clock.now()
    token = API_PREFIX + runtime.vault.random_token(32)
    row = ApiToken(
        principal_kind=actor.kind,
        principal_id=actor.id,
        role=actor.role,
        token_hash=runtime.vault.hash_token(token),
        scopes=sorted(set(scopes)),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    uow.session.add(row)
    uow.session.flush()
    purpose, writer = _credential_purpose(actor)
    access = runtime.guard.open(uow, writer, actor.id, purpose, writes={"account.credentials"})
    row.label_ct = access.write("api_tokens", "label_ct", row.id, "account.credentials", label)
    audit.record(
        uow, runtime.clock, Event.API_TOKEN_CREATED, actor,
        customer_id=_customer(actor), details={"token": row.id, "scopes": row.scopes},
    )  # fmt: skip
    notices.notify(uow, runtime, actor, "api_token_created")
    return CreatedToken(row.id, token, row.expires_at, row.scopes)


def _credential_purpose(actor: Actor) -> tuple[str, Actor]:
    if actor.kind == "customer":
        return "self", actor
    return "account_management", Actor.system("accounts")


def _customer(actor: Actor) -> str | None:
    return actor.id if actor.kind == "customer" else None


def list_api_tokens(uow: UnitOfWork, runtime: Runtime, actor: Actor) -> list[TokenView]:
    now = runtime.clock.now()
    rows = uow.session.scalars(
        select(ApiToken)
        .where(ApiToken.principal_id == actor.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc())
    ).all()
    rows = [r for r in rows if r.expires_at > now]
    if not rows:
        return []
    purpose, reader = _credential_purpose(actor)
    access = runtime.guard.open(uow, reader, actor.id, purpose, reads={"account.credentials"})
    return [
        TokenView(
            id=r.id,
            label=access.read("api_tokens", "label_ct", r.id, "account.credentials", r.label_ct)
            or "",
            scopes=list(r.scopes),
            created_at=r.created_at,
            expires_at=r.expires_at,
            last_used_at=r.last_used_at,
        )
        for r in rows
    ]


def revoke_api_token(uow: UnitOfWork, runtime: Runtime, actor: Actor, token_id: str) -> None:
    """Revoke one of the actor's tokens. Records account.api_token_revoked; NotFound otherwise."""
    row = uow.session.get(ApiToken, token_id)
    if row is None or row.principal_id != actor.id or row.revoked_at is not None:
        raise NotFound("There is no such token of yours; it may have been revoked already.")
    row.revoked_at = runtime.clock.now()
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.API_TOKEN_REVOKED, actor,
        customer_id=_customer(actor), details={"token": row.id},
    )  # fmt: skip


def resolve_api_token(uow: UnitOfWork, runtime: Runtime, token: str) -> ApiToken | None:
    """The live token for a bearer value, its last use noted; None otherwise."""
    if not token.startswith(API_PREFIX) or len(token) > 128:
        return None
    row = uow.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == runtime.vault.hash_token(token))
    )
    now = runtime.clock.now()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
        uow.session.flush()
    return row


def issue_action_token(
    uow: UnitOfWork,
    runtime: Runtime,
    *,
    action: str,
    principal_kind: str,
    principal_id: str,
    payload: bytes | None = None,
) -> tuple[ActionToken, str]:
    """A single-use link token; the caller encrypts any payload (it needs the row id)."""
    now = runtime.clock.now()
    token = runtime.vault.random_token(32)
    row = ActionToken(
        token_hash=runtime.vault.hash_token(token),
        action=action,
        principal_kind=principal_kind,
        principal_id=principal_id,
        created_at=now,
        expires_at=now + ACTION_LIFETIMES[action],
        payload_ct=payload,
    )
    uow.session.add(row)
    uow.session.flush()
    return row, token


def use_action_token(uow: UnitOfWork, runtime: Runtime, action: str, token: str) -> ActionToken:
    """Spend a link token: it must exist, be for ``action``, unused and unexpired.

    Raises Invalid with a sentence saying what to do (the same for every failure kind,
    so a token cannot be probed).
    """
    refusal = Invalid(
        "This link is not valid any more: it was used already, has expired or was mistyped. "
        "Ask for a new one.",
        fields={"token": "Ask for a new link."},
    )
    if not token or len(token) > 128:
        raise refusal
    row = uow.session.scalar(
        select(ActionToken)
        .where(ActionToken.token_hash == runtime.vault.hash_token(token))
        .with_for_update()
    )
    now = runtime.clock.now()
    if row is None or row.action != action or row.used_at is not None or row.expires_at <= now:
        raise refusal
    row.used_at = now
    uow.session.flush()
    return row


def peek_action_token(
    uow: UnitOfWork, runtime: Runtime, action: str, token: str
) -> ActionToken | None:
    """The token if it would be accepted now, without spending it (to show a form)."""
    if not token or len(token) > 128:
        return None
    row = uow.session.scalar(
        select(ActionToken).where(ActionToken.token_hash == runtime.vault.hash_token(token))
    )
    if row is None or row.action != action or row.used_at is not None:
        return None
    return row if row.expires_at > runtime.clock.now() else None
