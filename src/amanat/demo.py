"""Demo data: synthetic customers and staff so that a first look shows a working system.

Each domain that has something to show declares a seeder in its ``Domain``: a function
(runtime) -> list of lines to print (for example the demo sign-ins). Seeders must be
idempotent: `amanat demo` may run on an installation that already has demo data.
"""

from __future__ import annotations

from amanat import composition
from amanat.runtime import Runtime


def seed_demo(runtime: Runtime) -> list[str]:
    lines: list[str] = []
    for seeder in composition.demo_seeders():
        lines.extend(seeder(runtime))
    return lines
