"""The running system's parts, built once from Settings by the CLI or create_app.

Nothing here happens at import: ``build_runtime`` is called by whoever starts Amanat,
and the result is passed down.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from amanat.access.guard import Access, Guard
from amanat.access.references import ReferenceChecker
from amanat.audit.setup import configure_audit
from amanat.config import Settings
from amanat.core.clock import Clock, SystemClock
from amanat.db.engine import make_engine, make_session_factory
from amanat.db.uow import UnitOfWork
from amanat.policy.loader import LoadedPolicy, load_policy
from amanat.policy.model import Policy
from amanat.vault.cipher import Vault
from amanat.vault.erasure import ReplayHook
from amanat.vault.signing import AuditSigner

SubjectRecords = Callable[[UnitOfWork, Access, date, date], Mapping[str, list[dict[str, Any]]]]
"""(uow, access, first day, last day) -> {kind of record: [record, ...]}: what one domain
holds about ``access.customer_id`` in the categories ``access`` may read, made within the
days given (a profile: as it is now). Values are plain JSON types. For a disclosure's
export; reads nothing ``access`` was not opened for, records nothing itself."""


@dataclass(frozen=True)
class PlatformHooks:
    """What the domains give the platform below them (built by amanat.composition): the
    guard's reference checkers, the erasure replay's hooks and the domains' readers of
    one data subject's records."""

    reference_checkers: Mapping[str, ReferenceChecker] = field(default_factory=dict)
    erasure_hooks: tuple[ReplayHook, ...] = ()
    subject_records: tuple[SubjectRecords, ...] = ()


T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    loaded_policy: LoadedPolicy
    engine: Engine
    session_factory: sessionmaker[Session]
    vault: Vault
    guard: Guard
    clock: Clock = field(default_factory=SystemClock)
    # A domain's collaborators built from these parts (billing's processor and tax table),
    # keyed by their type so that the runtime names no domain.
    _parts: dict[type[Any], Any] = field(default_factory=dict, repr=False, compare=False)
    hooks: PlatformHooks = field(default_factory=PlatformHooks)

    @property
    def policy(self) -> Policy:
        return self.loaded_policy.policy

    def part(self, kind: type[T], build: Callable[[Runtime], T]) -> T:
        """The collaborator of type ``kind``, built from this runtime on first use."""
        found = self._parts.get(kind)
        if not isinstance(found, kind):
            found = self._parts[kind] = build(self)
        return found

    def set_part(self, part: object) -> None:
        """Keep ``part`` as the collaborator of its type (tests replace the processor)."""
        self._parts[type(part)] = part

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    def close(self) -> None:
        self.vault.close()
        self.engine.dispose()


def build_runtime(
    settings: Settings, clock: Clock | None = None, hooks: PlatformHooks | None = None
) -> Runtime:
    """Load the policy (raising PolicyInvalid) and connect the store; nothing is created.

    Entry points call ``amanat.composition.build_runtime``, which passes every domain's
    hooks."""
    hooks = hooks or PlatformHooks()
    loaded = load_policy(settings.policy)
    engine = make_engine(settings.resolved_database_url)
    clock = clock or SystemClock()
    session_factory = make_session_factory(engine)
    vault = Vault.from_settings(settings, clock, loaded.policy)
    configure_audit(session_factory, settings, AuditSigner(vault))
    return Runtime(
        settings=settings,
        loaded_policy=loaded,
        engine=engine,
        session_factory=session_factory,
        vault=vault,
        guard=Guard(loaded.policy, vault, clock, session_factory, hooks.reference_checkers),
        clock=clock,
        hooks=hooks,
    )
