"""Check the audit chain end to end: every hash, every link, every signed checkpoint.

``verify_chain`` reads the events in sequence order straight from the driver (the hot
loop does no ORM or type processing: a million events must check in a few seconds) and
stops at the first problem, naming its sequence number:

- a missing sequence number (an event deleted, or the tail cut below a checkpoint);
- a ``prev_hash`` that is not the previous event's hash (events inserted or reordered);
- a ``hash`` that does not match the event's canonical bytes (an event modified);
- a checkpoint whose head hash differs from the event it names, or whose Ed25519
  signature does not verify.

The per-event loop is ``amanat.audit.scan``. A large SQLite log is checked in ranges of
sequence numbers at once, one child process per CPU, joined at the seams (each event
carries its ``prev_hash``); the answer is the one a single pass gives.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from amanat.audit import canonical as c
from amanat.audit.scan import (
    COLUMNS,
    SQLITE_HASHED,
    RangeResult,
    at_text,
    exact_hash,
    scan,
)

VerifySignature = Callable[[str, bytes, bytes], bool]
"""(key id, message, signature) -> True when the key store's public key verifies it."""

_BATCH = 20_000
_SQLITE_FAST = f"SELECT seq, prev_hash, hash, {SQLITE_HASHED} FROM audit_events ORDER BY seq"  # noqa: S608 -- fixed text
PARALLEL_FROM = 100_000
"""A SQLite log of at least this many events is checked in parallel ranges."""
_at_text = at_text  # amanat.audit.export reads stored times the same way


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    head_hash: str
    at_text: str
    key_id: str
    signature: str


@dataclass(frozen=True)
class VerifyReport:
    events: int
    checkpoints: int
    first_bad_seq: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.first_bad_seq is None


def _rows(engine: Engine, sql: str) -> Iterator[list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        raw: Any = conn.connection.dbapi_connection
        if engine.dialect.name == "postgresql":
            cursor = raw.cursor(name="amanat_audit_verify")  # server-side: bounded memory
            cursor.itersize = _BATCH
        else:
            cursor = raw.cursor()
        try:
            cursor.execute(sql)
            while batch := cursor.fetchmany(_BATCH):
                yield batch
        finally:
            cursor.close()


def _exact_hash(engine: Engine, seq: int, prev: str) -> str | None:
    """The hash of event ``seq`` rebuilt in Python from its stored values (the slow path)."""
    marker = "%s" if engine.dialect.name == "postgresql" else "?"
    with engine.connect() as conn:
        raw: Any = conn.connection.dbapi_connection
        cursor = raw.cursor()
        cursor.execute(f"SELECT {COLUMNS} FROM audit_events WHERE seq = {marker}", (seq,))  # noqa: S608 -- fixed text
        row = cursor.fetchone()
        cursor.close()
    return exact_hash(row, prev)


def load_checkpoints(engine: Engine) -> dict[int, Checkpoint]:
    with engine.connect() as conn:
        raw: Any = conn.connection.dbapi_connection
        cursor = raw.cursor()
        cursor.execute(
            "SELECT seq, head_hash, at, key_id, signature FROM audit_checkpoints ORDER BY seq"
        )
        rows = cursor.fetchall()
        cursor.close()
    return {
        int(seq): Checkpoint(int(seq), head, at_text(at), key_id, signature)
        for seq, head, at, key_id, signature in rows
    }


def _last_seq(engine: Engine) -> tuple[int | None, int | None]:
    with engine.connect() as conn:
        raw: Any = conn.connection.dbapi_connection
        cursor = raw.cursor()
        cursor.execute("SELECT min(seq), max(seq) FROM audit_events")
        low, high = cursor.fetchone()
        cursor.close()
    return low, high


def verify_chain(
    engine: Engine,
    verify_signature: VerifySignature,
    progress: Callable[[int], None] | None = None,
    *,
    workers: int | None = None,
    parallel_from: int = PARALLEL_FROM,
) -> VerifyReport:
    """Verify the whole chain; the report names the first bad sequence number, if any.

    A SQLite log of ``parallel_from`` events or more is checked in ``workers`` ranges at
    once (default: one per CPU, at most four), each in a child process; the answer is
    the same as checking it in one pass, which is what happens otherwise.
    """
    checkpoints = load_checkpoints(engine)
    for checkpoint in checkpoints.values():
        message = c.checkpoint_message(checkpoint.seq, checkpoint.head_hash, checkpoint.at_text)
        try:
            signature = bytes.fromhex(checkpoint.signature)
        except ValueError:
            signature = b""
        if not verify_signature(checkpoint.key_id, message, signature):
            return VerifyReport(
                0, len(checkpoints), checkpoint.seq,
                f"the checkpoint at sequence {checkpoint.seq} has a signature that does not verify",
            )  # fmt: skip
    heads = {seq: checkpoint.head_hash for seq, checkpoint in checkpoints.items()}
    # Read after the checkpoints: every signed head is then at or below ``high``.
    result = _parallel(engine, heads, workers, parallel_from, progress)
    if result is None:
        fast = engine.dialect.name == "sqlite"
        sql = _SQLITE_FAST if fast else f"SELECT {COLUMNS} FROM audit_events ORDER BY seq"  # noqa: S608 -- fixed text
        result = scan(
            _rows(engine, sql), 1, c.GENESIS, heads, canonical_text=fast,
            exact=lambda seq, prev: _exact_hash(engine, seq, prev), progress=progress,
        )  # fmt: skip
    if result.bad_seq is not None:
        return VerifyReport(result.checked, len(checkpoints), result.bad_seq, result.problem)
    last = result.checked
    beyond = [seq for seq in checkpoints if seq > last]
    if beyond:
        return VerifyReport(
            last, len(checkpoints), last + 1,
            f"the log ends at {last} but checkpoint {max(beyond)} was signed over later "
            "events (tail cut)",
        )  # fmt: skip
    return VerifyReport(last, len(checkpoints))


def _parallel(
    engine: Engine,
    heads: dict[int, str],
    workers: int | None,
    parallel_from: int,
    progress: Callable[[int], None] | None,
) -> RangeResult | None:
    """Check 1..max(seq) in ranges in child processes; None when not worth it or not possible.

    Each child checks its range from the range's first stored ``prev_hash``; here each
    seam is checked (that ``prev_hash`` must be the hash the previous range ended with)
    and the ranges' answers are joined in order, so the first problem is the lowest.
    """
    count = min(os.cpu_count() or 1, 4) if workers is None else workers
    path = engine.url.database
    if count < 2 or engine.dialect.name != "sqlite" or not path or path == ":memory:":
        return None
    low, high = _last_seq(engine)
    if low != 1 or high is None or high < parallel_from:
        return None  # an odd first number is reported by the one-pass check
    step = -(-high // count)
    ranges = [(lo, min(lo + step - 1, high)) for lo in range(1, high + 1, step)]
    children = []
    for lo, hi in ranges:
        child = subprocess.Popen(  # noqa: S603 -- our own interpreter and module, fixed arguments
            [sys.executable, "-m", "amanat.audit.scan", path, str(lo), str(hi)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True,
        )  # fmt: skip
        assert child.stdin is not None
        child.stdin.write(json.dumps({str(s): h for s, h in heads.items() if lo <= s <= hi}))
        child.stdin.close()
        children.append(child)
    results: list[RangeResult] = []
    for (lo, hi), child in zip(ranges, children, strict=True):
        assert child.stdout is not None
        output = child.stdout.read()
        if child.wait() != 0:
            return None  # a child that failed proves nothing: check in one pass instead
        results.append(RangeResult(**json.loads(output)))
        if progress is not None:
            progress(hi - lo + 1)
    checked, prev = 0, c.GENESIS
    for (lo, _), result in zip(ranges, results, strict=True):
        if result.bad_seq == lo and result.checked == 0 and result.first_prev is None:
            return RangeResult(checked, None, None, result.bad_seq, result.problem)
        if result.first_prev != prev:
            return RangeResult(
                checked, None, None, lo,
                f"event {lo} does not link to event {lo - 1} (inserted or reordered)",
            )  # fmt: skip
        if result.bad_seq is not None:
            return RangeResult(checked + result.checked, None, None, result.bad_seq, result.problem)
        checked, prev = checked + result.checked, result.last_hash or ""
    return RangeResult(checked, None, prev)
