"""The vault's use cases for operators: set up the key store, report on it.

Rotation lives in amanat.vault.rotation and the erasure ledger's replay in
amanat.vault.erasure; the CLI (`amanat keys ...`) calls these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from amanat.vault.master import FileMasterKeys

if TYPE_CHECKING:
    from amanat.registration import InitReport
    from amanat.runtime import Runtime


def init_keys(runtime: Runtime, report: InitReport) -> None:
    """Init step: key directory (0700), master key file (0600), key store, root key.

    Idempotent: an existing master key file or key store is never replaced (replacing
    either would make every stored field unreadable). Then replays the erasure ledger,
    so that `amanat init` after a restore never brings erased data back.
    """
    from amanat.vault.erasure import replay_erasures

    settings, vault = runtime.settings, runtime.vault
    key_dir = settings.resolved_key_dir
    if not key_dir.exists():
        key_dir.mkdir(parents=True, mode=0o700)
        report.created.append(f"key directory {key_dir}")
    if isinstance(vault.master, FileMasterKeys):
        if vault.master.create():
            report.created.append(f"master key file {vault.master.path}")
        else:
            report.unchanged.append(f"master key file {vault.master.path}")
    else:
        report.unchanged.append(f"master key from {vault.master.name}")
    where = vault.keystore.where
    if vault.keystore.create_schema():
        report.created.append(f"key store {where}")
    else:
        report.unchanged.append(f"key store {where}")
    if vault.ensure_root_key():
        report.created.append("blind-index and token root key")
    replayed = replay_erasures(runtime)
    if replayed.changed:
        report.created.append(f"erasure ledger replayed ({replayed.summary()})")


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


def key_status(runtime: Runtime) -> KeyStatus:
    """Key versions, ages and counts for `amanat keys status`; reads only."""
    vault = runtime.vault
    vault.keystore.check_schema()
    counts = vault.keystore.wrapped_counts()
    current = vault.master.current_version()
    versions = [
        MasterVersionStatus(v.version, v.created_at, counts.get(v.version, 0), v.version == current)
        for v in vault.master.versions()
    ]
    active, retired, oldest = vault.keystore.key_stats()
    return KeyStatus(
        provider=vault.master.name,
        store=vault.keystore.where,
        master_versions=versions,
        active_data_keys=active,
        retired_data_keys=retired,
        oldest_active_key=oldest,
        erasures=len(vault.keystore.ledger()),
    )
