"""Warming a batch's data keys: one key-store query, then reads and writes need none."""

from __future__ import annotations

from typing import Any

import pytest

from amanat.runtime import Runtime
from amanat.vault.api import KeyDestroyed

OWNERS = [f"{i:032x}" for i in range(1, 6)]


def _count_key_store_reads(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Spy on the key store's single-key look-ups (the real methods still run)."""
    calls = {"active_key": 0, "key_by_id": 0}
    keystore = runtime.vault.keystore
    for name in calls:
        real = getattr(keystore, name)

        def counted(*args: Any, _real: Any = real, _name: str = name) -> Any:
            calls[_name] += 1
            return _real(*args)

        monkeypatch.setattr(keystore, name, counted)
    return calls


def test_warm_loads_a_batch_of_keys_so_reads_and_writes_query_the_key_store_no_more(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = {
        owner: runtime.vault.encrypt(owner, "customers", "name_ct", owner, f"Canary {owner[-2:]}")
        for owner in OWNERS
    }
    runtime.vault.clear_cache()
    calls = _count_key_store_reads(runtime, monkeypatch)

    assert runtime.vault.warm(OWNERS) == len(OWNERS)

    for owner, ciphertext in stored.items():
        plain = runtime.vault.decrypt(owner, "customers", "name_ct", owner, ciphertext)
        assert plain == f"Canary {owner[-2:]}"
        runtime.vault.encrypt(owner, "customers", "name_ct", owner, "Canary again")
    assert calls == {"active_key": 0, "key_by_id": 0}
    assert runtime.vault.warm(OWNERS) == 0  # already cached: no query at all


def test_warm_makes_no_key_for_an_owner_without_one_and_cannot_revive_a_destroyed_one(
    runtime: Runtime,
) -> None:
    erased, newcomer = OWNERS[0], OWNERS[1]
    ciphertext = runtime.vault.encrypt(erased, "customers", "name_ct", erased, "Canary")
    runtime.vault.destroy_customer_key(erased)

    assert runtime.vault.warm([erased, newcomer]) == 0
    assert runtime.vault.keystore.active_key(newcomer) is None
    with pytest.raises(KeyDestroyed):
        runtime.vault.decrypt(erased, "customers", "name_ct", erased, ciphertext)
