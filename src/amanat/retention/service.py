"""Retention jobs (``amanat retention run``). Today: the end of legal holds.

An erased customer's invoices, certificates and tax profile stay readable under their
legal-hold key (amanat.vault.holds) for as long as the law keeps them. This job finds
every hold key whose customer was erased, works out when the hold ends from the policy
(the newest held record's tax year end plus ``keep``: six years under s.174) and, once
that moment has passed, destroys the key through the erasure ledger: the records become
as unreadable as the rest of the customer's data, and a restore cannot bring them back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.billing.service import newest_held_record
from amanat.core.actor import Actor
from amanat.vault.holds import hold_expires, subject_of

if TYPE_CHECKING:
    from amanat.runtime import Runtime

JOB = Actor.system("retention")


@dataclass
class HoldReport:
    expired: int = 0
    still_held: int = 0
    live_accounts: int = 0
    next_expiry: datetime | None = None
    expired_ids: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.expired} legal hold(s) expired and their keys destroyed, "
            f"{self.still_held} erased customer(s) still under a hold"
        )
        if self.next_expiry is not None:
            text += f" (the next ends {self.next_expiry.date().isoformat()})"
        return text + "."


def expire_legal_holds(runtime: Runtime) -> HoldReport:
    """Destroy the legal-hold key of every erased customer whose hold has ended.

    Callers: `amanat retention run` (daily, by the operator's scheduler). Reads the time
    from the runtime's clock. Records vault.legal_hold_expired per key destroyed (the
    customer id and the day the hold ended; nothing personal); the key store's ledger
    entry and the key's deletion are durable before the event commits, and
    ``amanat keys replay-erasures`` reconciles the main database's ledger copy should
    that commit fail. Idempotent. Raises ConfigError when the key store is not set up.
    """
    vault = runtime.vault
    vault.keystore.check_schema()
    now = runtime.clock.now()
    erased = vault.keystore.ledger()
    report = HoldReport()
    for owner in vault.keystore.hold_owners():
        customer_id = subject_of(owner)
        erased_at = erased.get(customer_id)
        if erased_at is None:
            report.live_accounts += 1  # a live account's records are kept by its own rules
            continue
        # One transaction per key: a batch job, each destruction durable on its own.
        with runtime.uow() as uow:
            newest = newest_held_record(uow, customer_id) or erased_at.date()
            ends = hold_expires(runtime.policy, newest, erased_at)
            if now < ends:
                report.still_held += 1
                if report.next_expiry is None or ends < report.next_expiry:
                    report.next_expiry = ends
                continue
            vault.destroy_customer_key(owner, uow)
            audit.record(
                uow, runtime.clock, Event.VAULT_LEGAL_HOLD_EXPIRED, JOB, customer_id=customer_id,
                details={"hold_ended": ends.date().isoformat()},
            )  # fmt: skip
            uow.commit()
        report.expired += 1
        report.expired_ids.append(customer_id)
    return report
