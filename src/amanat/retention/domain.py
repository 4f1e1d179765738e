"""The retention domain: ending what the policy no longer lets Amanat keep."""

from __future__ import annotations

from amanat.registration import Domain
from amanat.retention import cli

DOMAIN = Domain(name="retention", cli=(("retention", cli.app),))
