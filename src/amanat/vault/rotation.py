"""Key rotation, online: in batches, resumable after a crash, never encrypting twice.

Master rotation (``amanat keys rotate --master``) adds a master version and rewraps every
data key and root key under it. Each batch is one key-store transaction that moves keys
from an older version to the new one with a compare-and-set on the version, so a crash
leaves every key under either version (both of which the provider still holds) and a
re-run sees keys below the current version and finishes them instead of adding another.

Customer-key rotation (``amanat keys rotate --customer-keys``) gives every key owner a
new data key and re-encrypts their fields under it:

1. a job row in the key store records when the rotation started; each owner whose active
   key is older gets a new generation, which retires the old one (it still decrypts);
2. every encrypted column (discovered from the models) is scanned in primary-key order;
   a value whose header names another key than its owner's active one is decrypted and
   re-encrypted, written with a compare-and-set on the old ciphertext, so a concurrent
   write wins and nothing is encrypted twice;
3. once the retired keys are older than the key cache's maximum age (no process can still
   encrypt under them), a last sweep re-encrypts stragglers and the retired keys that no
   value names any more are deleted; then the job row goes.

A re-run after a crash resumes at whichever step it reached.

These are the mechanics; amanat.governance.service runs them for the CLI and records the
vault.* audit events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import and_, bindparam, select, update

from amanat.vault import keystore_jobs
from amanat.vault.api import VaultError
from amanat.vault.datakeys import dek_aad, root_aad
from amanat.vault.discovery import EncryptedTable, encrypted_tables
from amanat.vault.holds import HOLD_PREFIX

if TYPE_CHECKING:
    from amanat.core.clock import Clock
    from amanat.db.uow import UnitOfWork
    from amanat.policy.model import Policy
    from amanat.vault.cipher import Vault

Progress = Callable[[str, int, int], None]
"""Called with (phase description, done so far, total) after every batch."""

CUSTOMER_KEYS_JOB = "customer-keys"


def _quiet(_phase: str, _done: int, _total: int) -> None:
    return None


@dataclass
class MasterRotationReport:
    version: int
    resumed: bool
    rewrapped: int


# Between batches, rotation pauses this long so that the servers' own writes get the lock
# (SQLite has one writer at a time; waiting writers poll, and a busy loop would starve them).
PAUSE = 0.001


def rotate_master(
    vault: Vault, *, batch_size: int = 2000, progress: Progress = _quiet, pause: float = PAUSE
) -> MasterRotationReport:
    """Add a master version (unless resuming one) and rewrap every key under it.

    Callers: governance (`amanat keys rotate --master`), which records
    vault.master_rotated. Safe while servers run: they keep unwrapping older versions
    and wrap new keys under the newest one. Raises ConfigError when the provider cannot add a version (the
    operator adds it, e.g. to AMANAT_MASTER_KEY) or the key store is not set up.
    """
    store, master = vault.keystore, vault.master
    store.check_schema()
    current = master.current_version()
    resumed = keystore_jobs.count_below(store, current) > 0 or bool(
        keystore_jobs.root_keys_below(store, current)
    )
    target = current if resumed else master.add_version()

    for name, old, wrapped in keystore_jobs.root_keys_below(store, target):
        plain = master.unwrap(old, wrapped, root_aad(name))
        version, rewrapped = master.wrap(plain, root_aad(name))
        keystore_jobs.rewrap_root(store, name, old, version, rewrapped)

    total = keystore_jobs.count_below(store, target)
    done = 0
    progress("Rewrapping data keys", done, total)
    while True:  # a second pass picks up keys a concurrent writer wrapped under the old one
        after, moved_in_pass = 0, 0
        while rows := keystore_jobs.keys_below(store, target, after, batch_size):
            changes = []
            for key_id, owner, old, wrapped in rows:
                aad = dek_aad(owner, key_id)
                version, rewrapped = master.wrap(master.unwrap(old, wrapped, aad), aad)
                changes.append((key_id, old, version, rewrapped))
            moved = keystore_jobs.rewrap(store, changes)
            moved_in_pass += moved
            done += moved
            after = rows[-1][0]
            progress("Rewrapping data keys", done, max(total, done))
            time.sleep(pause)
        if moved_in_pass == 0 or keystore_jobs.count_below(store, target) == 0:
            break

    return MasterRotationReport(version=target, resumed=resumed, rewrapped=done)


@dataclass
class CustomerKeysReport:
    resumed: bool
    new_keys: int = 0
    reencrypted: int = 0
    keys_deleted: int = 0
    keys_kept: int = 0
    unreadable: int = 0
    by_table: dict[str, int] = field(default_factory=dict)
    waiting: bool = False
    """True when retired keys were kept for the caches to expire and the job stays open."""


def rotate_customer_keys(
    vault: Vault,
    new_uow: Callable[[], UnitOfWork],
    clock: Clock,
    policy: Policy,
    *,
    batch_size: int = 500,
    progress: Progress = _quiet,
    tables: Sequence[EncryptedTable] | None = None,
    wait: bool = True,
    pause: float = PAUSE,
) -> CustomerKeysReport:
    """Give every key owner a new data key and re-encrypt their fields under it.

    Callers: governance (`amanat keys rotate --customer-keys`), which records
    vault.customer_keys_rotated unless the report is ``waiting`` and then calls
    ``finish_customer_keys``. Safe while servers run (see the module docstring for why).
    Each batch is its own unit of work from ``new_uow``, committed here (a batch job).
    With ``wait`` False, retired keys younger than the cache age are kept and the job
    stays open (``waiting``): the next run removes them.
    """
    store = vault.keystore
    store.check_schema()
    found = list(tables) if tables is not None else encrypted_tables(policy)
    resumed = keystore_jobs.job(store, CUSTOMER_KEYS_JOB) is not None
    started = keystore_jobs.start_job(store, CUSTOMER_KEYS_JOB, clock.now())
    report = CustomerKeysReport(resumed=resumed)

    # 1. new keys
    after = ""
    while owners := keystore_jobs.owners_needing_new_keys(store, started, after, batch_size):
        for owner in owners:
            generation = 1 + max(k.generation for k in store.keys_of(owner))
            if vault.new_data_key(owner, generation=generation) is not None:
                report.new_keys += 1
        after = owners[-1]
        progress("New data keys", report.new_keys, report.new_keys)

    # 2. re-encrypt
    _sweep(vault, new_uow, found, batch_size, progress, report, pause)

    # 3. retire for good once no cache anywhere can still encrypt under the old keys
    retired = keystore_jobs.retired_keys(store)
    if retired:
        youngest = max(at for _, at in retired)
        remaining = youngest.timestamp() + vault.cache_seconds - clock.now().timestamp()
        if remaining > 0:
            if not wait:
                report.keys_kept = len(retired)
                report.waiting = True
                return report
            progress(f"Waiting {remaining:.0f} s for key caches to expire", 0, 1)
            time.sleep(remaining)
        referenced = _sweep(vault, new_uow, found, batch_size, progress, report, pause)
        unused = [key_id for key_id, _ in retired if key_id not in referenced]
        report.keys_deleted = store.delete_keys(unused)
        report.keys_kept = len(retired) - report.keys_deleted
        for key_id in unused:
            vault.evict_key(key_id)

    return report


def finish_customer_keys(vault: Vault, report: CustomerKeysReport) -> None:
    """Close the rotation job once no retired key is kept (after its audit event)."""
    if report.keys_kept == 0:
        keystore_jobs.finish_job(vault.keystore, CUSTOMER_KEYS_JOB)


def _sweep(
    vault: Vault,
    new_uow: Callable[[], UnitOfWork],
    found: Sequence[EncryptedTable],
    batch_size: int,
    progress: Progress,
    report: CustomerKeysReport,
    pause: float,
) -> set[int]:
    """Re-encrypt every value not under its owner's active key; return the key ids seen."""
    referenced: set[int] = set()
    for item in found:
        table, pk, owner = item.table, item.primary_key, item.owner
        label = f"Re-encrypting {table.name}"
        done, last = 0, None
        while True:
            query = select(pk, owner, *item.encrypted).order_by(pk).limit(batch_size)
            if last is not None:
                query = query.where(pk > last)
            with new_uow() as uow:
                rows = uow.session.execute(query).all()
                if not rows:
                    break
                # A column under a legal hold is encrypted under the owner's hold key.
                owner_prefix = {
                    c.name: HOLD_PREFIX if vault.is_held(table.name, c.name) else ""
                    for c in item.encrypted
                }
                active = keystore_jobs.active_key_ids(
                    vault.keystore,
                    (
                        owner_prefix[c.name] + str(r[1])
                        for r in rows
                        if r[1]
                        for c in item.encrypted
                    ),
                )
                changes: dict[str, list[dict[str, object]]] = {}
                for row in rows:
                    row_id, owner_id = str(row[0]), row[1]
                    for column, value in zip(item.encrypted, row[2:], strict=True):
                        if value is None or owner_id is None:
                            continue
                        key_id = vault.key_id_of(bytes(value))
                        current = active.get(owner_prefix[column.name] + str(owner_id))
                        if key_id is not None:
                            referenced.add(key_id)
                        if key_id is None or current is None or key_id == current:
                            # None: not ciphertext, or an erased owner (nothing to rotate)
                            report.unreadable += key_id is None
                            continue
                        try:
                            plain = vault.decrypt(
                                str(owner_id), table.name, column.name, row_id, bytes(value)
                            )
                        except VaultError:
                            report.unreadable += 1  # left as it is; `amanat doctor` reports
                            continue
                        new = vault.encrypt(str(owner_id), table.name, column.name, row_id, plain)
                        referenced.add(int.from_bytes(new[1:5], "big"))
                        changes.setdefault(column.name, []).append(
                            {"b_pk": row[0], "b_old": value, "b_new": new}
                        )
                for column_name, params in changes.items():
                    column = table.columns[column_name]
                    result = uow.session.connection().execute(
                        update(table)
                        .where(and_(pk == bindparam("b_pk"), column == bindparam("b_old")))
                        .values({column_name: bindparam("b_new")}),
                        params,
                    )
                    report.reencrypted += result.rowcount
                    report.by_table[table.name] = (
                        report.by_table.get(table.name, 0) + result.rowcount
                    )
                uow.commit()
            last = rows[-1][0]
            done += len(rows)
            progress(label, done, done)
            time.sleep(pause)
    return referenced
