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

import functools
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, Table, select
from sqlalchemy.orm import Session, sessionmaker

from amanat.access import training
from amanat.access.references import ReferenceChecker
from amanat.audit import canonical
from amanat.audit import service as audit
from amanat.audit.append import append_event, config_of
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.core.clock import Clock
from amanat.core.errors import BadRequest, Forbidden
from amanat.db.uow import DriverUnitOfWork, UnitOfWork
from amanat.policy.model import Policy
from amanat.vault.api import FieldCipher

REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
REASON_MIN, REASON_MAX = 10, 500
_TRAINING_CACHE_SECONDS = 300.0

SessionOf = Callable[[], Session]
"""Gives the session a decision may read (training records, case registers) from."""


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
class Refusal:
    code: str
    message: str


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
        # The policy is fixed for the guard's life: look-ups by id, not scans, on every read.
        self._roles = {role.id: role for role in policy.roles}
        self._purposes = {purpose.id: purpose for purpose in policy.purposes}
        self._purpose_reads = {p.id: frozenset(p.reads) for p in policy.purposes}
        self._purpose_writes = {p.id: frozenset(p.writes) for p in policy.purposes}
        self._cipher = cipher
        self.clock = clock
        self._session_factory = session_factory
        self._engine: Engine = session_factory.kw["bind"]
        self._row_sql: dict[tuple[str, tuple[str, ...]], str] = {}
        self._reference_checkers: dict[str, ReferenceChecker] = dict(reference_checkers or {})
        # Positive cache only: training records are only ever added, so "trained until D"
        # can become later but never earlier. Keyed by (staff id, role).
        self._trained_until: dict[tuple[str, str], tuple[date, float]] = {}

    def register_reference_checker(self, kind: str, checker: ReferenceChecker) -> None:
        """Install the checker for references of ``kind`` (ticket, invoice, order)."""
        self._reference_checkers[kind] = checker

    @property
    def reference_kinds(self) -> frozenset[str]:
        return frozenset(self._reference_checkers)

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
                .execute(_row_select(table, columns, row_id, customer_id))
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
        """Append the grant and select the row in one transaction on a pooled connection."""
        engine = self._engine
        dialect = engine.dialect
        sql = self._row_sql.get((table.name, tuple(columns)))
        if sql is None:
            sql = self._row_sql[(table.name, tuple(columns))] = _row_sql(table, columns, dialect)
        categories_text, details_text = _read_texts(frozenset(columns.values()))
        with DriverUnitOfWork(engine) as uow:
            append_event(
                uow.dbapi, dialect, config_of(self._session_factory), self.clock,
                Event.ACCESS_GRANTED, actor, customer_id=customer_id, purpose=purpose,
                categories_text=categories_text, reference=reference, outcome="allowed",
                details_text=details_text,
            )  # fmt: skip
            row: tuple[Any, ...] | None = uow.dbapi.execute(sql, (row_id, customer_id)).fetchone()
            if row is not None:
                uow.commit()  # else the block rolls back: nothing was read, nothing stands
        return row

    @staticmethod
    def _decrypt_row(
        access: Access,
        table: Table,
        row_id: str,
        columns: Mapping[str, str],
        row: tuple[Any, ...],
    ) -> tuple[Access, dict[str, str | None]]:
        return access, {
            column: access.read(table.name, column, row_id, category, row[i])
            for i, (column, category) in enumerate(columns.items())
        }

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

    def _role_refusal(self, session: SessionOf, actor: Actor, purpose: str) -> Refusal | None:
        role = self._roles.get(actor.role)
        if role is None:
            return Refusal("unknown_role", "Your role is not in the policy in force.")
        if purpose not in self._purposes:
            # Not echoed: whatever was typed in place of a purpose is not ours to repeat.
            return Refusal(
                "unknown_purpose",
                f"That purpose is not in the policy; the role '{actor.role}' may act for: "
                f"{', '.join(role.purposes)}.",
            )
        if purpose not in role.purposes:
            return Refusal(
                "role_lacks_purpose",
                f"The role '{actor.role}' may not act for the purpose '{purpose}'.",
            )
        if actor.kind == "staff":
            status = self._training(session, actor)
            if not status.allows_personal_data:
                return Refusal(f"training_{status.state}", status.refusal(actor.role))
        return None

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
        refusal = self._role_refusal(session, actor, purpose)
        if refusal is not None:
            return refusal
        if actor.kind == "customer" and actor.id != customer_id:
            return Refusal("not_own_data", "A customer may act only on their own data.")
        declared = self._purposes[purpose]
        extra_reads = sorted(reads - self._purpose_reads[purpose])
        if extra_reads:
            return Refusal(
                "category_not_in_purpose",
                f"The role '{actor.role}' acting for '{purpose}' may not read "
                f"{', '.join(extra_reads)}.",
            )
        extra_writes = sorted(writes - self._purpose_writes[purpose])
        if extra_writes:
            return Refusal(
                "category_not_in_purpose",
                f"The role '{actor.role}' acting for '{purpose}' may not write "
                f"{', '.join(extra_writes)}.",
            )
        if declared.break_glass:
            text = (reason or "").strip()
            if not REASON_MIN <= len(text) <= REASON_MAX:
                return Refusal(
                    "reason_missing",
                    f"The purpose '{purpose}' is break-glass access: write down why you need "
                    f"it ({REASON_MIN} to {REASON_MAX} characters).",
                )
        if declared.reference is not None and actor.kind == "staff":
            return self._reference_refusal(
                session(), actor, customer_id, purpose, declared.reference, reference
            )
        return None

    def _training(self, session: SessionOf, actor: Actor) -> training.TrainingStatus:
        today = self.clock.now().date()
        key = (actor.id, actor.role)
        cached = self._trained_until.get(key)
        fresh = cached is not None and time.monotonic() - cached[1] < _TRAINING_CACHE_SECONDS
        if cached is not None and fresh and cached[0] >= today:
            return training.TrainingStatus("current", None, cached[0])
        status = training.training_status(session(), self._roles[actor.role], actor.id, today)
        if status.state == "current" and status.valid_until is not None:
            self._trained_until[key] = (status.valid_until, time.monotonic())
        return status

    def _reference_refusal(
        self,
        session: Session,
        actor: Actor,
        customer_id: str,
        purpose: str,
        kind: str,
        reference: str | None,
    ) -> Refusal | None:
        if not reference:
            return Refusal(
                "reference_missing",
                f"The role '{actor.role}' acting for '{purpose}' needs the number of an open "
                f"{kind} of this customer (header X-Access-Reference).",
            )
        if not REFERENCE_PATTERN.match(reference):
            return Refusal(
                "reference_malformed",
                f"That is not a {kind} number; give it as shown on the {kind} (letters, "
                "digits, '-', '.', '/', at most 64 characters).",
            )
        checker = self._reference_checkers.get(kind)
        if checker is None:  # fail closed: nothing can confirm the case, so no access
            return Refusal(
                "reference_unchecked",
                f"No {kind} register is installed to confirm the reference, so the role "
                f"'{actor.role}' may not act for '{purpose}'.",
            )
        if not checker(session, customer_id, reference, self.clock.now()):
            return Refusal(
                "reference_not_live",
                f"The {kind} given is not an open {kind} of this customer, so the role "
                f"'{actor.role}' may not act for '{purpose}' here.",
            )
        return None

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
        # The caller's transaction is abandoned first: a refused operation keeps nothing,
        # and on SQLite it holds the write lock the denial's own transaction needs.
        uow.rollback()
        self._append_denial(actor, customer_id, purpose, categories, reference, refusal)

    def _append_denial(
        self,
        actor: Actor,
        customer_id: str | None,
        purpose: str,
        categories: frozenset[str],
        reference: str | None,
        refusal: Refusal,
    ) -> None:
        kept_reference = reference if reference and REFERENCE_PATTERN.match(reference) else None
        kept_purpose = purpose if purpose in self.policy.purpose_ids else None
        with UnitOfWork(self._session_factory) as denial:
            audit.record(
                denial, self.clock, Event.ACCESS_DENIED, actor,
                customer_id=customer_id, purpose=kept_purpose, categories=categories,
                reference=kept_reference, outcome="denied",
                details={"reason_code": refusal.code},
            )  # fmt: skip
            denial.commit()


def _owner_column(table: Table) -> str:
    # Convention (docs/architecture.md): a table holding ciphertext names the customer
    # whose key encrypts it in ``customer_id``; the customers table uses its own id.
    return "id" if table.name == "customers" else "customer_id"


def _row_select(table: Table, columns: Mapping[str, str], row_id: str, customer_id: str) -> Any:
    (key,) = table.primary_key.columns
    return select(*(table.c[name] for name in columns)).where(
        key == row_id, table.c[_owner_column(table)] == customer_id
    )


def _row_sql(table: Table, columns: Mapping[str, str], dialect: Any) -> str:
    """The driver-level text of ``_row_select`` (ids bound positionally: row id, owner)."""
    (key,) = table.primary_key.columns
    quote = dialect.identifier_preparer.quote
    mark = "%s" if dialect.paramstyle in ("format", "pyformat") else "?"
    names = ", ".join(quote(table.c[name].name) for name in columns)
    return (
        f"SELECT {names} FROM {quote(table.name)} "  # noqa: S608 -- names from the model
        f"WHERE {quote(key.name)} = {mark} AND {quote(_owner_column(table))} = {mark}"
    )


@functools.lru_cache(maxsize=512)
def _read_texts(reads: frozenset[str]) -> tuple[str, str]:
    """The canonical categories and details of a grant to read ``reads`` (as ``open``'s)."""
    ordered = sorted(reads)
    return (
        canonical.categories_json(ordered),
        canonical.details_json({"reads": ordered, "writes": []}),
    )
