"""Checking a run of consecutive audit events: the inner loop of ``audit verify``.

Free of SQLAlchemy, so that ``verify_chain`` can run it in child processes on a large
SQLite log, one per range of sequence numbers (``python -m amanat.audit.scan PATH LO HI``
with the range's checkpoint heads as JSON on stdin, its ``RangeResult`` as JSON on
stdout). Ranges are independent but for their seams: each event carries ``prev_hash``,
so a range is checked from its first event's stored ``prev_hash`` and the caller checks
that this equals the hash the previous range ended with.

On SQLite the database builds each event's canonical text itself (one ``format()`` per
row, C, not Python); the hash is computed here. The SQL text quotes values plainly,
which equals Python's ``ensure_ascii`` quoting for the ids and codes Amanat stores; for
any row where the two could differ (quotes, backslashes, non-ASCII, odd timestamps) the
hash does not match, and that row is rebuilt the exact Python way before anything is
reported, so a difference of quoting can never pass as intact nor be reported as tampering.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from amanat.audit import canonical as c

COLUMNS = (
    "seq, at, code, actor_kind, actor_id, actor_role, customer_id, purpose, categories, "
    "reference, outcome, details, prev_hash, hash"
)


def _quoted_or_null(column: str) -> str:
    return f"coalesce('\"' || {column} || '\"', 'null')"


SQLITE_CANONICAL = (
    'format(\'{"actor_id":"%s","actor_kind":"%s","actor_role":"%s",'
    '"at":"%sT%sZ","categories":%s,"code":"%s","customer_id":%s,"details":%s,'
    '"outcome":"%s","purpose":%s,"reference":%s,"seq":%d}\', actor_id, actor_kind, '
    f"actor_role, substr(at, 1, 10), substr(at, 12), categories, code, "
    f"{_quoted_or_null('customer_id')}, details, outcome, {_quoted_or_null('purpose')}, "
    f"{_quoted_or_null('reference')}, seq)"
)
# The bytes hashed, whole: prev_hash, a newline, the canonical text (as a BLOB, so that
# Python neither decodes nor re-encodes them).
SQLITE_HASHED = f"CAST(prev_hash || char(10) || {SQLITE_CANONICAL} AS BLOB)"
SQLITE_RANGE = (
    f"SELECT seq, prev_hash, hash, {SQLITE_HASHED} FROM audit_events "  # noqa: S608 -- fixed text
    "WHERE seq BETWEEN ? AND ? ORDER BY seq"
)

ExactHash = Callable[[int, str], "str | None"]
"""(seq, previous hash) -> the event's hash rebuilt from its stored values, None if absent."""


@dataclass(frozen=True)
class RangeResult:
    checked: int  # events verified before the first problem (all of them when none)
    first_prev: str | None  # the first event's stored prev_hash, for the caller's seam check
    last_hash: str | None  # the hash the last verified event has
    bad_seq: int | None = None
    problem: str | None = None


def at_text(value: Any) -> str:
    # SQLite hands back SQLAlchemy's stored text 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC);
    # PostgreSQL a datetime. Anything else cannot hash right, which is the point.
    if isinstance(value, datetime):
        return c.format_at(value)
    text = str(value)
    return f"{text[:10]}T{text[11:]}Z"


def json_text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def exact_hash(row: tuple[Any, ...] | None, prev: str) -> str | None:
    """The hash of a row of ``COLUMNS`` rebuilt in Python from its stored values."""
    if row is None:
        return None
    try:
        body = c.canonical(
            row[0], at_text(row[1]), row[2], row[3], row[4], row[5], row[6], row[7],
            json_text(row[8]), row[9], row[10], json_text(row[11]),
        )  # fmt: skip
    except (TypeError, UnicodeEncodeError):
        return None  # a value no writer of Amanat's could have stored
    return c.chain_hash(prev, body)


def scan(  # noqa: PLR0912 -- one pass; each check returns early
    batches: Iterable[list[tuple[Any, ...]]],
    first_seq: int,
    prev: str | None,
    heads: Mapping[int, str],
    *,
    canonical_text: bool,
    exact: ExactHash,
    progress: Callable[[int], None] | None = None,
) -> RangeResult:
    """Check events ``first_seq``, ``first_seq + 1``, … as they come, stopping at a problem.

    Rows are ``(seq, prev_hash, hash, bytes hashed)`` when ``canonical_text`` (SQLite
    built them: ``SQLITE_HASHED``), else ``COLUMNS``. ``prev`` is the hash the event before ``first_seq`` has;
    None leaves the first event's link to the caller. ``heads`` are the signed checkpoint
    heads (seq -> hash) that must match.
    """
    prev_at, hash_at = (1, 2) if canonical_text else (12, 13)
    sha256, canonical = hashlib.sha256, c.canonical
    expected, first_prev, digest = first_seq, None, ""
    for batch in batches:
        for row in batch:
            seq = row[0]
            if seq != expected:
                missing = expected if seq > expected else seq
                return RangeResult(
                    expected - first_seq, first_prev, prev, missing,
                    f"sequence {missing} is missing or out of order (found {seq} after "
                    f"{expected - 1})",
                )  # fmt: skip
            if prev is None:
                prev = first_prev = row[prev_at]
            elif expected == first_seq:
                first_prev = row[prev_at]
            if row[prev_at] != prev:
                return RangeResult(
                    expected - first_seq, first_prev, prev, seq,
                    f"event {seq} does not link to event {seq - 1} (inserted or reordered)",
                )  # fmt: skip
            if canonical_text:
                hashed = row[3]  # begins with the stored prev_hash, just found equal to prev
                if hashed is not None:
                    digest = sha256(hashed).hexdigest()
                if hashed is None or digest != row[2]:
                    digest = exact(seq, prev) or ""
            else:
                body = canonical(
                    seq, at_text(row[1]), row[2], row[3], row[4], row[5], row[6], row[7],
                    json_text(row[8]), row[9], row[10], json_text(row[11]),
                )  # fmt: skip
                digest = sha256(prev.encode("ascii") + b"\n" + body).hexdigest()
            if digest != row[hash_at]:
                return RangeResult(
                    expected - first_seq, first_prev, prev, seq,
                    f"event {seq} does not match its hash (modified)",
                )  # fmt: skip
            head = heads.get(seq)
            if head is not None and head != digest:
                return RangeResult(
                    expected - first_seq, first_prev, prev, seq,
                    f"event {seq} differs from the signed checkpoint at {seq}",
                )  # fmt: skip
            prev, expected = digest, expected + 1
        if progress is not None:
            progress(len(batch))
    return RangeResult(expected - first_seq, first_prev, prev)


def scan_sqlite_range(
    path: str, lo: int, hi: int, heads: Mapping[int, str], batch: int = 20_000
) -> RangeResult:
    """Check events ``lo``..``hi`` of the SQLite file at ``path`` (read-only)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = conn.execute(SQLITE_RANGE, (lo, hi))

        def batches() -> Iterable[list[tuple[Any, ...]]]:
            while rows := cursor.fetchmany(batch):
                yield rows

        def exact(seq: int, prev: str) -> str | None:
            row = conn.execute(
                f"SELECT {COLUMNS} FROM audit_events WHERE seq = ?",  # noqa: S608 -- fixed text
                (seq,),
            ).fetchone()
            return exact_hash(row, prev)

        result = scan(batches(), lo, None, heads, canonical_text=True, exact=exact)
        if result.bad_seq is None and result.checked != hi - lo + 1:
            missing = lo + result.checked
            return RangeResult(
                result.checked, result.first_prev, result.last_hash, missing,
                f"sequence {missing} is missing or out of order (found nothing after "
                f"{missing - 1})",
            )  # fmt: skip
        return result
    finally:
        conn.close()


def _main(argv: list[str]) -> int:
    path, lo, hi = argv[0], int(argv[1]), int(argv[2])
    heads = {int(seq): head for seq, head in json.load(sys.stdin).items()}
    json.dump(asdict(scan_sqlite_range(path, lo, hi, heads)), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
