"""Batched audit appends (amanat.audit.service.batch): one chain, however events arrive."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import event, text

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.audit.verify import verify_chain
from amanat.config import Settings
from amanat.core.actor import Actor
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.vault.signing import AuditSigner

CHECKPOINT_EVERY = 5
ACTOR = Actor.system("billing_run")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"audit": settings.audit.model_copy(update={"checkpoint_every": CHECKPOINT_EVERY})}
    )


def _record(runtime: Runtime, uow: UnitOfWork, n: int) -> audit.Recorded:
    return audit.record(
        uow, runtime.clock, Event.BILLING_INVOICE_ISSUED, ACTOR, customer_id=f"{n:032d}",
        purpose="billing", reference=f"INV-2025-26-{n:06d}", details={"n": n},
    )  # fmt: skip


def _seqs(runtime: Runtime, table: str) -> list[int]:
    with runtime.engine.connect() as conn:
        return list(conn.execute(text(f"SELECT seq FROM {table} ORDER BY seq")).scalars())


def test_a_batch_continues_the_chain_with_checkpoints_and_verifies(runtime: Runtime) -> None:
    with runtime.uow() as uow:
        _record(runtime, uow, 0)  # one by one before the batch
        uow.commit()
    with runtime.uow() as uow:
        with audit.batch(uow):
            recorded = [_record(runtime, uow, n) for n in range(1, 13)]
            # Nothing is in the table until the block ends, but for the checkpoints'
            # events, which go in first so that the signed head exists.
        uow.commit()
    with runtime.uow() as uow:
        _record(runtime, uow, 13)  # and one by one after it
        uow.commit()
    assert [r.seq for r in recorded] == list(range(2, 14))
    assert _seqs(runtime, "audit_events") == list(range(1, 15))
    # The first event, then every CHECKPOINT_EVERY: also when they fall inside a batch.
    assert _seqs(runtime, "audit_checkpoints") == [1, 5, 10]
    with runtime.engine.connect() as conn:
        hashes = dict(conn.execute(text("SELECT seq, hash FROM audit_events")).all())
    assert all(hashes[r.seq] == r.hash for r in recorded)
    report = verify_chain(runtime.engine, AuditSigner(runtime.vault).verify)
    assert report.intact, report
    assert (report.events, report.checkpoints) == (14, 3)


def test_a_batch_that_raises_is_forgotten_with_its_transaction(runtime: Runtime) -> None:
    with runtime.uow() as uow:
        with pytest.raises(ZeroDivisionError), audit.batch(uow):
            _record(runtime, uow, 1)
            _record(runtime, uow, 2)
            _ = 1 / 0
        uow.rollback()
        # The same session goes on appending one by one, from the real head.
        assert _record(runtime, uow, 3).seq == 1
        uow.commit()
    assert _seqs(runtime, "audit_events") == [1]


def test_a_batch_rolled_back_inside_refuses_to_go_on(runtime: Runtime) -> None:
    with runtime.uow() as uow:
        with pytest.raises(RuntimeError, match="outlived"), audit.batch(uow):
            _record(runtime, uow, 1)
            uow.rollback()
            _record(runtime, uow, 2)
        uow.commit()
    assert _seqs(runtime, "audit_events") == []


def test_writers_outside_a_batch_queue_behind_it(runtime: Runtime) -> None:
    """A batch holds the chain lock from its start: others append after it, linearly."""
    started, queued = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    # The statement that takes the chain lock: SQLite's write lock, PostgreSQL's advisory.
    lock_statement = "BEGIN IMMEDIATE" if runtime.engine.dialect.name == "sqlite" else "pg_advisory"

    def single() -> None:
        try:
            started.wait(30)
            with runtime.uow() as uow:
                _record(runtime, uow, 100)
                uow.commit()
        except BaseException as exc:  # noqa: BLE001 -- surfaced by the assertion below
            errors.append(exc)

    other = threading.Thread(target=single)

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread() is other and lock_statement in statement:
            queued.set()

    event.listen(runtime.engine, "before_cursor_execute", seen)
    try:
        other.start()
        with runtime.uow() as uow:
            with audit.batch(uow):
                for n in range(1, 4):
                    _record(runtime, uow, n)
                started.set()
                # Contention for certain: the other writer asks for the chain lock while
                # this batch holds it, so it can only wait.
                assert queued.wait(30), "the other writer never asked for the chain lock"
                if runtime.engine.dialect.name == "postgresql":
                    assert _someone_waits_for_an_advisory_lock(runtime)
            uow.commit()
        other.join()
    finally:
        event.remove(runtime.engine, "before_cursor_execute", seen)
    assert errors == []
    assert _seqs(runtime, "audit_events") == [1, 2, 3, 4]
    report = verify_chain(runtime.engine, AuditSigner(runtime.vault).verify)
    assert report.intact, report


def _someone_waits_for_an_advisory_lock(runtime: Runtime) -> bool:
    """Polls pg_locks (from a connection of its own) until a backend waits for an advisory
    lock; False if none does within half a minute."""
    query = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    for _ in range(300):
        with runtime.engine.connect() as conn:
            if conn.execute(query).scalar():
                return True
        threading.Event().wait(0.1)
    return False
