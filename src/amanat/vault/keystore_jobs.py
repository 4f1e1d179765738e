"""The key store's queries and writes for rotation (amanat.vault.rotation) and its
status report: counts by master version, keys below a version, rotation jobs, rewraps.

Each function is its own short transaction on the store's engines, like KeyStore's
methods; reads use the store's WAL reader so a long rotation never blocks a server.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from amanat.vault.keystore import KeyStore, data_keys, jobs, root_keys

_REWRAP_QMARK = (
    "UPDATE data_keys SET master_version = ?, wrapped = ? WHERE key_id = ? AND master_version = ?"
)
_REWRAP_FORMAT = (
    "UPDATE data_keys SET master_version = %s, wrapped = %s "
    "WHERE key_id = %s AND master_version = %s"
)


# -- rotation support ---------------------------------------------------------------------


def wrapped_counts(store: KeyStore) -> dict[int, int]:
    """How many data keys each master version wraps."""
    with store.reading() as conn:
        rows = conn.execute(
            select(data_keys.c.master_version, func.count()).group_by(data_keys.c.master_version)
        ).all()
    return {int(v): int(n) for v, n in rows}


def key_stats(store: KeyStore) -> tuple[int, int, datetime | None]:
    """(active keys, retired keys, oldest active key's creation time)."""
    with store.reading() as conn:
        active = conn.execute(
            select(func.count()).where(data_keys.c.retired_at.is_(None))
        ).scalar_one()
        oldest = conn.execute(
            select(data_keys.c.created_at)
            .where(data_keys.c.retired_at.is_(None))
            .order_by(data_keys.c.created_at)
            .limit(1)
        ).scalar()
        retired = conn.execute(
            select(func.count()).where(data_keys.c.retired_at.is_not(None))
        ).scalar_one()
    return int(active), int(retired), oldest


def keys_below(
    store: KeyStore, version: int, after_key_id: int, limit: int
) -> list[tuple[int, str, int, bytes]]:
    """(key id, owner, master version, wrapped) of keys under a master version older
    than ``version``, in key id order after ``after_key_id``."""
    c = data_keys.c
    with store.reading() as conn:
        rows = conn.execute(
            select(c.key_id, c.customer_id, c.master_version, c.wrapped)
            .where(c.master_version < version, c.key_id > after_key_id)
            .order_by(c.key_id)
            .limit(limit)
        ).all()
    return [(int(k), str(o), int(v), bytes(w)) for k, o, v, w in rows]


def count_below(store: KeyStore, version: int) -> int:
    with store.reading() as conn:
        return int(
            conn.execute(
                select(func.count()).where(data_keys.c.master_version < version)
            ).scalar_one()
        )


def owners_needing_new_keys(
    store: KeyStore, started: datetime, after: str, limit: int
) -> list[str]:
    """Owners whose active key predates ``started`` (customer-key rotation, phase 1)."""
    with store.reading() as conn:
        return list(
            conn.execute(
                select(data_keys.c.customer_id)
                .where(
                    data_keys.c.retired_at.is_(None),
                    data_keys.c.created_at < started,
                    data_keys.c.customer_id > after,
                )
                .order_by(data_keys.c.customer_id)
                .limit(limit)
            ).scalars()
        )


def retired_keys(store: KeyStore) -> list[tuple[int, datetime]]:
    with store.reading() as conn:
        rows = conn.execute(
            select(data_keys.c.key_id, data_keys.c.retired_at).where(
                data_keys.c.retired_at.is_not(None)
            )
        ).all()
    return [(int(k), r) for k, r in rows]


def active_key_ids(store: KeyStore, customer_ids: Iterable[str]) -> dict[str, int]:
    ids = list(set(customer_ids))
    found: dict[str, int] = {}
    with store.reading() as conn:
        for start in range(0, len(ids), 500):
            rows = conn.execute(
                select(data_keys.c.customer_id, data_keys.c.key_id, data_keys.c.generation)
                .where(
                    data_keys.c.customer_id.in_(ids[start : start + 500]),
                    data_keys.c.retired_at.is_(None),
                )
                .order_by(data_keys.c.generation)
            ).all()
            for customer_id, key_id, _ in rows:
                found[str(customer_id)] = int(key_id)  # newest generation wins
    return found


# -- rotation jobs ----------------------------------------------------------------------


def job(store: KeyStore, name: str) -> datetime | None:
    """When the unfinished job ``name`` started, or None if there is none."""
    with store.reading() as conn:
        return conn.execute(select(jobs.c.started_at).where(jobs.c.name == name)).scalar()


def start_job(store: KeyStore, name: str, now: datetime) -> datetime:
    """Start ``name`` unless it is already running; returns its start time."""
    try:
        with store.writing() as conn:
            conn.execute(insert(jobs).values(name=name, started_at=now))
    except IntegrityError:
        pass
    started = job(store, name)
    assert started is not None
    return started


def finish_job(store: KeyStore, name: str) -> None:
    with store.writing() as conn:
        conn.execute(delete(jobs).where(jobs.c.name == name))


def rewrap(store: KeyStore, changes: Sequence[tuple[int, int, int, bytes]]) -> int:
    """Apply (key_id, old version, new version, wrapped); skips rows changed meanwhile.

    Runs as one driver-level executemany: SQLAlchemy's per-row parameter processing
    would otherwise cost more than the cryptography of a master rotation.
    """
    if not changes:
        return 0
    sql = _REWRAP_QMARK if store.engine.dialect.paramstyle == "qmark" else _REWRAP_FORMAT
    with store.writing() as conn:
        result = conn.exec_driver_sql(
            sql, [(new, wrapped, key_id, old) for key_id, old, new, wrapped in changes]
        )
        return int(result.rowcount)


def root_keys_below(store: KeyStore, version: int) -> list[tuple[str, int, bytes]]:
    with store.reading() as conn:
        rows = conn.execute(select(root_keys).where(root_keys.c.master_version < version)).all()
    return [(r.name, r.master_version, r.wrapped) for r in rows]


def rewrap_root(store: KeyStore, name: str, old: int, new: int, wrapped: bytes) -> None:
    with store.writing() as conn:
        conn.execute(
            update(root_keys)
            .where(root_keys.c.name == name, root_keys.c.master_version == old)
            .values(master_version=new, wrapped=wrapped)
        )
