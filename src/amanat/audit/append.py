"""One audit append at the driver level, for the guard's one-transaction read path.

``service.record`` appends through a unit of work's Session. ``Guard.read_row`` has no
Session: it holds one pooled DBAPI connection in a transaction it began itself (SQLite
``BEGIN IMMEDIATE``; PostgreSQL's implicit one). ``append_event`` does the same append
there, with the same statements' effect and the same stored values: take the chain lock
(PostgreSQL: the transaction-scoped advisory lock ``service.record`` takes; SQLite: the
IMMEDIATE transaction already serialises writers), read the head, hash the event onto
it, insert it, and sign a checkpoint when one is due. The lock is held until the
caller's transaction ends, so the chain stays linear with any mix of writers.

Why not Core: on a guarded read, SQLAlchemy's per-statement work (compile cache, context,
result set-up) cost more than the statements themselves (docs/performance.md, "Guard and
audit"). Values go through the columns' own type processors, so a row appended here is
byte for byte what ``service.record`` would store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, sessionmaker

from amanat.audit import canonical as c
from amanat.audit.events import Event
from amanat.audit.models import AuditCheckpoint, AuditEvent
from amanat.audit.service import (
    _INFO_KEY,
    _PG_CHAIN_LOCK,
    AuditConfig,
    Outcome,
    Recorded,
    _checkpoint_due,
)
from amanat.core.actor import Actor
from amanat.core.clock import Clock

_EVENTS = cast(Table, AuditEvent.__table__)
_CHECKPOINTS = cast(Table, AuditCheckpoint.__table__)
_EVENT_COLUMNS = (
    "seq", "at", "code", "actor_kind", "actor_id", "actor_role", "customer_id", "purpose",
    "categories", "reference", "outcome", "details", "prev_hash", "hash",
)  # fmt: skip
_CHECKPOINT_COLUMNS = ("seq", "head_hash", "at", "key_id", "signature")


@dataclass(frozen=True)
class _Statements:
    lock: str | None
    head: str
    insert_event: str
    insert_checkpoint: str
    bind_at: Callable[[datetime], Any]
    text_at: bool
    result_at: Callable[[Any], datetime | None]


_BY_DIALECT: dict[str, _Statements] = {}


def _statements(dialect: Dialect) -> _Statements:
    found = _BY_DIALECT.get(dialect.name)
    if found is not None:
        return found
    mark = "%s" if dialect.paramstyle in ("format", "pyformat") else "?"

    def insert(table: str, columns: tuple[str, ...]) -> str:
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"  # noqa: S608 -- fixed names

    at_type = _EVENTS.c.at.type.dialect_impl(dialect)
    bind = at_type.bind_processor(dialect)
    result = at_type.result_processor(dialect, None)
    made = _Statements(
        lock=f"SELECT pg_advisory_xact_lock({_PG_CHAIN_LOCK})"
        if dialect.name == "postgresql"
        else None,
        head=(
            "SELECT seq, hash, (SELECT at FROM audit_checkpoints ORDER BY seq DESC LIMIT 1) "
            "FROM audit_events ORDER BY seq DESC LIMIT 1"
        ),
        insert_event=insert("audit_events", _EVENT_COLUMNS),
        insert_checkpoint=insert("audit_checkpoints", _CHECKPOINT_COLUMNS),
        bind_at=bind if bind is not None else (lambda value: value),
        text_at=dialect.name == "sqlite",
        result_at=result if result is not None else (lambda value: value),
    )
    _BY_DIALECT[dialect.name] = made
    return made


def config_of(session_factory: sessionmaker[Session]) -> AuditConfig | None:
    """The checkpoint settings and signer ``service.configure`` gave this factory."""
    info = session_factory.kw.get("info") or {}
    config: AuditConfig | None = info.get(_INFO_KEY)
    return config


def append_event(
    dbapi: Any,
    dialect: Dialect,
    config: AuditConfig | None,
    clock: Clock,
    code: Event,
    actor: Actor,
    *,
    customer_id: str | None,
    purpose: str | None,
    categories_text: str,
    reference: str | None,
    outcome: Outcome,
    details_text: str,
) -> Recorded:
    """Append one event on ``dbapi`` (a driver connection inside its caller's transaction).

    Callers: the guard's read path only; everything else uses ``service.record``.
    ``categories_text`` and ``details_text`` are already canonical JSON
    (``canonical.categories_json`` / ``details_json``), ids and codes only. Not committed.
    """
    sql = _statements(dialect)
    if sql.lock is not None:
        dbapi.execute(sql.lock).fetchone()
    head = dbapi.execute(sql.head).fetchone()
    if head is None:
        prev_seq, prev_hash, checkpoint_at = 0, c.GENESIS, None
    else:
        prev_seq, prev_hash = head[0], head[1]
        checkpoint_at = None if head[2] is None else sql.result_at(head[2])
    seq = prev_seq + 1
    at = clock.now()
    at_text = c.format_at(at)
    body = c.canonical(
        seq, at_text, str(code), actor.kind, actor.id, actor.role, customer_id,
        purpose, categories_text, reference, outcome, details_text,
    )  # fmt: skip
    digest = c.chain_hash(prev_hash, body)
    # SQLite keeps SQLAlchemy's text form of the UTC time, which is the canonical text
    # with a space for the "T" and no "Z"; elsewhere the column type's own processor.
    stored_at = f"{at_text[:10]} {at_text[11:26]}" if sql.text_at else sql.bind_at(at)
    dbapi.execute(
        sql.insert_event,
        (
            seq, stored_at, str(code), actor.kind, actor.id, actor.role, customer_id, purpose,
            categories_text, reference, outcome, details_text, prev_hash, digest,
        ),
    )  # fmt: skip
    signer = None if config is None else config.signer
    if (
        config is not None
        and signer is not None
        and _checkpoint_due(config, seq, at, checkpoint_at)
    ):
        signature = signer.sign(c.checkpoint_message(seq, digest, at_text))
        dbapi.execute(
            sql.insert_checkpoint, (seq, digest, stored_at, signer.key_id, signature.hex())
        )
    return Recorded(seq, digest)
