"""Per-network counts in one-minute windows: the public rate limits of billing.

The network address is never stored: a window's key is a keyed hash of the scope and
the address, plus the minute. `/verify` and refused webhooks each count in their own
scope.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Table, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from amanat.billing.models import VerifyWindow
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime


def count(uow: UnitOfWork, runtime: Runtime, scope: str, client_key: str, now: datetime) -> int:
    """Count one more request of ``scope`` from ``client_key`` in this minute; the count so far.

    The window's row is inserted with ON CONFLICT DO NOTHING and then locked, so requests
    counted at once by several workers are all counted and none fails on the key."""
    window = now.replace(second=0, microsecond=0)
    key = f"{runtime.vault.hash_token(f'{scope}|{client_key}')[:48]}|{window:%Y%m%d%H%M}"
    uow.session.execute(delete(VerifyWindow).where(VerifyWindow.expires_at < now))
    row = uow.session.get(VerifyWindow, key, with_for_update=True)
    if row is None:
        table: Table = VerifyWindow.__table__  # type: ignore[assignment]  # a Table here
        insert = pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        uow.session.execute(
            insert(table)
            .values(key=key, count=0, expires_at=window + timedelta(minutes=2))
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = uow.session.get(VerifyWindow, key, with_for_update=True)
        assert row is not None  # inserted above, or by the worker that won the race
    row.count += 1
    uow.session.flush()
    return row.count


def seconds_left(now: datetime) -> int:
    """Until the next whole minute, when a new window starts (for Retry-After)."""
    return 60 - now.second
