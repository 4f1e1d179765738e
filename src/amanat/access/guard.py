"""The guard decides, records, and only then decrypts.

    access = guard.open(uow, actor, customer_id, "support", reads={"identity.name"},
                        reference="T-1042")
    name = access.read("customers", "name_ct", customer.id, "identity.name", customer.name_ct)

``open`` checks, in order: the actor's role may act for the purpose; a customer acts only
on their own data; the purpose may read and write the categories asked for; a staff
member's security training is current; a break-glass purpose has a written reason; a
purpose that needs a reference (ticket, invoice, order) has a live one of that customer.
It then appends the audit event in the caller's transaction and returns an ``Access``:
the only object in Amanat that can turn a ciphertext into a value or a value into a
ciphertext, and only for the categories it was opened for.

``read_row`` is the same decision for a read of one row that needs nothing else: it runs
its own short transaction (decide, append, select, commit) and only then decrypts. When
the decision needs no database (training known current, no case reference, not
break-glass) that transaction is one pooled connection with driver-level statements,
which is what keeps a guarded read near the price of a plain select
(docs/performance.md); otherwise it is ``open`` in a unit of work.

A refusal rolls the caller's transaction back (a refused operation leaves nothing half
done), records access.denied in a transaction of its own, and raises AccessDenied
(403) naming the role and purpose and, where there is one, how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.orm import Session, sessionmaker

from amanat.access import training
from amanat.access.references import ReferenceChecker
from amanat.access.refusals import (
    REASON_MAX,
    REASON_MIN,
    REFERENCE_PATTERN,
    Refusal,
    Refusals,
    SessionOf,
)
from amanat.access.rows import decrypt_row, read_row_lean, row_select
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.core.clock import Clock
from amanat.core.errors import BadRequest, Forbidden
from amanat.db.uow import UnitOfWork
from amanat.policy.model import Policy
from amanat.vault.api import FieldCipher

__all__ = ["REASON_MAX", "REASON_MIN", "REFERENCE_PATTERN", "Access", "AccessDenied", "Guard"]


class _NeedsStore(Exception):
    """The decision has to read the database: ``read_row`` takes the unit-of-work path."""


def _no_store() -> Session:
    raise _NeedsStore


class AccessDenied(Forbidden):
    """The policy does not allow this actor this purpose or these categories."""

    def __init__(self, message: str, *, reason_code: str = "policy") -> None:
        super().__init__(message)
        self.reason_code = reason_code


@dataclass(frozen=True)
class Access:
    """A grant: read and write the named categories of one customer for one purpose."""

    actor: Actor
    customer_id: str
    purpose: str
    readable: frozenset[str]
    writable: frozenset[str]
    masked: frozenset[str]
    reference: str | None
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
        reference_checkers: Mapping[str, ReferenceChecker] | None = None,
    ) -> None:
        """Build the guard with the domains' reference checkers (none: every purpose that
        needs a reference is refused)."""
        self.policy = policy
        self._roles = {role.id: role for role in policy.roles}
        self._purposes = {purpose.id: purpose for purpose in policy.purposes}
        self._cipher = cipher
        self.clock = clock
        self._session_factory = session_factory
        self._engine: Engine = session_factory.kw["bind"]
        self._row_sql: dict[tuple[str, tuple[str, ...]], str] = {}
        self._refusals = Refusals(policy, clock, session_factory, reference_checkers)

    def register_reference_checker(self, kind: str, checker: ReferenceChecker) -> None:
        """Install the checker for references of ``kind`` (ticket, invoice, order)."""
        self._refusals.reference_checkers[kind] = checker

    @property
    def reference_kinds(self) -> frozenset[str]:
        return frozenset(self._refusals.reference_checkers)

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
        reason: str | None = None,
    ) -> Access:
        """Decide, audit in ``uow``'s transaction, and return the grant; or raise AccessDenied.

        Callers: every service that touches personal data; the caller must commit ``uow``
        for the record of the access to stand. Records access.granted, or
        access.break_glass for a break-glass purpose (its ``reason`` encrypted with the
        customer's key), or access.denied in its own transaction. Raises AccessDenied.
        """
        reads, writes = frozenset(reads), frozenset(writes)
        categories = reads | writes
        refusal = self._refusal(
            lambda: uow.session, actor, customer_id, purpose, reads, writes, reference, reason
        )
        if refusal is not None:
            self._record_denial(uow, actor, customer_id, purpose, categories, reference, refusal)
            raise AccessDenied(refusal.message, reason_code=refusal.code)
        declared = self._purposes[purpose]
        details: dict[str, object] = {"reads": sorted(reads), "writes": sorted(writes)}
        if declared.break_glass:
            details["note"] = True
        recorded = audit.record(
            uow, self.clock,
            Event.ACCESS_BREAK_GLASS if declared.break_glass else Event.ACCESS_GRANTED,
            actor, customer_id=customer_id, purpose=purpose, categories=categories,
            reference=reference, outcome="allowed", details=details,
        )  # fmt: skip
        if declared.break_glass:
            assert reason is not None  # _refusal demands it
            note_ct = self._cipher.encrypt(
                customer_id, "audit_notes", "note_ct", str(recorded.seq), reason.strip()
            )
            audit.attach_note(uow, recorded.seq, customer_id, note_ct)
        return self._grant(actor, customer_id, purpose, reads, writes, reference)

    def read_row(
        self,
        actor: Actor,
        customer_id: str,
        purpose: str,
        table: Table,
        row_id: str,
        columns: Mapping[str, str],
        *,
        reference: str | None = None,
        reason: str | None = None,
    ) -> tuple[Access, dict[str, str | None]] | None:
        """Decide, record and commit, then decrypt ``columns`` of one row; None if no such row.

        Callers: services that only read fields of one row (a staff view of a record),
        outside any unit of work: this runs and commits its own transaction. ``columns``
        maps each encrypted column of ``table`` to its category; the row is ``row_id``,
        and must be held for ``customer_id`` (its ``customer_id`` column; for
        ``customers``, its own id). Records access.granted or access.break_glass,
        committed before anything is decrypted, or access.denied in its own transaction;
        records nothing and returns None when that customer has no such row. Returns the
        grant (for masking) and the values by column. Raises AccessDenied.
        """
        reads = frozenset(columns.values())
        declared = self._purposes.get(purpose)
        if declared is None or not declared.break_glass:
            try:
                refusal = self._refusal(
                    _no_store, actor, customer_id, purpose, reads, frozenset(), reference, reason
                )
            except _NeedsStore:
                pass
            else:
                if refusal is not None:
                    self._append_denial(actor, customer_id, purpose, reads, reference, refusal)
                    raise AccessDenied(refusal.message, reason_code=refusal.code)
                row = self._read_row_lean(
                    actor, customer_id, purpose, table, row_id, columns, reference
                )
                return None if row is None else self._decrypt_row(
                    self._grant(actor, customer_id, purpose, reads, frozenset(), reference),
                    table, row_id, columns, row,
                )  # fmt: skip
        with UnitOfWork(self._session_factory) as uow:
            access = self.open(
                uow, actor, customer_id, purpose, reads=reads, reference=reference, reason=reason
            )
            found = (
                uow.session.connection()
                .execute(row_select(table, columns, row_id, customer_id))
                .first()
            )
            if found is None:
                return None  # leaving the block uncommitted: the access is not recorded
            uow.commit()
        return self._decrypt_row(access, table, row_id, columns, tuple(found))

    def _read_row_lean(
        self,
        actor: Actor,
        customer_id: str,
        purpose: str,
        table: Table,
        row_id: str,
        columns: Mapping[str, str],
        reference: str | None,
    ) -> tuple[Any, ...] | None:
        return read_row_lean(
            self._engine, self._session_factory, self.clock, self._row_sql,
            actor, customer_id, purpose, table, row_id, columns, reference,
        )  # fmt: skip

    _decrypt_row = staticmethod(decrypt_row)

    def _grant(
        self,
        actor: Actor,
        customer_id: str,
        purpose: str,
        reads: frozenset[str],
        writes: frozenset[str],
        reference: str | None,
    ) -> Access:
        return Access(
            actor=actor,
            customer_id=customer_id,
            purpose=purpose,
            readable=reads,
            writable=writes,
            masked=frozenset(self._purposes[purpose].masked) & reads,
            reference=reference,
            _cipher=self._cipher,
        )

    def purposes_of(self, actor: Actor) -> list[str]:
        """The purposes the actor's role may act for, in policy order (empty if unknown)."""
        if actor.role not in self.policy.role_ids:
            return []
        return list(self.policy.role(actor.role).purposes)

    def refuse_unnamed_purpose(
        self, uow: UnitOfWork, actor: Actor, customer_id: str | None
    ) -> BadRequest:
        """Record a read attempted without naming a purpose; return the 400 to raise.

        Callers: edges that take the purpose from the caller (X-Access-Purpose, a form).
        Records access.denied (reason purpose_missing) in its own transaction.
        """
        self._record_denial(
            uow, actor, customer_id, "", frozenset(), None,
            Refusal("purpose_missing", "no purpose named"),
        )  # fmt: skip
        return BadRequest(
            "Name the purpose of this read in the X-Access-Purpose header; the role "
            f"'{actor.role}' may act for: {', '.join(self.purposes_of(actor)) or 'nothing'}."
        )

    def blind_index(self, category: str, normalised_value: str) -> bytes:
        """The keyed index of a value, for an exact-match lookup; reveals nothing by itself."""
        if not self.policy.category(category).searchable:
            raise ValueError(f"category {category} is not searchable")
        return self._cipher.blind_index(category, normalised_value)

    def training_status(self, session: Session, actor: Actor) -> training.TrainingStatus:
        """The actor's training state in their role (for pages and `staff list`)."""
        return training.training_status(
            session, self.policy.role(actor.role), actor.id, self.clock.now().date()
        )

    def check_role(self, uow: UnitOfWork, actor: Actor, purpose: str) -> None:
        """Before a lookup by identifier: may this actor act for ``purpose`` at all?

        Checks role, purpose and training only (no customer yet). Records access.denied
        and raises AccessDenied when not; records nothing when it may (``open`` follows).
        """
        refusal = self._role_refusal(lambda: uow.session, actor, purpose)
        if refusal is not None:
            self._record_denial(uow, actor, None, purpose, frozenset(), None, refusal)
            raise AccessDenied(refusal.message, reason_code=refusal.code)

    def check_route(self, actor: Actor, purposes: tuple[str, ...]) -> None:
        """At a staff route's door: may the actor's role act for one of ``purposes``?

        Callers: ``StaffFor`` (accounts/deps.py) before the route runs. An empty
        ``purposes`` means the caller names the purpose with the request: any role the
        policy gives a purpose passes, and ``open`` decides the one named. Role and
        purpose only (training, categories and references are decided by ``open``).
        Records access.denied (reason role_lacks_purpose) in its own transaction and
        raises AccessDenied when not; records nothing when it may.
        """
        role = self._roles.get(actor.role)
        held = frozenset(role.purposes) if role is not None else frozenset()
        if held & frozenset(purposes) or (not purposes and held):
            return
        needed = " or ".join(purposes) or "a purpose"
        refusal = Refusal(
            "role_lacks_purpose", f"The role '{actor.role}' may not use this: it is for {needed}."
        )
        named = purposes[0] if len(purposes) == 1 else ""
        self._append_denial(actor, None, named, frozenset(), None, refusal)
        raise AccessDenied(refusal.message, reason_code=refusal.code)

    # The refusals (amanat.access.refusals), by the names the guard's methods use.

    def _role_refusal(self, session: SessionOf, actor: Actor, purpose: str) -> Refusal | None:
        return self._refusals.role_refusal(session, actor, purpose)

    def _refusal(
        self,
        session: SessionOf,
        actor: Actor,
        customer_id: str,
        purpose: str,
        reads: frozenset[str],
        writes: frozenset[str],
        reference: str | None,
        reason: str | None,
    ) -> Refusal | None:
        return self._refusals.refusal(
            session, actor, customer_id, purpose, reads, writes, reference, reason
        )

    def _record_denial(
        self,
        uow: UnitOfWork,
        actor: Actor,
        customer_id: str | None,
        purpose: str,
        categories: frozenset[str],
        reference: str | None,
        refusal: Refusal,
    ) -> None:
        self._refusals.record_denial(
            uow, actor, customer_id, purpose, categories, reference, refusal
        )

    def _append_denial(
        self,
        actor: Actor,
        customer_id: str | None,
        purpose: str,
        categories: frozenset[str],
        reference: str | None,
        refusal: Refusal,
    ) -> None:
        self._refusals.append_denial(actor, customer_id, purpose, categories, reference, refusal)
