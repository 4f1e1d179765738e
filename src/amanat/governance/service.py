"""Governance's use cases: the platform's operator tools and transparency reads.

Each verb opens what it needs on the runtime, calls the vault's or the audit log's
mechanics (which know nothing of the runtime) and records the audit event in the same
unit of work as the change it reports. The CLI (`amanat keys|audit ...`), `amanat init`
and the access-log pages call these.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import column, select, table

from amanat.access.log import access_log
from amanat.access.schemas import AccessLogOut
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.audit.export import export_lines
from amanat.audit.verify import VerifyReport, verify_chain
from amanat.core.actor import Actor
from amanat.db.uow import UnitOfWork
from amanat.disclosure import service as disclosure
from amanat.vault import erasure, rotation
from amanat.vault.discovery import EncryptedTable
from amanat.vault.master import FileMasterKeys
from amanat.vault.rotation import CustomerKeysReport, MasterRotationReport, Progress
from amanat.vault.service import KeyStatus
from amanat.vault.service import key_status as vault_key_status
from amanat.vault.signing import AuditSigner

if TYPE_CHECKING:
    from amanat.registration import InitReport
    from amanat.runtime import Runtime


def _quiet(_phase: str, _done: int, _total: int) -> None:
    return None


# --- amanat init -----------------------------------------------------------------------


def init_keys(runtime: Runtime, report: InitReport) -> None:
    """Init step: key directory (0700), master key file (0600), key store, root key.

    Idempotent: an existing master key file or key store is never replaced (replacing
    either would make every stored field unreadable). Then replays the erasure ledger,
    so that `amanat init` after a restore never brings erased data back.
    """
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


def init_audit(runtime: Runtime, report: InitReport) -> None:
    """Init step: the Ed25519 checkpoint signing key in the key store (idempotent)."""
    if AuditSigner(runtime.vault).ensure_key():
        report.created.append("audit checkpoint signing key (Ed25519)")
    else:
        report.unchanged.append("audit checkpoint signing key (Ed25519)")


# --- amanat keys -----------------------------------------------------------------------


def key_status(runtime: Runtime) -> KeyStatus:
    """Key versions, ages and counts for `amanat keys status`; reads only."""
    return vault_key_status(runtime.vault)


def replay_erasures(runtime: Runtime) -> erasure.ReplayReport:
    """Bring both erasure ledgers to their union (see amanat.vault.erasure).

    Callers: `amanat init`, `amanat keys replay-erasures`. Records vault.erasures_replayed
    (ids counted, not listed) when something changed, and commits.
    """
    with runtime.uow() as uow:
        report = erasure.replay_erasures(
            uow, runtime.vault, runtime.policy, runtime.hooks.erasure_hooks
        )
        if report.changed:
            audit.record(
                uow, runtime.clock, Event.VAULT_ERASURES_REPLAYED, Actor.system("replay-erasures"),
                details={
                    "keys_destroyed_again": len(report.keys_destroyed_again),
                    "ledger_restored": len(report.ledger_restored),
                },
            )  # fmt: skip
            uow.commit()
    return report


def rotate_master(
    runtime: Runtime,
    *,
    batch_size: int = 2000,
    progress: Progress = _quiet,
    pause: float = rotation.PAUSE,
) -> MasterRotationReport:
    """Add a master version and rewrap every key under it; records vault.master_rotated.

    Callers: `amanat keys rotate --master`. Safe while servers run (amanat.vault.rotation).
    """
    report = rotation.rotate_master(
        runtime.vault, batch_size=batch_size, progress=progress, pause=pause
    )
    with runtime.uow() as uow:
        audit.record(
            uow, runtime.clock, Event.VAULT_MASTER_ROTATED, Actor.system("keys-rotate"),
            details={
                "master_version": report.version,
                "rewrapped": report.rewrapped,
                "resumed": report.resumed,
            },
        )  # fmt: skip
        uow.commit()
    return report


def rotate_customer_keys(
    runtime: Runtime,
    *,
    batch_size: int = 500,
    progress: Progress = _quiet,
    tables: Sequence[EncryptedTable] | None = None,
    wait: bool = True,
    pause: float = rotation.PAUSE,
) -> CustomerKeysReport:
    """Give every key owner a new data key and re-encrypt their fields under it.

    Callers: `amanat keys rotate --customer-keys`. Records vault.customer_keys_rotated
    when the job completes (with ``wait`` False it may stay open; see the mechanics).
    """
    report = rotation.rotate_customer_keys(
        runtime.vault, runtime.uow, runtime.clock, runtime.policy,
        batch_size=batch_size, progress=progress, tables=tables, wait=wait, pause=pause,
    )  # fmt: skip
    if report.waiting:
        return report
    with runtime.uow() as uow:
        audit.record(
            uow, runtime.clock, Event.VAULT_CUSTOMER_KEYS_ROTATED, Actor.system("keys-rotate"),
            details={
                "new_keys": report.new_keys,
                "reencrypted": report.reencrypted,
                "keys_deleted": report.keys_deleted,
                "resumed": report.resumed,
            },
        )  # fmt: skip
        uow.commit()
    rotation.finish_customer_keys(runtime.vault, report)
    return report


# --- amanat audit ----------------------------------------------------------------------


def verify(runtime: Runtime, advance: Callable[[int], None] | None = None) -> VerifyReport:
    """Check every event's hash, link and signed checkpoint (`amanat audit verify`)."""
    return verify_chain(runtime.engine, AuditSigner(runtime.vault).verify, advance)


def export(runtime: Runtime, since: date) -> Iterator[str]:
    """JSON lines of every event from ``since`` on, with the chain's public key."""
    return export_lines(runtime.engine, since, AuditSigner(runtime.vault).public_key_hex)


def checkpoint_now(uow: UnitOfWork, runtime: Runtime) -> int | None:
    """Sign the chain's head now; the sequence number signed, None when the log is empty."""
    return audit.checkpoint_now(uow, runtime.clock, AuditSigner(runtime.vault))


# --- who saw my data -------------------------------------------------------------------

# The staff table's id and display number, read by name. TODO(issue 11, part B): call
# the staff domain's public ``display_names`` once it exists, instead of this read.
_STAFF = table("staff_members", column("id"), column("number"))


def staff_numbers(uow: UnitOfWork, ids: Collection[str]) -> dict[str, int]:
    """Display number of each staff id in ``ids`` (missing ids are left out)."""
    if not ids:
        return {}
    query = select(_STAFF.c.id, _STAFF.c.number).where(_STAFF.c.id.in_(list(ids)))
    return {str(row[0]): int(row[1]) for row in uow.session.execute(query)}


def my_access_log(uow: UnitOfWork, runtime: Runtime, actor: Actor) -> AccessLogOut:
    """The signed-in customer's own access log; staff shown by role and number. A
    disclosure under a non-disclosure order stays out of it until the order ends."""
    withheld = disclosure.withheld_references(uow, actor.id, runtime.clock.now().date())
    return access_log(uow, runtime.policy, actor, staff_numbers, withheld=withheld)
