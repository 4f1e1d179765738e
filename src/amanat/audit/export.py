"""`amanat audit export --since DATE`: the chain as JSON lines a third party can verify.

One line per event, in sequence order, with the twelve canonical fields (categories as a
list, details as an object) plus ``prev_hash`` and ``hash``; then one line per checkpoint
in range with ``"checkpoint": true``, its signature and the public key that verifies it.
amanat.audit.canonical documents the bytes to hash; docs/security.md shows a verifier in
a dozen lines of Python.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Engine

from amanat.audit.verify import _at_text, load_checkpoints

_COLUMNS = (
    "seq, at, code, actor_kind, actor_id, actor_role, customer_id, purpose, categories, "
    "reference, outcome, details, prev_hash, hash"
)


def export_lines(
    engine: Engine, since: date, public_key: Callable[[str], str | None]
) -> Iterator[str]:
    """JSON lines of every event at or after midnight UTC of ``since``, then checkpoints."""
    start = datetime.combine(since, time(), tzinfo=UTC)
    first_seq: int | None = None
    with engine.connect() as conn:
        raw: Any = conn.connection.dbapi_connection
        cursor = raw.cursor()
        marker = "%s" if engine.dialect.name == "postgresql" else "?"
        # The stored `at` is compared as the driver sees it: a datetime on PostgreSQL,
        # SQLAlchemy's 'YYYY-MM-DD HH:MM:SS.ffffff' text on SQLite.
        bound: object = (
            start if engine.dialect.name == "postgresql" else start.strftime("%Y-%m-%d %H:%M:%S.%f")
        )
        cursor.execute(
            f"SELECT {_COLUMNS} FROM audit_events WHERE at >= {marker} ORDER BY seq",  # noqa: S608 -- fixed text
            (bound,),
        )
        while batch := cursor.fetchmany(10_000):
            for row in batch:
                if first_seq is None:
                    first_seq = int(row[0])
                yield _event_line(row)
        cursor.close()
    if first_seq is None:
        return
    for checkpoint in load_checkpoints(engine).values():
        if checkpoint.seq >= first_seq:
            yield json.dumps(
                {
                    "checkpoint": True,
                    "seq": checkpoint.seq,
                    "head_hash": checkpoint.head_hash,
                    "at": checkpoint.at_text,
                    "key_id": checkpoint.key_id,
                    "signature": checkpoint.signature,
                    "public_key": public_key(checkpoint.key_id),
                },
                sort_keys=True,
            )


def _event_line(row: tuple[Any, ...]) -> str:
    categories, details = row[8], row[11]
    event = {
        "seq": row[0],
        "at": _at_text(row[1]),
        "code": row[2],
        "actor_kind": row[3],
        "actor_id": row[4],
        "actor_role": row[5],
        "customer_id": row[6],
        "purpose": row[7],
        "categories": json.loads(categories) if isinstance(categories, str) else categories,
        "reference": row[9],
        "outcome": row[10],
        "details": json.loads(details) if isinstance(details, str) else details,
        "prev_hash": row[12],
        "hash": row[13],
    }
    return json.dumps(event, sort_keys=True, ensure_ascii=True)
