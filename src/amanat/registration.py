"""What a domain declares about itself: the ``Domain`` type, and the shapes of its parts.

Each domain has one ``amanat/<domain>/domain.py`` with ``DOMAIN = Domain(...)``;
``amanat.composition`` lists them, and the entry points (app, CLI, installer, demo,
doctor, worker, migrations) loop over that list. Nothing below this layer names a domain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Literal, Protocol

import typer

from amanat.access.references import ReferenceChecker
from amanat.runtime import Runtime, SubjectRecords
from amanat.vault.erasure import ReplayHook

if TYPE_CHECKING:
    from fastapi import APIRouter

    from amanat.web.caller import CallerResolver


@dataclass
class InitReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


State = Literal["ok", "off", "failing"]


@dataclass(frozen=True)
class Finding:
    area: str
    name: str
    state: State
    detail: str


class RunningListener(Protocol):
    """A background listener started by a domain (support's SMTP listener)."""

    hostname: str
    port: int

    def stop(self) -> None: ...


@dataclass(frozen=True)
class Job:
    """Background work that `amanat worker` runs (and `amanat serve` on SQLite, in-process).

    ``run`` does one batch and returns how many items it handled; the runner calls it again
    at once while it finds work, else after ``idle_seconds``. ``wanted`` says whether this
    installation needs the job at all (outgoing mail without AMANAT_SMTP_URL does not)."""

    name: str
    run: Callable[[Runtime], int]
    idle_seconds: Callable[[Runtime], float]
    wanted: Callable[[Runtime], bool]


InitStep = Callable[[Runtime, InitReport], None]
"""Something `amanat init` makes (the key store, a signing key); idempotent."""
Seeder = Callable[[Runtime], list[str]]
"""Demo data for `amanat demo`: returns lines to print (the demo sign-ins); idempotent."""
Listener = Callable[[Runtime], RunningListener]
DoctorCheck = tuple[str, Callable[[Runtime], Iterator[Finding]]]
"""(area, check) for `amanat doctor`; findings are listed by area in doctor's order."""
Link = Mapping[str, str]
"""{"href": ..., "label": ...} for a menu."""


@dataclass(frozen=True)
class Domain:
    name: str
    # () -> the api.py and pages.py routers, in order. A function, so that only the app
    # imports the web side: `amanat --help` stays fast.
    routers: Callable[[], tuple[APIRouter, ...]] = tuple
    cli: tuple[tuple[str, typer.Typer], ...] = ()  # (sub-command name, Typer app)
    models: ModuleType | None = None  # the domain's models module (imported, not a string)
    init_steps: tuple[InitStep, ...] = ()
    demo_seeders: tuple[Seeder, ...] = ()
    reference_checkers: Mapping[str, ReferenceChecker] = field(
        default_factory=lambda: MappingProxyType({})
    )
    erasure_hooks: tuple[ReplayHook, ...] = ()
    # Readers of one data subject's records, for a disclosure's export (runtime.SubjectRecords).
    subject_records: tuple[SubjectRecords, ...] = ()
    startup: tuple[Callable[[], None], ...] = ()  # once per server process, before requests
    listeners: tuple[Listener, ...] = ()  # background listeners for `amanat worker`
    jobs: tuple[Job, ...] = ()  # background jobs for `amanat worker` (outbox delivery)
    doctor_checks: tuple[DoctorCheck, ...] = ()
    portal_links: tuple[Link, ...] = ()  # the customer portal's menu
    home_links: tuple[Link, ...] = ()  # the home page's links
    caller_resolver: CallerResolver | None = None  # accounts only: who is calling
