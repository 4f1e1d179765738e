"""Throttling: growing delays, then 15-minute waits and never a lock the owner cannot pass
(a hard lock at 100 is for second-factor codes only, which only a reset opens); counted in the database, or in Redis when configured (every worker sees the same count)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from amanat.accounts.throttle import (
    HARD_LOCK_AT,
    LOCK_FOR,
    MAIL_DAILY_LOCK,
    MAIL_NET_PER_WINDOW,
    MAIL_PER_WINDOW,
    MAIL_WINDOW,
    NET_LIMIT,
    DatabaseThrottleStore,
    Throttle,
    ThrottleStore,
)

REDIS_URL = os.environ.get("AMANAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """The local Redis, or a private redis-server started for these tests if none answers."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        yield REDIS_URL
        return
    except redis.RedisError:
        pass
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but neither Redis nor redis-server is available")
        pytest.skip("Redis is not reachable and redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _redis_store(url: str) -> ThrottleStore:
    from amanat.accounts.redis_throttle import RedisThrottleStore

    return RedisThrottleStore.for_url(url)


@pytest.fixture(params=["database", "redis"])
def throttle(request: pytest.FixtureRequest) -> Throttle:
    if request.param == "redis":
        return Throttle(_redis_store(request.getfixturevalue("redis_url")))
    return Throttle(DatabaseThrottleStore())


def test_wrong_passwords_delay_then_wait_15_minutes_but_never_lock_for_good(
    runtime: Any, throttle: Throttle
) -> None:
    """F-13: 100 wrong passwords used to lock the account until a reset."""
    account, network = f"acct:test:{uuid.uuid4().hex}", f"net:{uuid.uuid4().hex}"
    pair = f"acctnet:test:{uuid.uuid4().hex}"
    now = START
    waits: list[int] = []
    with runtime.uow() as uow:
        for attempt in range(1, HARD_LOCK_AT + 11):
            refusal = throttle.refusal(uow, now, [account, pair])
            if refusal is not None:
                waits.append(refusal.retry_after_seconds)
                assert not refusal.needs_reset
                now += timedelta(seconds=refusal.retry_after_seconds)
                assert throttle.refusal(uow, now, [account, pair]) is None
            result = throttle.record_failure(uow, now, account, f"{network}:{attempt}", pair)
            assert result.account_locked == (attempt == 10)
            assert not result.hard_locked
        # No delay for the first three failures; 2, 4, ... seconds; then 15-minute waits.
        assert waits[:6] == [2, 4, 8, 16, 32, 64]
        assert all(w == int(LOCK_FOR.total_seconds()) for w in waits[6:])
        assert throttle.consecutive(uow, pair) == HARD_LOCK_AT + 10
        refusal = throttle.refusal(uow, now, [account])
        assert refusal is not None and not refusal.needs_reset
        assert "from a device you have used before" in refusal.error().message
        assert throttle.refusal(uow, now + LOCK_FOR, [account, pair]) is None
        uow.commit()


def test_success_clears_the_consecutive_count(runtime: Any, throttle: Throttle) -> None:
    account, network = f"acct:test:{uuid.uuid4().hex}", f"net:{uuid.uuid4().hex}"
    with runtime.uow() as uow:
        for _ in range(3):
            throttle.record_failure(uow, START, account, network)
        assert throttle.consecutive(uow, account) == 3
        throttle.record_success(uow, account)
        assert throttle.consecutive(uow, account) == 0
        uow.commit()


def test_one_network_address_is_locked_after_50_failures_in_15_minutes(
    runtime: Any, throttle: Throttle
) -> None:
    network = f"net:{uuid.uuid4().hex}"
    with runtime.uow() as uow:
        for i in range(NET_LIMIT):
            result = throttle.record_failure(
                uow, START, f"acct:test:{i}:{uuid.uuid4().hex}", network
            )
        assert result.network_locked
        assert throttle.refusal(uow, START, [f"acct:other:{uuid.uuid4().hex}", network]) is not None
        assert throttle.refusal(uow, START + LOCK_FOR, [network]) is None
        uow.commit()


def test_the_count_is_shared_between_separate_store_instances(
    runtime: Any, throttle: Throttle, request: pytest.FixtureRequest
) -> None:
    """Two workers = two store objects over the same database or Redis: one count."""
    account, network = f"acct:test:{uuid.uuid4().hex}", f"net:{uuid.uuid4().hex}"
    if isinstance(throttle.store, DatabaseThrottleStore):
        other = Throttle(DatabaseThrottleStore())
    else:
        other = Throttle(_redis_store(request.getfixturevalue("redis_url")))
    with runtime.uow() as uow:
        throttle.record_failure(uow, START, account, network)
        uow.commit()
    with runtime.uow() as uow:
        other.record_failure(uow, START, account, network)
        assert throttle.consecutive(uow, account) == 2
        uow.commit()


def test_wrong_codes_follow_the_account_rule_and_a_hard_lock_needs_a_reset(
    runtime: Any, throttle: Throttle
) -> None:
    key = f"mfa:customer:{uuid.uuid4().hex}"
    now = START
    waits: list[int] = []
    with runtime.uow() as uow:
        for attempt in range(1, HARD_LOCK_AT + 1):
            refusal, _ = throttle.check(uow, now, [key], kind="mfa")
            if refusal is not None:
                waits.append(refusal.retry_after_seconds)
                assert "second-factor codes" in refusal.error().message
                now += timedelta(seconds=refusal.retry_after_seconds)
            result = throttle.record_code_failure(uow, now, key)
            assert result.account_locked == (attempt == 10)
            assert result.hard_locked == (attempt == HARD_LOCK_AT)
        assert waits[:6] == [2, 4, 8, 16, 32, 64]
        assert all(w == int(LOCK_FOR.total_seconds()) for w in waits[6:])
        refusal, consecutive = throttle.check(uow, now + timedelta(days=30), [key], kind="mfa")
        assert consecutive == HARD_LOCK_AT
        assert refusal is not None and refusal.needs_reset
        assert refusal.error().message == (
            "Too many wrong second-factor codes; reset your password by e-mail to sign in again."
        )
        throttle.clear(uow, key)
        assert throttle.check(uow, now + timedelta(days=30), [key], kind="mfa")[0] is None
        uow.commit()


def test_mail_for_one_address_three_per_window_then_one_a_day_from_the_tenth(
    runtime: Any, throttle: Throttle
) -> None:
    address = f"mail:{uuid.uuid4().hex}"
    now = START
    with runtime.uow() as uow:
        for sent in range(1, MAIL_PER_WINDOW + 1):
            assert throttle.check(uow, now, [address], "mail")[0] is None
            result = throttle.record_mail_request(uow, now, address, None)
            assert result.address_locked == (sent == MAIL_PER_WINDOW)
        refusal, _ = throttle.check(uow, now + timedelta(minutes=5), [address], "mail")
        assert refusal is not None
        assert refusal.retry_after_seconds == int((MAIL_WINDOW - timedelta(minutes=5)).seconds)
        assert refusal.error().message.startswith("Too many e-mails were requested")
        assert refusal.error().retry_after == refusal.retry_after_seconds
        # The window ends: three more. Keep asking, one window after another, to the tenth.
        for _ in range(7):
            now += MAIL_WINDOW + timedelta(seconds=1)
            assert throttle.check(uow, now, [address], "mail")[0] is None
            last = throttle.record_mail_request(uow, now, address, None)
        assert last.address_locked
        refusal, consecutive = throttle.check(uow, now + MAIL_WINDOW * 2, [address], "mail")
        assert consecutive == 10
        assert refusal is not None and "hours" in refusal.error().message
        assert throttle.check(uow, now + MAIL_DAILY_LOCK, [address], "mail")[0] is None
        uow.commit()


def test_mail_from_one_network_is_limited_across_addresses(
    runtime: Any, throttle: Throttle
) -> None:
    network = f"mailnet:{uuid.uuid4().hex}"
    with runtime.uow() as uow:
        for sent in range(1, MAIL_NET_PER_WINDOW + 1):
            result = throttle.record_mail_request(uow, START, f"mail:{uuid.uuid4().hex}", network)
            assert result.network_locked == (sent == MAIL_NET_PER_WINDOW)
            assert not result.address_locked
        fresh = f"mail:{uuid.uuid4().hex}"
        assert throttle.check(uow, START, [fresh, network], "mail")[0] is not None
        assert throttle.check(uow, START + LOCK_FOR, [fresh, network], "mail")[0] is None
        uow.commit()
