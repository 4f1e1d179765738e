"""The sandbox payment processor (development tool)."""

from __future__ import annotations

from amanat.psp import cli
from amanat.registration import Domain

DOMAIN = Domain(name="psp", cli=(("dev", cli.app),))
