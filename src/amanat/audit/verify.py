"""Check the audit chain end to end: every hash, every link, every signed checkpoint.

``verify_chain`` reads the events in sequence order straight from the driver (the hot
loop does no ORM or type processing: a million events must check in a few seconds) and
stops at the first problem, naming its sequence number:

- a missing sequence number (an event deleted, or the tail cut below a checkpoint);
- a ``prev_hash`` that is not the previous event's hash (events inserted or reordered);
- a ``hash`` that does not match the event's canonical bytes (an event modified);
- a checkpoint whose head hash differs from the event it names, or whose Ed25519
  signature does not verify.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from amanat.audit import canonical as c

VerifySignature = Callable[[str, bytes, bytes], bool]
"""(key id, message, signature) -> True when the key store's public key verifies it."""

_COLUMNS = (
    "seq, at, code, actor_kind, actor_id, actor_role, customer_id, purpose, categories, "
    "reference, outcome, details, prev_hash, hash"
)
_BATCH = 20_000
# SQLite builds each event's canonical text itself (C, not Python); the hash is still
# computed here. json_quote escapes like Python's ensure_ascii for ASCII text; for any
# row where the two could differ (non-ASCII, NULLs, odd timestamps) the hash would not
# match and that row is re-checked the slow, exact way before anything is reported.
_SQLITE_FAST = (
    "SELECT seq, prev_hash, hash, '{\"actor_id\":' || json_quote(actor_id) || "
    "',\"actor_kind\":' || json_quote(actor_kind) || ',\"actor_role\":' || "
    "json_quote(actor_role) || ',\"at\":' || json_quote(replace(at, ' ', 'T') || 'Z') || "
    "',\"categories\":' || categories || ',\"code\":' || json_quote(code) || "
    "',\"customer_id\":' || json_quote(customer_id) || ',\"details\":' || details || "
    "',\"outcome\":' || json_quote(outcome) || ',\"purpose\":' || json_quote(purpose) || "
    "',\"reference\":' || json_quote(reference) || ',\"seq\":' || seq || '}' "
    "FROM audit_events ORDER BY seq"
)


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


def _at_text(value: Any) -> str:
    # SQLite hands back SQLAlchemy's stored text 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC);
    # PostgreSQL a datetime. Anything else cannot hash right, which is the point.
    if isinstance(value, datetime):
        return c.format_at(value)
    text = str(value)
    return f"{text[:10]}T{text[11:]}Z"


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


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
        cursor.execute(f"SELECT {_COLUMNS} FROM audit_events WHERE seq = {marker}", (seq,))  # noqa: S608 -- fixed text
        row = cursor.fetchone()
        cursor.close()
    if row is None:
        return None
    try:
        body = c.canonical(
            row[0], _at_text(row[1]), row[2], row[3], row[4], row[5], row[6], row[7],
            _json_text(row[8]), row[9], row[10], _json_text(row[11]),
        )  # fmt: skip
    except (TypeError, UnicodeEncodeError):
        return None  # a value no writer of Amanat's could have stored
    return c.chain_hash(prev, body)


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
        int(seq): Checkpoint(int(seq), head, _at_text(at), key_id, signature)
        for seq, head, at, key_id, signature in rows
    }


def verify_chain(  # noqa: PLR0912 -- one pass over the chain; each check returns early
    engine: Engine,
    verify_signature: VerifySignature,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Verify the whole chain; the report names the first bad sequence number, if any."""
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
    fast = engine.dialect.name == "sqlite"
    sql = _SQLITE_FAST if fast else f"SELECT {_COLUMNS} FROM audit_events ORDER BY seq"  # noqa: S608 -- fixed text
    prev_at, hash_at = (1, 2) if fast else (12, 13)
    sha256, canonical, at_text, json_text = hashlib.sha256, c.canonical, _at_text, _json_text
    expected, prev, digest = 1, c.GENESIS, ""
    for batch in _rows(engine, sql):
        for row in batch:
            seq = row[0]
            if seq != expected:
                missing = expected if seq > expected else seq
                return VerifyReport(
                    expected - 1, len(checkpoints), missing,
                    f"sequence {missing} is missing or out of order (found {seq} after "
                    f"{expected - 1})",
                )  # fmt: skip
            if row[prev_at] != prev:
                return VerifyReport(
                    expected - 1, len(checkpoints), seq,
                    f"event {seq} does not link to event {seq - 1} (inserted or reordered)",
                )  # fmt: skip
            if fast:
                body_text = row[3]
                if body_text is not None:
                    digest = sha256(f"{prev}\n{body_text}".encode()).hexdigest()
                if body_text is None or digest != row[2]:
                    digest = _exact_hash(engine, seq, prev) or ""
            else:
                body = canonical(
                    seq, at_text(row[1]), row[2], row[3], row[4], row[5], row[6], row[7],
                    json_text(row[8]), row[9], row[10], json_text(row[11]),
                )  # fmt: skip
                digest = sha256(prev.encode("ascii") + b"\n" + body).hexdigest()
            if digest != row[hash_at]:
                return VerifyReport(
                    expected - 1, len(checkpoints), seq,
                    f"event {seq} does not match its hash (modified)",
                )  # fmt: skip
            mark = checkpoints.get(seq)
            if mark is not None and mark.head_hash != digest:
                return VerifyReport(
                    expected - 1, len(checkpoints), seq,
                    f"event {seq} differs from the signed checkpoint at {seq}",
                )  # fmt: skip
            prev, expected = digest, expected + 1
        if progress is not None:
            progress(len(batch))
    last = expected - 1
    beyond = [seq for seq in checkpoints if seq > last]
    if beyond:
        return VerifyReport(
            last, len(checkpoints), last + 1,
            f"the log ends at {last} but checkpoint {max(beyond)} was signed over later "
            "events (tail cut)",
        )  # fmt: skip
    return VerifyReport(last, len(checkpoints))
