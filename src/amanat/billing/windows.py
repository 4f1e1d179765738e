"""Per-network counts in one-minute windows: the public rate limits of billing.

The network address is never stored: a window's key is a keyed hash of the scope and
the address, plus the minute. `/verify` and refused webhooks each count in their own
scope.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from amanat.billing.models import VerifyWindow
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime


def count(uow: UnitOfWork, runtime: Runtime, scope: str, client_key: str, now: datetime) -> int:
    """Count one more request of ``scope`` from ``client_key`` in this minute; the count so far."""
    window = now.replace(second=0, microsecond=0)
    key = f"{runtime.vault.hash_token(f'{scope}|{client_key}')[:48]}|{window:%Y%m%d%H%M}"
    uow.session.execute(delete(VerifyWindow).where(VerifyWindow.expires_at < now))
    row = uow.session.get(VerifyWindow, key, with_for_update=True)
    if row is None:
        row = VerifyWindow(key=key, count=1, expires_at=window + timedelta(minutes=2))
        uow.session.add(row)
    else:
        row.count += 1
    uow.session.flush()
    return row.count


def seconds_left(now: datetime) -> int:
    """Until the next whole minute, when a new window starts (for Retry-After)."""
    return 60 - now.second
