"""Replaying the erasure ledger after a restore, so that a restore never un-erases anyone.

The ledger has two copies: the key store's ``erasures`` table and the main database's
``erasure_ledger``. ``destroy_customer_key`` writes both. A restore from backup rolls one
of them back:

* an older **key store** (ledger entries missing there, data keys back): the keys of every
  customer in the database's ledger are destroyed again;
* an older **database** (ledger entries missing there, blind indexes back): the entries
  are copied forward and the customer's blind-index values cleared again, then every
  erasure hook of ``runtime.hooks`` runs for them (a domain declares one in its
  ``Domain`` to clear what else its erasure cleared, e.g. password hashes and
  second-factor secrets).

Both ledgers also hold ``hold:<customer id>`` entries: legal-hold keys destroyed when
their hold expired (amanat.vault.holds). They replay the same way; a customer's own
entry never touches their hold key, which erasure spares.

Run through amanat.governance.service by ``amanat init`` (the documented step after any
restore) and by ``amanat keys replay-erasures``; governance records
vault.erasures_replayed and commits. Idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from amanat.db.uow import UnitOfWork
from amanat.vault.discovery import encrypted_tables
from amanat.vault.holds import is_hold_owner
from amanat.vault.models import ErasureLedger

if TYPE_CHECKING:
    from amanat.policy.model import Policy
    from amanat.vault.cipher import Vault

ReplayHook = Callable[[UnitOfWork, str, datetime], None]
"""Called with (unit of work, erased key owner, when it was erased); must be idempotent."""


@dataclass
class ReplayReport:
    keys_destroyed_again: list[str] = field(default_factory=list)
    ledger_restored: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.keys_destroyed_again or self.ledger_restored)

    def summary(self) -> str:
        return (
            f"{len(self.keys_destroyed_again)} key owner(s) shredded again in the key store, "
            f"{len(self.ledger_restored)} erasure(s) re-applied to the database"
        )


def replay_erasures(
    uow: UnitOfWork, vault: Vault, policy: Policy, hooks: Sequence[ReplayHook]
) -> ReplayReport:
    """Bring both ledgers to their union and re-apply every erasure missing on either side.

    The key store's side is changed at once; the database's side in ``uow``, which the
    caller commits (amanat.governance.service.replay_erasures, with the audit event).
    """
    report = ReplayReport()
    store_ledger = vault.keystore.ledger()
    db_ledger = {
        row.customer_id: row.erased_at for row in uow.session.scalars(select(ErasureLedger))
    }
    for customer_id in sorted(db_ledger.keys() - store_ledger.keys()):
        vault.keystore.destroy(customer_id, db_ledger[customer_id])
        vault.evict_customer(customer_id)
        report.keys_destroyed_again.append(customer_id)
    # A ledger entry with keys beside it means a key store restored over a newer ledger.
    for customer_id in sorted(store_ledger.keys() & db_ledger.keys()):
        if vault.keystore.keys_of(customer_id):
            vault.keystore.destroy(customer_id, store_ledger[customer_id])
            vault.evict_customer(customer_id)
            report.keys_destroyed_again.append(customer_id)
    missing = sorted(store_ledger.keys() - db_ledger.keys())
    tables = encrypted_tables(policy) if missing else []
    for customer_id in missing:
        uow.session.add(ErasureLedger(customer_id=customer_id, erased_at=store_ledger[customer_id]))
        report.ledger_restored.append(customer_id)
        if is_hold_owner(customer_id):
            continue  # an expired legal hold: its key is all there was to destroy
        for found in tables:
            if found.blind_indexes:
                uow.session.execute(
                    update(found.table)
                    .where(found.owner == customer_id)
                    .values({c.name: None for c in found.blind_indexes})
                )
        for hook in hooks:
            hook(uow, customer_id, store_ledger[customer_id])
    return report
