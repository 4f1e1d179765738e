"""Server-side sessions: the cookie holds a random id, the table holds only its hash.

Idle timeout (30 minutes for customers, 15 for staff) and absolute lifetime (12 hours)
come from Settings. A new id is issued at sign-in and again when the second factor is
passed (``rotate``), so an id seen before sign-in is worthless after it.

``authenticated_at`` is when the password (and second factor, if any) was last entered
in the session; changing the e-mail, the second factor, recovery codes or API tokens
needs it within ``reauth_minutes`` (``is_recent``), so a stolen cookie alone cannot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select, update

from amanat.access.guard import Access
from amanat.accounts.models import ActionToken, ApiToken, AuthSession, Credential, RecoveryCode
from amanat.accounts.useragent import TechnicalData, approximate_network, technical_data
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.core.errors import NotFound
from amanat.db.base import new_id
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.web.client import ClientInfo

T = "auth_sessions"
TECH_CATEGORIES = frozenset(
    {"technical.ip", "technical.browser", "technical.os", "technical.device"}
)
# last_seen_at is written at most this often: a busy session does not write on every request.
_TOUCH_EVERY = timedelta(seconds=60)
SESSION_TOKEN_BYTES = 32


@dataclass(frozen=True)
class NewSession:
    session_id: str
    token: str  # goes into the cookie once; never stored


@dataclass(frozen=True)
class SessionView:
    id: str
    created_at: datetime
    last_seen_at: datetime
    browser: str
    os: str
    device: str
    network: str
    current: bool


def idle_limit(runtime: Runtime, principal_kind: str) -> timedelta:
    settings = runtime.settings
    minutes = (
        settings.staff_idle_minutes if principal_kind == "staff" else settings.customer_idle_minutes
    )
    return timedelta(minutes=minutes)


def create_session(
    uow: UnitOfWork,
    runtime: Runtime,
    *,
    principal_kind: str,
    principal_id: str,
    role: str,
    mfa_done: bool,
    client: ClientInfo,
) -> tuple[NewSession, TechnicalData]:
    """Open a session and collect its technical data (collection point ``automatic``)."""
    now = runtime.clock.now()
    token = runtime.vault.random_token(SESSION_TOKEN_BYTES)
    row = AuthSession(
        token_hash=runtime.vault.hash_token(token),
        principal_kind=principal_kind,
        principal_id=principal_id,
        role=role,
        mfa_done=mfa_done,
        authenticated_at=now if mfa_done else None,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=runtime.settings.session_absolute_hours),
    )
    tech = technical_data(client)
    row.id = new_id()
    access = runtime.guard.open(
        uow, Actor.system("signin"), principal_id, "account_management", writes=TECH_CATEGORIES
    )
    row.ip_ct = access.write(T, "ip_ct", row.id, "technical.ip", tech.ip)
    row.browser_ct = access.write(T, "browser_ct", row.id, "technical.browser", tech.browser)
    row.os_ct = access.write(T, "os_ct", row.id, "technical.os", tech.os)
    row.device_ct = access.write(T, "device_ct", row.id, "technical.device", tech.device)
    row.device_key = device_key(runtime, principal_id, tech)
    uow.session.add(row)
    uow.session.flush()
    return NewSession(row.id, token), tech


def device_key(runtime: Runtime, principal_id: str, tech: TechnicalData) -> str:
    browser_family, os_family, device = tech.device_pair
    return runtime.vault.hash_token(f"device|{principal_id}|{browser_family}|{os_family}|{device}")


def is_new_device(uow: UnitOfWork, runtime: Runtime, row: AuthSession) -> bool:
    """True when the principal had sessions before, none from this browser-and-device pair."""
    earlier, same = uow.session.execute(
        select(
            func.count(),
            func.coalesce(
                func.sum(case((AuthSession.device_key == row.device_key, 1), else_=0)), 0
            ),
        ).where(AuthSession.principal_id == row.principal_id, AuthSession.id != row.id)
    ).one()
    return bool(earlier) and not same


def resolve(
    uow: UnitOfWork, runtime: Runtime, token: str, principal_kind: str
) -> AuthSession | None:
    """The live session for a cookie value, touched; None when unknown, ended or expired."""
    if not token or len(token) > 128:
        return None
    row = uow.session.scalar(
        select(AuthSession).where(AuthSession.token_hash == runtime.vault.hash_token(token))
    )
    if row is None or row.principal_kind != principal_kind or row.ended_at is not None:
        return None
    now = runtime.clock.now()
    if now >= row.expires_at:
        _end(row, now, "expired")
        return None
    if now - row.last_seen_at >= idle_limit(runtime, principal_kind):
        _end(row, now, "idle")
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
    uow.session.flush()
    return row


def rotate(uow: UnitOfWork, runtime: Runtime, row: AuthSession, *, mfa_done: bool) -> str:
    """Give the session a new id (after the second factor); the old cookie stops working."""
    token = runtime.vault.random_token(SESSION_TOKEN_BYTES)
    row.token_hash = runtime.vault.hash_token(token)
    row.mfa_done = mfa_done
    row.last_seen_at = runtime.clock.now()
    if mfa_done:
        row.authenticated_at = row.last_seen_at
    uow.session.flush()
    return token


def mark_authenticated(uow: UnitOfWork, runtime: Runtime, row: AuthSession) -> None:
    """Note that the password (and second factor) were just entered again in this session."""
    row.authenticated_at = runtime.clock.now()
    uow.session.flush()


def evict(
    uow: UnitOfWork, runtime: Runtime, principal_id: str, reason: str, *, keep: str | None = None
) -> tuple[int, int]:
    """End every session (but ``keep``) and revoke every API token of a principal, and
    void any e-mail change link not yet used: what a password change, a reset or an
    undone e-mail change does so that whoever held a session or token is out and cannot
    come back through a change they asked for. Returns (sessions ended, tokens revoked)."""
    ended = end_all(uow, runtime, principal_id, reason, keep=keep)
    now = runtime.clock.now()
    uow.session.execute(
        update(ActionToken)
        .where(
            ActionToken.principal_id == principal_id,
            ActionToken.action == "change_email",
            ActionToken.used_at.is_(None),
        )
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    )
    result = uow.session.execute(
        update(ApiToken)
        .where(ApiToken.principal_id == principal_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now),
        execution_options={"synchronize_session": False},
    )
    uow.session.expire_all()
    return ended, int(getattr(result, "rowcount", 0) or 0)


def _end(row: AuthSession, now: datetime, reason: str) -> None:
    row.ended_at = now
    row.end_reason = reason


def end_session(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, row: AuthSession, reason: str
) -> None:
    """End one session (sign-out or revoke). Records account.session_ended."""
    _end(row, runtime.clock.now(), reason)
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.SESSION_ENDED, actor, customer_id=_customer_of(row),
        details={"session": row.id, "reason": reason},
    )  # fmt: skip


def end_all(
    uow: UnitOfWork, runtime: Runtime, principal_id: str, reason: str, *, keep: str | None = None
) -> int:
    """End every live session of a principal (but ``keep``); returns how many."""
    query = update(AuthSession).where(
        AuthSession.principal_id == principal_id, AuthSession.ended_at.is_(None)
    )
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    result = uow.session.execute(
        query.values(ended_at=runtime.clock.now(), end_reason=reason),
        execution_options={"synchronize_session": False},
    )
    uow.session.expire_all()
    return int(getattr(result, "rowcount", 0) or 0)


def list_sessions(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, current_id: str | None
) -> list[SessionView]:
    """A customer's live sessions with browser, OS, device class, approximate network and
    last activity (purpose ``self``, audited by the guard)."""
    now = runtime.clock.now()
    rows = uow.session.scalars(
        select(AuthSession)
        .where(AuthSession.principal_id == actor.id, AuthSession.ended_at.is_(None))
        .order_by(AuthSession.last_seen_at.desc())
    ).all()
    live = [
        r for r in rows
        if r.expires_at > now and now - r.last_seen_at < idle_limit(runtime, r.principal_kind)
    ]  # fmt: skip
    if not live:
        return []
    purpose = "self" if actor.kind == "customer" else "account_management"
    reader = actor if actor.kind == "customer" else Actor.system("signin")
    reads = TECH_CATEGORIES if purpose == "self" else TECH_CATEGORIES - {"technical.ip"}
    access = runtime.guard.open(uow, reader, actor.id, purpose, reads=reads)
    views = []
    for r in live:
        ip = (
            access.read(T, "ip_ct", r.id, "technical.ip", r.ip_ct)
            if "technical.ip" in reads
            else None
        )
        views.append(
            SessionView(
                id=r.id,
                created_at=r.created_at,
                last_seen_at=r.last_seen_at,
                browser=access.read(T, "browser_ct", r.id, "technical.browser", r.browser_ct) or "",
                os=access.read(T, "os_ct", r.id, "technical.os", r.os_ct) or "",
                device=access.read(T, "device_ct", r.id, "technical.device", r.device_ct) or "",
                network=approximate_network(ip) if ip else "not shown",
                current=r.id == current_id,
            )
        )
    return views


_TECH_COLUMNS = (
    ("ip", "ip_ct", "technical.ip"), ("browser", "browser_ct", "technical.browser"),
    ("os", "os_ct", "technical.os"), ("device", "device_ct", "technical.device"),
)  # fmt: skip


def subject_sessions(
    uow: UnitOfWork, access: Access, first: date, last: date
) -> dict[str, list[dict[str, Any]]]:
    """The customer's sessions begun on the days ``first`` to ``last`` (UTC): when, and the
    network address, browser, operating system and device class ``access`` may read; for
    a disclosure's export (``runtime.SubjectRecords``). Nothing when it may read none."""
    readable = TECH_CATEGORIES & access.readable
    if not readable:
        return {}
    start = datetime.combine(first, time.min, UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, UTC)
    rows = uow.session.scalars(
        select(AuthSession)
        .where(
            AuthSession.principal_kind == "customer",
            AuthSession.principal_id == access.customer_id,
            AuthSession.created_at >= start,
            AuthSession.created_at < end,
        )
        .order_by(AuthSession.created_at)
    ).all()
    records: list[dict[str, Any]] = []
    for r in rows:
        record: dict[str, Any] = {
            "started_at": r.created_at.isoformat(), "last_seen_at": r.last_seen_at.isoformat(),
        }  # fmt: skip
        for name, column, category in _TECH_COLUMNS:
            if category in readable:
                record[name] = access.read(T, column, r.id, category, getattr(r, column))
        records.append(record)
    return {"sessions": records} if records else {}


def revoke(uow: UnitOfWork, runtime: Runtime, actor: Actor, session_id: str) -> None:
    """End one of the actor's own sessions. Raises NotFound for anyone else's."""
    row = uow.session.get(AuthSession, session_id)
    if row is None or row.principal_id != actor.id or row.ended_at is not None:
        raise NotFound("There is no such session of yours; it may have ended already.")
    end_session(uow, runtime, actor, row, "revoked")


def revoke_others(uow: UnitOfWork, runtime: Runtime, actor: Actor, current_id: str | None) -> int:
    """End every session of the actor but the current one. Records account.sessions_revoked."""
    count = end_all(uow, runtime, actor.id, "revoked", keep=current_id)
    audit.record(
        uow, runtime.clock, Event.SESSIONS_REVOKED, actor,
        customer_id=actor.id if actor.kind == "customer" else None, details={"count": count},
    )  # fmt: skip
    return count


def forget_principal(uow: UnitOfWork, principal_id: str) -> None:
    """Delete every credential, session and token of a principal (erasure, staff removal)."""
    for model in (AuthSession, ApiToken, ActionToken):
        uow.session.execute(delete(model).where(model.principal_id == principal_id))
    uow.session.execute(delete(RecoveryCode).where(RecoveryCode.principal_id == principal_id))
    uow.session.execute(delete(Credential).where(Credential.id == principal_id))


def _customer_of(row: AuthSession) -> str | None:
    return row.principal_id if row.principal_kind == "customer" else None
