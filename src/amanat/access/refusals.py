"""The guard's refusals: every reason ``Guard.open`` and its kin may say no, and the
access.denied record of each.

``Refusals`` holds what the decisions read (the policy by id, the clock, the domains'
reference checkers, a short cache of current training); the guard asks it and raises.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from amanat.access import training
from amanat.access.references import CategoryScoped, ReferenceChecker
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.core.clock import Clock
from amanat.db.uow import UnitOfWork
from amanat.policy.model import Policy

REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
REASON_MIN, REASON_MAX = 10, 500
_TRAINING_CACHE_SECONDS = 300.0

SessionOf = Callable[[], Session]
"""Gives the session a decision may read (training records, case registers) from."""


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


class Refusals:
    def __init__(
        self,
        policy: Policy,
        clock: Clock,
        session_factory: sessionmaker[Session],
        reference_checkers: Mapping[str, ReferenceChecker] | None = None,
    ) -> None:
        self._policy = policy
        # The policy is fixed for the guard's life: look-ups by id, not scans, on every read.
        self._roles = {role.id: role for role in policy.roles}
        self._purposes = {purpose.id: purpose for purpose in policy.purposes}
        self._purpose_reads = {p.id: frozenset(p.reads) for p in policy.purposes}
        self._purpose_writes = {p.id: frozenset(p.writes) for p in policy.purposes}
        self._clock = clock
        self._session_factory = session_factory
        self.reference_checkers: dict[str, ReferenceChecker] = dict(reference_checkers or {})
        # Positive cache only: training records are only ever added, so "trained until D"
        # can become later but never earlier. Keyed by (staff id, role).
        self._trained_until: dict[tuple[str, str], tuple[date, float]] = {}

    def role_refusal(self, session: SessionOf, actor: Actor, purpose: str) -> Refusal | None:
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
            status = self.training(session, actor)
            if not status.allows_personal_data:
                return Refusal(f"training_{status.state}", status.refusal(actor.role))
        return None

    def refusal(
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
        refusal = self.role_refusal(session, actor, purpose)
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
            return self.reference_refusal(
                session(), actor, customer_id, purpose, declared.reference, reference,
                reads | writes,
            )  # fmt: skip
        return None

    def training(self, session: SessionOf, actor: Actor) -> training.TrainingStatus:
        today = self._clock.now().date()
        key = (actor.id, actor.role)
        cached = self._trained_until.get(key)
        fresh = cached is not None and time.monotonic() - cached[1] < _TRAINING_CACHE_SECONDS
        if cached is not None and fresh and cached[0] >= today:
            return training.TrainingStatus("current", None, cached[0])
        status = training.training_status(session(), self._roles[actor.role], actor.id, today)
        if status.state == "current" and status.valid_until is not None:
            self._trained_until[key] = (status.valid_until, time.monotonic())
        return status

    def reference_refusal(
        self,
        session: Session,
        actor: Actor,
        customer_id: str,
        purpose: str,
        kind: str,
        reference: str | None,
        categories: frozenset[str] = frozenset(),
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
        checker = self.reference_checkers.get(kind)
        if checker is None:  # fail closed: nothing can confirm the case, so no access
            return Refusal(
                "reference_unchecked",
                f"No {kind} register is installed to confirm the reference, so the role "
                f"'{actor.role}' may not act for '{purpose}'.",
            )
        if isinstance(checker, CategoryScoped):
            live = checker.check(session, customer_id, reference, self._clock.now(), categories)
            means = checker.live_means
        else:
            live = checker(session, customer_id, reference, self._clock.now())
            means = f"an open {kind} of this customer"
        if not live:
            return Refusal(
                "reference_not_live",
                f"The {kind} given is not {means}, so the role "
                f"'{actor.role}' may not act for '{purpose}' here.",
            )
        return None

    def record_denial(
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
        self.append_denial(actor, customer_id, purpose, categories, reference, refusal)

    def append_denial(
        self,
        actor: Actor,
        customer_id: str | None,
        purpose: str,
        categories: frozenset[str],
        reference: str | None,
        refusal: Refusal,
    ) -> None:
        kept_reference = reference if reference and REFERENCE_PATTERN.match(reference) else None
        kept_purpose = purpose if purpose in self._policy.purpose_ids else None
        with UnitOfWork(self._session_factory) as denial:
            audit.record(
                denial, self._clock, Event.ACCESS_DENIED, actor,
                customer_id=customer_id, purpose=kept_purpose, categories=categories,
                reference=kept_reference, outcome="denied",
                details={"reason_code": refusal.code},
            )  # fmt: skip
            denial.commit()
