"""Recording audit events, in the caller's transaction, on the hash chain.

``record`` appends one event: it takes the chain lock (SQLite: the unit of work already
began IMMEDIATE, so writers queue; PostgreSQL: a transaction-scoped advisory lock), reads
the head, hashes the new event onto it and inserts it. The lock is held until the
caller's transaction ends, so the chain stays linear however many writers run. When the
installation has a signer configured (see ``configure``), every N events or T minutes the
new head is signed as a checkpoint in the same transaction. ``batch`` lets a job append
thousands of events in one transaction with one head read and one multi-row INSERT.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, cast

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from amanat.audit import canonical as c
from amanat.audit.events import Event
from amanat.audit.models import AuditCheckpoint, AuditEvent, AuditNote
from amanat.core.actor import Actor
from amanat.core.clock import Clock
from amanat.db.uow import UnitOfWork

Outcome = Literal["allowed", "denied", "done", "failed"]

_INFO_KEY = "amanat.audit"
_PG_CHAIN_LOCK = 7_262_001  # pg_advisory_xact_lock key of the audit chain
_EVENTS = cast(Table, AuditEvent.__table__)
_INSERT_EVENT = insert(_EVENTS)
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_CHECKPOINTS = cast(Table, AuditCheckpoint.__table__)
_NOTES = cast(Table, AuditNote.__table__)
_HEAD = (
    select(
        _EVENTS.c.seq,
        _EVENTS.c.hash,
        select(_CHECKPOINTS.c.at)
        .order_by(_CHECKPOINTS.c.seq.desc())
        .limit(1)
        .scalar_subquery()
        .label("checkpoint_at"),
    )
    .order_by(_EVENTS.c.seq.desc())
    .limit(1)
)


class Signer(Protocol):
    """Signs checkpoints (amanat.vault.signing provides the real one)."""

    @property
    def key_id(self) -> str: ...

    def sign(self, message: bytes) -> bytes: ...


@dataclass(frozen=True)
class AuditConfig:
    checkpoint_every: int = 1000
    checkpoint_minutes: int = 60
    signer: Signer | None = None


@dataclass(frozen=True)
class Recorded:
    seq: int
    hash: str


_BATCH_KEY = "amanat.audit.batch"


@dataclass
class _Pending:
    """A batch's chain head held in memory and the events not yet inserted."""

    transaction: object
    seq: int
    hash: str
    checkpoint_at: datetime | None
    rows: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def batch(uow: UnitOfWork) -> Iterator[None]:
    """Append every event recorded in the block under one chain lock, one head read and
    one multi-row INSERT (for jobs that record thousands of events in one transaction).

    Callers: jobs such as the billing run; the caller still commits ``uow`` after the
    block. Inside it, ``record`` returns the same sequence numbers and hashes as one by
    one; the events reach the table when the block ends (or before a checkpoint or an
    attached note). An exception leaves the block without inserting what it still holds,
    and the caller rolls back as always. Records nothing of its own; raises RuntimeError
    when the transaction was rolled back inside the block (its chain head is stale).
    """
    session = uow.session
    if _BATCH_KEY in session.info:
        yield  # already batching: the outer block inserts
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(_LOCK, {"key": _PG_CHAIN_LOCK})
    head = conn.execute(_HEAD).first()
    seq, digest, checkpoint_at = (head[0], head[1], head[2]) if head else (0, c.GENESIS, None)
    session.info[_BATCH_KEY] = _Pending(session.get_transaction(), seq, digest, checkpoint_at)
    try:
        yield
        _flush_pending(session)
    finally:
        del session.info[_BATCH_KEY]


def _pending(session: Session) -> _Pending | None:
    pending: _Pending | None = session.info.get(_BATCH_KEY)
    if pending is not None and pending.transaction is not session.get_transaction():
        raise RuntimeError("an audit batch outlived its transaction (rolled back inside it)")
    return pending


def _flush_pending(session: Session) -> None:
    pending = _pending(session)
    if pending is not None and pending.rows:
        session.connection().execute(_INSERT_EVENT, pending.rows)
        pending.rows = []


def configure(session_factory: sessionmaker[Session], config: AuditConfig) -> None:
    """Give every session of this factory the checkpoint settings and signer."""
    info = dict(session_factory.kw.get("info") or {})
    info[_INFO_KEY] = config
    session_factory.configure(info=info)


def record(
    uow: UnitOfWork,
    clock: Clock,
    code: Event,
    actor: Actor,
    *,
    customer_id: str | None = None,
    purpose: str | None = None,
    categories: Iterable[str] = (),
    reference: str | None = None,
    outcome: Outcome = "done",
    details: dict[str, object] | None = None,
) -> Recorded:
    """Append one event to the chain within ``uow``'s transaction (not committed).

    Callers: every state-changing service verb, and the guard. ``details`` carries ids
    and codes only, never personal values. Raises nothing of its own.
    """
    session = uow.session
    # Core on the session's connection (same transaction), not the ORM execute path:
    # this runs on every guarded read, and the ORM layer would double its cost.
    pending = _pending(session)
    if pending is not None:
        prev_seq, prev_hash, checkpoint_at = pending.seq, pending.hash, pending.checkpoint_at
    else:
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            conn.execute(_LOCK, {"key": _PG_CHAIN_LOCK})
        head = conn.execute(_HEAD).first()
        prev_seq, prev_hash, checkpoint_at = (
            (head[0], head[1], head[2]) if head else (0, c.GENESIS, None)
        )
    seq = prev_seq + 1
    at = clock.now()
    at_text = c.format_at(at)
    categories_text = c.categories_json(categories)
    details_text = c.details_json(details or {})
    body = c.canonical(
        seq, at_text, str(code), actor.kind, actor.id, actor.role, customer_id, purpose,
        categories_text, reference, outcome, details_text,
    )  # fmt: skip
    digest = c.chain_hash(prev_hash, body)
    row = {
        "seq": seq, "at": at, "code": str(code), "actor_kind": actor.kind,
        "actor_id": actor.id, "actor_role": actor.role, "customer_id": customer_id,
        "purpose": purpose, "categories": categories_text, "reference": reference,
        "outcome": outcome, "details": details_text, "prev_hash": prev_hash,
        "hash": digest,
    }  # fmt: skip
    if pending is not None:
        pending.rows.append(row)
        pending.seq, pending.hash = seq, digest
    else:
        conn.execute(_INSERT_EVENT, [row])
    config: AuditConfig | None = session.info.get(_INFO_KEY)
    if (
        config is not None
        and config.signer is not None
        and _checkpoint_due(config, seq, at, checkpoint_at)
    ):
        _flush_pending(session)
        _checkpoint(session, config.signer, seq, digest, at)
        if pending is not None:
            pending.checkpoint_at = at
    return Recorded(seq, digest)


def attach_note(uow: UnitOfWork, seq: int, customer_id: str, note_ct: bytes) -> None:
    """Store the encrypted free text of event ``seq`` (the guard calls this, nobody else)."""
    _flush_pending(uow.session)
    uow.session.execute(
        insert(_NOTES), [{"seq": seq, "customer_id": customer_id, "note_ct": note_ct}]
    )


def checkpoint_now(uow: UnitOfWork, clock: Clock, signer: Signer) -> int | None:
    """Sign the current head as a checkpoint (``amanat audit checkpoint``); None if empty.

    Records no event of its own: a checkpoint is a statement about the chain, not a change.
    """
    session = uow.session
    _flush_pending(session)
    _take_chain_lock(session)
    head = session.execute(_HEAD).first()
    if head is None:
        return None
    exists = session.get(AuditCheckpoint, head[0])
    if exists is None:
        _checkpoint(session, signer, head[0], head[1], clock.now())
    return int(head[0])


def _take_chain_lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_CHAIN_LOCK})
    # SQLite: the unit of work began IMMEDIATE, which already serialises writers.


def _checkpoint_due(
    config: AuditConfig, seq: int, at: datetime, checkpoint_at: datetime | None
) -> bool:
    if seq % config.checkpoint_every == 0 or checkpoint_at is None:
        return True
    return at - checkpoint_at >= timedelta(minutes=config.checkpoint_minutes)


def _checkpoint(session: Session, signer: Signer, seq: int, head_hash: str, at: datetime) -> None:
    signature = signer.sign(c.checkpoint_message(seq, head_hash, c.format_at(at)))
    session.execute(
        insert(_CHECKPOINTS),
        [
            {
                "seq": seq,
                "head_hash": head_hash,
                "at": at,
                "key_id": signer.key_id,
                "signature": signature.hex(),
            }
        ],
    )
