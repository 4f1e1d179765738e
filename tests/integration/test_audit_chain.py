"""The audit log: a gapless hash chain, signed checkpoints, append-only, tamper-evident."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.audit.export import export_lines
from amanat.audit.verify import _parallel, load_checkpoints, verify_chain
from amanat.config import AuditSettings, Settings
from amanat.core.actor import Actor
from amanat.db import migrate
from amanat.runtime import Runtime
from amanat.vault.signing import AuditSigner

CHECKPOINT_EVERY = 4


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"audit": settings.audit.model_copy(update={"checkpoint_every": CHECKPOINT_EVERY})}
    )


def append(runtime: Runtime, count: int, *, customer_id: str = "c" * 32) -> None:
    for i in range(count):
        with runtime.uow() as uow:
            audit.record(
                uow, runtime.clock, Event.ACCESS_GRANTED, Actor.staff(f"s{i % 3}", "support_agent"),
                customer_id=customer_id, purpose="support", categories={"identity.name"},
                reference=f"T-{1000 + i}", outcome="allowed", details={"reads": ["identity.name"]},
            )  # fmt: skip
            uow.commit()


def verify(runtime: Runtime) -> Any:
    """Verify in one pass, and again in parallel ranges (three child processes however
    short the log, on SQLite): both must give the very same report."""
    signer = AuditSigner(runtime.vault)
    one_pass = verify_chain(runtime.engine, signer.verify, workers=1)
    in_ranges = verify_chain(runtime.engine, signer.verify, workers=3, parallel_from=1)
    assert in_ranges == one_pass
    return one_pass


@pytest.fixture
def attacker(runtime: Runtime) -> Iterator[Any]:
    """Database access without the triggers, as an attacker with the DB password has;
    the triggers come back afterwards through the real migration."""
    config = migrate.alembic_config()
    with runtime.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")

    def run(sql: str, **params: Any) -> None:
        with runtime.engine.begin() as conn:
            conn.execute(text(sql), params)

    yield run
    migrate.upgrade(runtime.engine)


def test_appended_events_form_a_gapless_chain_with_signed_checkpoints(runtime: Runtime) -> None:
    append(runtime, 9)
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT seq, prev_hash, hash FROM audit_events ORDER BY seq")
        ).all()
        checkpoints = conn.execute(text("SELECT seq FROM audit_checkpoints ORDER BY seq")).scalars()
        checkpoint_seqs = list(checkpoints)
    assert [r.seq for r in rows] == list(range(1, 10))
    assert rows[0].prev_hash == "0" * 64
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 9))
    # The first event (no checkpoint yet), then every CHECKPOINT_EVERY events.
    assert checkpoint_seqs == [1, 4, 8]
    report = verify(runtime)
    assert report.intact, report.problem
    assert (report.events, report.checkpoints) == (9, 3)


def test_update_and_delete_are_refused_by_the_database(runtime: Runtime) -> None:
    append(runtime, 2)
    for sql in (
        "UPDATE audit_events SET purpose = 'billing' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 2",
        "UPDATE audit_checkpoints SET head_hash = 'x' WHERE seq = 1",
        "DELETE FROM audit_checkpoints",
    ):
        with pytest.raises(DBAPIError, match="append-only"), runtime.engine.begin() as conn:
            conn.execute(text(sql))
    assert verify(runtime).intact


def test_a_modified_event_is_named(runtime: Runtime, attacker: Any) -> None:
    append(runtime, 6)
    attacker("UPDATE audit_events SET purpose = 'billing' WHERE seq = 5")
    report = verify(runtime)
    assert (report.intact, report.first_bad_seq) == (False, 5)
    assert "modified" in report.problem


def test_a_deleted_event_is_named(runtime: Runtime, attacker: Any) -> None:
    append(runtime, 6)
    attacker("DELETE FROM audit_events WHERE seq = 3")
    report = verify(runtime)
    assert (report.intact, report.first_bad_seq) == (False, 3)


def test_an_inserted_event_is_named(runtime: Runtime, attacker: Any) -> None:
    append(runtime, 6)
    # Make room after event 2 and slip in a forged event 3 that links to event 2.
    for seq in range(6, 2, -1):
        attacker("UPDATE audit_events SET seq = :new WHERE seq = :old", new=seq + 1, old=seq)
    attacker(
        "INSERT INTO audit_events (seq, at, code, actor_kind, actor_id, actor_role, customer_id,"
        " purpose, categories, reference, outcome, details, prev_hash, hash) SELECT 3, at, code,"
        " actor_kind, 'intruder', actor_role, customer_id, purpose, categories, reference,"
        " outcome, details, hash, :forged FROM audit_events WHERE seq = 2",
        forged="f" * 64,
    )
    report = verify(runtime)
    assert (report.intact, report.first_bad_seq) == (False, 3)


def test_reordered_events_are_named(runtime: Runtime, attacker: Any) -> None:
    append(runtime, 6)
    attacker("UPDATE audit_events SET seq = 100 WHERE seq = 2")
    attacker("UPDATE audit_events SET seq = 2 WHERE seq = 4")
    attacker("UPDATE audit_events SET seq = 4 WHERE seq = 100")
    report = verify(runtime)
    assert (report.intact, report.first_bad_seq) == (False, 2)


def test_a_tail_cut_after_a_signed_checkpoint_is_named(runtime: Runtime, attacker: Any) -> None:
    append(runtime, 9)  # checkpoints at 1, 4, 8
    attacker("DELETE FROM audit_events WHERE seq >= 7")
    report = verify(runtime)
    assert (report.intact, report.first_bad_seq) == (False, 7)
    assert "tail cut" in report.problem


def test_a_forged_checkpoint_signature_is_refused(runtime: Runtime, attacker: Any) -> None:
    append(runtime, 5)
    attacker("UPDATE audit_checkpoints SET signature = :sig WHERE seq = 4", sig="00" * 64)
    report = verify(runtime)
    assert (report.intact, report.first_bad_seq) == (False, 4)


def test_export_is_verifiable_by_a_third_party_with_hashlib_and_json(runtime: Runtime) -> None:
    append(runtime, 5)
    signer = AuditSigner(runtime.vault)
    lines = [
        json.loads(line)
        for line in export_lines(runtime.engine, date(2000, 1, 1), signer.public_key_hex)
    ]
    events = [line for line in lines if not line.get("checkpoint")]
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    # What docs/security.md tells a third party to do, with nothing of Amanat's:
    prev = "0" * 64
    for event in events:
        fields = {k: v for k, v in event.items() if k not in ("prev_hash", "hash")}
        body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        assert event["prev_hash"] == prev
        prev = hashlib.sha256(prev.encode() + b"\n" + body.encode()).hexdigest()
        assert event["hash"] == prev
    checkpoints = [line for line in lines if line.get("checkpoint")]
    assert [c["seq"] for c in checkpoints] == [1, 4]
    assert all(c["public_key"] and len(c["signature"]) == 128 for c in checkpoints)
    assert list(export_lines(runtime.engine, date(2999, 1, 1), signer.public_key_hex)) == []


WRITERS, PER_WRITER = 8, 25


def _write_events(data_dir: str, database_url: str | None, count: int) -> None:
    """One writer (a thread on SQLite, a process of its own on PostgreSQL)."""
    from amanat.composition import build_runtime

    runtime = build_runtime(
        Settings(
            environment="test",
            data_dir=data_dir,
            database_url=database_url,
            audit=AuditSettings(checkpoint_every=CHECKPOINT_EVERY),
        )
    )
    try:
        append(runtime, count)
    finally:
        runtime.close()


def test_eight_concurrent_writers_keep_the_chain_linear(runtime: Runtime) -> None:
    settings = runtime.settings
    args = (str(settings.data_dir), settings.database_url, PER_WRITER)
    if runtime.engine.dialect.name == "sqlite":
        threads = [
            threading.Thread(target=append, args=(runtime, PER_WRITER)) for _ in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(WRITERS, mp_context=context) as pool:
            for future in [pool.submit(_write_events, *args) for _ in range(WRITERS)]:
                future.result()
    report = verify(runtime)
    assert report.intact, report.problem
    assert report.events == WRITERS * PER_WRITER
    assert report.checkpoints >= WRITERS * PER_WRITER // CHECKPOINT_EVERY


def test_values_needing_escapes_verify_through_the_exact_path(runtime: Runtime) -> None:
    with runtime.uow() as uow:
        audit.record(
            uow, runtime.clock, Event.ACCESS_GRANTED, Actor.system("import"),
            details={"source": "Lahore — Gulberg", "quote": 'say "hi"\n'},
        )  # fmt: skip
        uow.commit()
    append(runtime, 2)
    report = verify(runtime)
    assert report.intact, report.problem
    assert report.events == 3


# SQLite only, by design: verification in ranges runs child processes that each open the
# SQLite file (audit/verify.py _parallel); on PostgreSQL verify_chain is always one pass,
# which every other test here runs on PostgreSQL too (verify() checks both ways agree).
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_long_sqlite_log_is_checked_in_ranges_joined_at_the_seams(runtime: Runtime) -> None:
    assert runtime.engine.dialect.name == "sqlite"
    append(runtime, 10)
    checkpoints = load_checkpoints(runtime.engine)
    heads = {seq: checkpoint.head_hash for seq, checkpoint in checkpoints.items()}
    joined = _parallel(runtime.engine, heads, 3, 1, None)
    assert joined is not None  # it did run in ranges
    assert (joined.checked, joined.bad_seq) == (10, None)
    with runtime.engine.connect() as conn:
        last = conn.execute(text("SELECT hash FROM audit_events WHERE seq = 10")).scalar()
    assert joined.last_hash == last
    # Below the threshold, or with one worker, it is one pass.
    assert _parallel(runtime.engine, heads, 3, 11, None) is None
    assert _parallel(runtime.engine, heads, 1, 1, None) is None
