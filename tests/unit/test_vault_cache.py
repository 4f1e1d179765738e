"""The data-key cache is bounded and forgets entries after its maximum age."""

from __future__ import annotations

import time

import pytest

from amanat.vault.cache import ExpiringCache


def test_the_cache_never_holds_more_than_its_bound_and_drops_the_oldest_first() -> None:
    cache: ExpiringCache[int, str] = ExpiringCache(max_entries=3, max_age=60)
    for i in range(5):
        cache.put(i, f"key {i}")
    assert len(cache) == 3
    assert [cache.get(i) for i in range(5)] == [None, None, "key 2", "key 3", "key 4"]


def test_an_entry_older_than_the_maximum_age_is_gone() -> None:
    cache: ExpiringCache[str, str] = ExpiringCache(max_entries=10, max_age=0.05)
    cache.put("a", "key")
    assert cache.get("a") == "key"
    time.sleep(0.06)
    assert cache.get("a") is None
    assert len(cache) == 0


def test_discard_where_evicts_every_entry_of_one_owner() -> None:
    cache: ExpiringCache[int, tuple[str, int]] = ExpiringCache(max_entries=10, max_age=60)
    for i, owner in enumerate(["alice", "bob", "alice"]):
        cache.put(i, (owner, i))
    assert cache.discard_where(lambda entry: entry[0] == "alice") == 2
    assert [cache.get(i) for i in range(3)] == [None, ("bob", 1), None]


def test_a_cache_without_room_or_age_is_refused() -> None:
    with pytest.raises(ValueError):
        ExpiringCache(max_entries=0, max_age=1)
    with pytest.raises(ValueError):
        ExpiringCache(max_entries=1, max_age=0)
