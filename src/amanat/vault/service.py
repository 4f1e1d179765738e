"""The key store's status report for operators (`amanat keys status`, doctor).

Setting up the key store is governance's init step; rotation lives in
amanat.vault.rotation and the erasure ledger's replay in amanat.vault.erasure, both
called through amanat.governance.service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from amanat.vault import keystore_jobs

if TYPE_CHECKING:
    from amanat.vault.cipher import Vault


@dataclass(frozen=True)
class MasterVersionStatus:
    version: int
    created_at: datetime | None
    wraps: int
    current: bool


@dataclass(frozen=True)
class KeyStatus:
    provider: str
    store: str
    master_versions: list[MasterVersionStatus]
    active_data_keys: int
    retired_data_keys: int
    oldest_active_key: datetime | None
    erasures: int


def key_status(vault: Vault) -> KeyStatus:
    """Key versions, ages and counts for `amanat keys status` and doctor; reads only."""
    vault.keystore.check_schema()
    counts = keystore_jobs.wrapped_counts(vault.keystore)
    current = vault.master.current_version()
    versions = [
        MasterVersionStatus(v.version, v.created_at, counts.get(v.version, 0), v.version == current)
        for v in vault.master.versions()
    ]
    active, retired, oldest = keystore_jobs.key_stats(vault.keystore)
    return KeyStatus(
        provider=vault.master.name,
        store=vault.keystore.where,
        master_versions=versions,
        active_data_keys=active,
        retired_data_keys=retired,
        oldest_active_key=oldest,
        erasures=len(vault.keystore.ledger()),
    )
