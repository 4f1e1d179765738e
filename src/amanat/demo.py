"""Demo data: synthetic customers and staff so that a first look shows a working system.

Each domain that has something to show adds a seeder to DEMO_SEEDERS: a function
(runtime) -> list of lines to print (for example the demo sign-ins). Seeders must be
idempotent: `amanat demo` may run on an installation that already has demo data.
"""

from __future__ import annotations

from collections.abc import Callable

from amanat.accounts.demo import seed_accounts
from amanat.billing.demo import seed_billing
from amanat.runtime import Runtime
from amanat.support.demo import seed_support

Seeder = Callable[[Runtime], list[str]]

DEMO_SEEDERS: tuple[Seeder, ...] = (seed_accounts, seed_billing, seed_support)


def seed_demo(runtime: Runtime) -> list[str]:
    lines: list[str] = []
    for seeder in DEMO_SEEDERS:
        lines.extend(seeder(runtime))
    return lines
