"""The one module that names every domain; the entry points loop over ``DOMAINS``.

Adding a domain: give it ``amanat/<name>/domain.py`` with ``DOMAIN = Domain(...)`` and add
one line here. The order is the order of routers (and so of the OpenAPI document), CLI
sub-commands, demo seeders and menu links.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING

import typer

from amanat.access import models as access_models
from amanat.accounts.domain import DOMAIN as ACCOUNTS
from amanat.audit import models as audit_models
from amanat.billing.domain import DOMAIN as BILLING
from amanat.comms.domain import DOMAIN as COMMS
from amanat.config import Settings
from amanat.console.domain import DOMAIN as CONSOLE
from amanat.core.clock import Clock
from amanat.customers.domain import DOMAIN as CUSTOMERS
from amanat.db import system as system_models
from amanat.disclosure.domain import DOMAIN as DISCLOSURE
from amanat.governance.domain import DOMAIN as GOVERNANCE
from amanat.psp.domain import DOMAIN as PSP
from amanat.registration import (
    DoctorCheck,
    Domain,
    InitStep,
    Job,
    Link,
    Listener,
    Seeder,
)
from amanat.retention.domain import DOMAIN as RETENTION
from amanat.runtime import PlatformHooks, Runtime
from amanat.runtime import build_runtime as build_platform_runtime
from amanat.staff.domain import DOMAIN as STAFF
from amanat.support.domain import DOMAIN as SUPPORT
from amanat.vault import models as vault_models

if TYPE_CHECKING:
    from fastapi import APIRouter

    from amanat.web.caller import CallerResolver

DOMAINS: tuple[Domain, ...] = (
    CONSOLE,
    GOVERNANCE,
    ACCOUNTS,
    STAFF,
    COMMS,
    BILLING,
    SUPPORT,
    CUSTOMERS,
    RETENTION,
    DISCLOSURE,
    PSP,
)

# The platform's own tables (installation record, audit log, key ledger, access log).
PLATFORM_MODELS: tuple[ModuleType, ...] = (
    system_models,
    audit_models,
    vault_models,
    access_models,
)


def hooks() -> PlatformHooks:
    checkers = {kind: fn for d in DOMAINS for kind, fn in d.reference_checkers.items()}
    return PlatformHooks(
        reference_checkers=checkers,
        erasure_hooks=tuple(hook for d in DOMAINS for hook in d.erasure_hooks),
        subject_records=tuple(reader for d in DOMAINS for reader in d.subject_records),
    )


def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    """The runtime with every domain's reference checkers and erasure hooks."""
    return build_platform_runtime(settings, clock, hooks())


def routers() -> list[APIRouter]:
    return [router for d in DOMAINS for router in d.routers()]


def sub_apps() -> list[tuple[str, typer.Typer]]:
    """Each domain's sub-commands; domains sharing a group name (`dev psp`, `dev mail`)
    share one group holding both's commands."""
    merged: dict[str, typer.Typer] = {}
    for d in DOMAINS:
        for name, sub in d.cli:
            first = merged.get(name)
            if first is None:
                merged[name] = sub
                continue
            group = typer.Typer(help=f"{first.info.help} {sub.info.help}", no_args_is_help=True)
            group.registered_commands = [*first.registered_commands, *sub.registered_commands]
            merged[name] = group
    return list(merged.items())


def load_models() -> list[ModuleType]:
    """Every models module (imported already); the metadata is complete once this runs."""
    return [*PLATFORM_MODELS, *(d.models for d in DOMAINS if d.models is not None)]


def init_steps() -> list[InitStep]:
    return [step for d in DOMAINS for step in d.init_steps]


def demo_seeders() -> list[Seeder]:
    return [seeder for d in DOMAINS for seeder in d.demo_seeders]


def startup() -> list[Callable[[], None]]:
    return [task for d in DOMAINS for task in d.startup]


def listeners() -> list[Listener]:
    return [listener for d in DOMAINS for listener in d.listeners]


def jobs() -> list[Job]:
    return [job for d in DOMAINS for job in d.jobs]


def doctor_checks() -> list[DoctorCheck]:
    return [check for d in DOMAINS for check in d.doctor_checks]


def portal_links() -> list[Link]:
    return [link for d in DOMAINS for link in d.portal_links]


def home_links() -> list[Link]:
    return [link for d in DOMAINS for link in d.home_links]


def caller_resolver() -> CallerResolver:
    """The one domain's way of resolving the caller (accounts)."""
    found = [d.caller_resolver for d in DOMAINS if d.caller_resolver is not None]
    if len(found) != 1:
        raise RuntimeError(f"Exactly one domain must resolve callers; {len(found)} do.")
    return found[0]
