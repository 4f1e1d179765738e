"""Counting failed sign-ins per account and per network address, shared by all workers.

Counts live in the database (``throttle_counters``), or in Redis when
``AMANAT_REDIS_URL`` is set, never in process memory. The rule, per account (``acct:``)
and per account from one network address (``acctnet:``), each counted on its own:

* failures 1-3: no delay;
* failures 4-9: the next attempt waits 2, 4, 8 ... 64 seconds (a growing delay);
* from the 10th: a wait of 15 minutes after each failure.

There is no lock the owner cannot pass (ASVS 2.2.1): whoever merely knows an e-mail
address slows down sign-ins to it, but a browser that signed in to the account before
(its device cookie) is held only by the account-from-this-network count and the
network's own, and a password reset by e-mail clears the account's count.

Per network address: 50 failures within 15 minutes lock that address for 15 minutes.
A successful sign-in clears the account's consecutive counts. A refused attempt (while
locked or waiting) is not counted again.

Wrong second-factor codes are counted per account (``mfa:`` keys) across sign-ins with
the same rule, so knowing the password buys no fresh guesses: a correct code clears the
count, a password reset opens a hard lock.

Requests that send mail (sign-up, password reset, verification resend) are counted per
e-mail address (``mail:`` keys) and per network address (``mailnet:`` keys), before
anyone looks up whether the address has an account, so the limit enumerates nothing:

* per address: 3 within 15 minutes, then wait for the window to end;
* per address: from the 10th in a row, one a day (a sign-in or password reset clears it);
* per network address: 20 within 15 minutes, then 15 minutes' wait.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from amanat.accounts.models import ThrottleCounter
from amanat.core.errors import TooManyRequests
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

FREE_FAILURES = 3
LOCK_FROM = 10
LOCK_FOR = timedelta(minutes=15)
MAX_DELAY = timedelta(seconds=64)
HARD_LOCK_AT = 100
NET_WINDOW = timedelta(minutes=15)
NET_LIMIT = 50
# A lock far beyond any session: cleared only by a password reset (second-factor codes
# only: whoever reaches them knows the password).
_FOREVER = timedelta(days=365 * 100)
MAIL_WINDOW = NET_WINDOW  # the stores keep one window length for every key
MAIL_PER_WINDOW = 3
MAIL_DAILY_FROM = 10
MAIL_DAILY_LOCK = timedelta(hours=24)
MAIL_NET_PER_WINDOW = 20
# What each kind of refusal says; {wait} is "N seconds" or "N minutes".
_REFUSALS = {
    "signin": (
        "Too many failed sign-ins; wait {wait} and try again{reset}.",
        "Too many failed sign-ins; reset your password by e-mail to sign in again.",
    ),
    "mfa": (
        "Too many wrong second-factor codes; wait {wait} and try again{reset}.",
        "Too many wrong second-factor codes; reset your password by e-mail to sign in again.",
    ),
    "mail": (
        "Too many e-mails were requested for this address or from your network; wait {wait} and try again.",
        "",
    ),
    "sms": (
        "Too many codes were requested for this number or this account; wait {wait} and try again.",
        "",
    ),
}

_HINTS = {
    "signin": ", sign in from a device you have used before, or reset your password",
    "mfa": ", or reset your password",
    "mail": ", or reset your password",
}


@dataclass
class Counter:
    consecutive: int
    window_failures: int
    window_start: datetime
    last_failure_at: datetime
    locked_until: datetime | None


class ThrottleStore(Protocol):
    def get(self, uow: UnitOfWork, key: str) -> Counter | None: ...

    def increment(self, uow: UnitOfWork, key: str, now: datetime) -> Counter:
        """Count one failure atomically (concurrent failures are all counted)."""
        ...

    def lock(self, uow: UnitOfWork, key: str, until: datetime, *, permanent: bool) -> None: ...

    def clear(self, uow: UnitOfWork, key: str) -> None: ...


class DatabaseThrottleStore:
    """Counters in the caller's transaction (committed with the sign-in outcome). The row
    is locked while it is counted (FOR UPDATE on PostgreSQL; SQLite's writer lock). A
    key's first failure inserts its row with ON CONFLICT DO NOTHING and then locks it, so
    two workers counting the same new key at once both count (neither fails on the key)."""

    def _row(self, uow: UnitOfWork, key: str) -> ThrottleCounter | None:
        return uow.session.scalar(
            select(ThrottleCounter).where(ThrottleCounter.key == key).with_for_update()
        )

    def get(self, uow: UnitOfWork, key: str) -> Counter | None:
        row = uow.session.scalar(select(ThrottleCounter).where(ThrottleCounter.key == key))
        return _counter(row) if row is not None else None

    def increment(self, uow: UnitOfWork, key: str, now: datetime) -> Counter:
        row = self._row(uow, key)
        if row is None:
            table: Table = ThrottleCounter.__table__  # type: ignore[assignment]  # a Table here
            insert = (
                pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
            )
            uow.session.execute(
                insert(table)
                .values(key=key, consecutive=0, window_failures=0, window_start=now,
                        last_failure_at=now)
                .on_conflict_do_nothing(index_elements=["key"])
            )  # fmt: skip
            row = self._row(uow, key)
            assert row is not None  # inserted above, or by the worker that won the race
        if now - row.window_start > NET_WINDOW:
            row.window_start = now
            row.window_failures = 0
        row.consecutive += 1
        row.window_failures += 1
        row.last_failure_at = now
        uow.session.flush()
        return _counter(row)

    def lock(self, uow: UnitOfWork, key: str, until: datetime, *, permanent: bool) -> None:
        row = self._row(uow, key)
        if row is not None:
            row.locked_until = until
            uow.session.flush()

    def clear(self, uow: UnitOfWork, key: str) -> None:
        row = self._row(uow, key)
        if row is not None:
            uow.session.delete(row)
            uow.session.flush()


def _counter(row: ThrottleCounter) -> Counter:
    return Counter(
        row.consecutive, row.window_failures, row.window_start, row.last_failure_at,
        row.locked_until,
    )  # fmt: skip


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused before any password, code or address is looked at."""

    retry_after_seconds: int
    needs_reset: bool
    kind: str = "signin"  # signin, mfa or mail: what the sentence talks about

    def error(self) -> TooManyRequests:
        waiting, reset = _REFUSALS[self.kind]
        if self.needs_reset and reset:
            return TooManyRequests(reset, retry_after=self.retry_after_seconds)
        seconds = self.retry_after_seconds
        if seconds < 60:
            wait, hint = f"{seconds} seconds", ""
        elif seconds < 3 * 3600:
            wait, hint = f"{math.ceil(seconds / 60)} minutes", _HINTS.get(self.kind, "")
        else:
            wait, hint = f"{math.ceil(seconds / 3600)} hours", _HINTS.get(self.kind, "")
        return TooManyRequests(
            waiting.format(wait=wait, reset=hint), retry_after=self.retry_after_seconds
        )


@dataclass(frozen=True)
class FailureResult:
    account_locked: bool
    hard_locked: bool
    network_locked: bool


@dataclass(frozen=True)
class MailResult:
    address_locked: bool
    network_locked: bool


class Throttle:
    def __init__(self, store: ThrottleStore) -> None:
        self.store = store

    def refusal(self, uow: UnitOfWork, now: datetime, keys: list[str]) -> Refusal | None:
        return self.check(uow, now, keys)[0]

    def check(
        self, uow: UnitOfWork, now: datetime, keys: list[str], kind: str = "signin"
    ) -> tuple[Refusal | None, int]:
        """Whether an attempt is refused now, and the first key's consecutive failures
        (read once: the sign-in needs both)."""
        first_consecutive = 0
        refusal: Refusal | None = None
        for index, key in enumerate(keys):
            counter = self.store.get(uow, key)
            if counter is None:
                continue
            if index == 0:
                first_consecutive = counter.consecutive
            if counter.locked_until is not None and counter.locked_until > now:
                needs_reset = key.startswith("mfa:") and counter.consecutive >= HARD_LOCK_AT
                wait = max(1, math.ceil((counter.locked_until - now).total_seconds()))
                # The longest wait of all the keys: Retry-After must not promise too early.
                if refusal is None or wait > refusal.retry_after_seconds:
                    refusal = Refusal(
                        wait, needs_reset or bool(refusal and refusal.needs_reset), kind
                    )
        return refusal, first_consecutive

    def record_failure(
        self,
        uow: UnitOfWork,
        now: datetime,
        account_key: str,
        network_key: str,
        pair_key: str | None = None,
    ) -> FailureResult:
        """A wrong password: counted for the account, for the account from this network
        (``pair_key``) and for the network. Never a lock that outlasts 15 minutes."""
        consecutive = self._count_account_failure(uow, now, account_key, hard=False)
        if pair_key is not None:
            self._count_account_failure(uow, now, pair_key, hard=False)
        network = self.store.increment(uow, network_key, now)
        if network.window_failures >= NET_LIMIT:
            self.store.lock(uow, network_key, now + LOCK_FOR, permanent=False)
        return FailureResult(
            account_locked=consecutive == LOCK_FROM,
            hard_locked=False,
            network_locked=network.window_failures == NET_LIMIT,
        )

    def record_code_failure(self, uow: UnitOfWork, now: datetime, mfa_key: str) -> FailureResult:
        """A wrong second-factor code: the account's rule, on the account alone (the
        password step already counts the network address)."""
        consecutive = self._count_account_failure(uow, now, mfa_key)
        return FailureResult(
            account_locked=consecutive == LOCK_FROM,
            hard_locked=consecutive == HARD_LOCK_AT,
            network_locked=False,
        )

    def _count_account_failure(
        self, uow: UnitOfWork, now: datetime, key: str, *, hard: bool = True
    ) -> int:
        consecutive = self.store.increment(uow, key, now).consecutive
        if hard and consecutive >= HARD_LOCK_AT:
            self.store.lock(uow, key, now + _FOREVER, permanent=True)
        elif consecutive >= LOCK_FROM:
            self.store.lock(uow, key, now + LOCK_FOR, permanent=False)
        elif consecutive > FREE_FAILURES:
            delay = min(timedelta(seconds=2 ** (consecutive - FREE_FAILURES)), MAX_DELAY)
            self.store.lock(uow, key, now + delay, permanent=False)
        return consecutive

    def record_mail_request(
        self, uow: UnitOfWork, now: datetime, address_key: str, network_key: str | None
    ) -> MailResult:
        """Count one request that sends mail; the next is refused once a limit is reached."""
        address = self.store.increment(uow, address_key, now)
        address_locked = False
        if address.consecutive >= MAIL_DAILY_FROM:
            self.store.lock(uow, address_key, now + MAIL_DAILY_LOCK, permanent=False)
            address_locked = True
        elif address.window_failures >= MAIL_PER_WINDOW:
            until = max(address.window_start + MAIL_WINDOW, now + timedelta(seconds=1))
            self.store.lock(uow, address_key, until, permanent=False)
            address_locked = True
        network_locked = False
        if network_key is not None:
            network = self.store.increment(uow, network_key, now)
            if network.window_failures >= MAIL_NET_PER_WINDOW:
                self.store.lock(uow, network_key, now + LOCK_FOR, permanent=False)
                network_locked = True
        return MailResult(address_locked=address_locked, network_locked=network_locked)

    def consecutive(self, uow: UnitOfWork, key: str) -> int:
        counter = self.store.get(uow, key)
        return counter.consecutive if counter is not None else 0

    def record_success(self, uow: UnitOfWork, account_key: str) -> None:
        self.store.clear(uow, account_key)

    def clear(self, uow: UnitOfWork, account_key: str) -> None:
        """A password reset opens the account again."""
        self.store.clear(uow, account_key)


def throttle_for(runtime: Runtime) -> Throttle:
    """The throttle over the configured store: Redis when ``AMANAT_REDIS_URL`` is set,
    else the database (in the caller's transaction)."""
    url = runtime.settings.redis_url
    if url:
        from amanat.accounts.redis_throttle import RedisThrottleStore

        # One client (and its connection pool) per process, not one per sign-in.
        return Throttle(runtime.part(RedisThrottleStore, lambda _: RedisThrottleStore.for_url(url)))
    return Throttle(DatabaseThrottleStore())
