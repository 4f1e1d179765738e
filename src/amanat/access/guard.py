"""The guard decides, records, and only then decrypts.

    access = guard.open(uow, actor, customer_id, "support", reads={"identity.name"},
                        reference="T-1042")
    name = access.read("customers", "name_ct", customer.id, "identity.name", customer.name_ct)

``open`` checks the policy (the actor's role may act for the purpose; the purpose may
read and write the categories asked for), writes the audit event in the caller's
transaction and returns an ``Access``: the only object in Amanat that can turn a
ciphertext into a value or a value into a ciphertext, and only for the categories it was
opened for. A refusal is recorded in a transaction of its own (so it survives the
caller's rollback) and raised as Forbidden naming the role and purpose.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from amanat.access.actor import Actor
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.clock import Clock
from amanat.core.errors import Forbidden
from amanat.db.uow import UnitOfWork
from amanat.policy.model import Policy
from amanat.vault.api import FieldCipher


class AccessDenied(Forbidden):
    """The policy does not allow this actor this purpose or these categories."""


@dataclass(frozen=True)
class Access:
    """A grant: read and write the named categories of one customer for one purpose."""

    actor: Actor
    customer_id: str
    purpose: str
    readable: frozenset[str]
    writable: frozenset[str]
    masked: frozenset[str]
    _cipher: FieldCipher

    def read(
        self, table: str, column: str, row_id: str, category: str, ciphertext: bytes | None
    ) -> str | None:
        if category not in self.readable:
            raise AccessDenied(f"This access for '{self.purpose}' was not opened for {category}.")
        if ciphertext is None:
            return None
        return self._cipher.decrypt(self.customer_id, table, column, row_id, ciphertext)

    def write(self, table: str, column: str, row_id: str, category: str, value: str) -> bytes:
        if category not in self.writable:
            raise AccessDenied(f"This access for '{self.purpose}' may not write {category}.")
        return self._cipher.encrypt(self.customer_id, table, column, row_id, value)

    def is_masked(self, category: str) -> bool:
        return category in self.masked


class Guard:
    def __init__(
        self,
        policy: Policy,
        cipher: FieldCipher,
        clock: Clock,
        session_factory: sessionmaker[Session],
    ) -> None:
        self.policy = policy
        self._cipher = cipher
        self.clock = clock
        self._session_factory = session_factory

    def open(
        self,
        uow: UnitOfWork,
        actor: Actor,
        customer_id: str,
        purpose: str,
        *,
        reads: Iterable[str] = (),
        writes: Iterable[str] = (),
        reference: str | None = None,
    ) -> Access:
        """Decide, audit in ``uow``'s transaction, and return the grant; or raise AccessDenied.

        Callers: every service that touches personal data. Records access.granted (or
        access.denied in its own transaction). Raises AccessDenied.
        """
        reads, writes = frozenset(reads), frozenset(writes)
        refusal = self._refusal(actor, customer_id, purpose, reads, writes)
        if refusal is not None:
            self._record_denial(actor, customer_id, purpose, reads | writes, reference, refusal)
            raise AccessDenied(refusal)
        audit.record(
            uow, self.clock, Event.ACCESS_GRANTED, actor,
            customer_id=customer_id, purpose=purpose, categories=reads | writes,
            reference=reference, outcome="allowed",
            details={"reads": sorted(reads), "writes": sorted(writes)},
        )  # fmt: skip
        policy_purpose = self.policy.purpose(purpose)
        return Access(
            actor=actor,
            customer_id=customer_id,
            purpose=purpose,
            readable=reads,
            writable=writes,
            masked=frozenset(policy_purpose.masked) & reads,
            _cipher=self._cipher,
        )

    def blind_index(self, category: str, normalised_value: str) -> bytes:
        """The keyed index of a value, for an exact-match lookup; reveals nothing by itself."""
        if not self.policy.category(category).searchable:
            raise ValueError(f"category {category} is not searchable")
        return self._cipher.blind_index(category, normalised_value)

    def _refusal(
        self,
        actor: Actor,
        customer_id: str,
        purpose: str,
        reads: frozenset[str],
        writes: frozenset[str],
    ) -> str | None:
        policy = self.policy
        if actor.role not in policy.role_ids:
            return f"The role '{actor.role}' is not in the policy."
        if purpose not in policy.purpose_ids:
            return f"The purpose '{purpose}' is not in the policy."
        role = policy.role(actor.role)
        if purpose not in role.purposes:
            return f"The role '{actor.role}' may not act for the purpose '{purpose}'."
        if actor.kind == "customer" and actor.id != customer_id:
            return "A customer may act only on their own data."
        declared = policy.purpose(purpose)
        extra_reads = sorted(reads - set(declared.reads))
        if extra_reads:
            return f"The purpose '{purpose}' may not read {', '.join(extra_reads)}."
        extra_writes = sorted(writes - set(declared.writes))
        if extra_writes:
            return f"The purpose '{purpose}' may not write {', '.join(extra_writes)}."
        return None

    def _record_denial(
        self,
        actor: Actor,
        customer_id: str,
        purpose: str,
        categories: frozenset[str],
        reference: str | None,
        reason: str,
    ) -> None:
        with UnitOfWork(self._session_factory) as denial:
            audit.record(
                denial, self.clock, Event.ACCESS_DENIED, actor,
                customer_id=customer_id, purpose=purpose, categories=categories,
                reference=reference, outcome="denied", details={"reason": reason},
            )  # fmt: skip
            denial.commit()
