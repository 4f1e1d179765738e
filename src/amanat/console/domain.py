"""The console domain: the staff console's customer look-up and record view."""

from __future__ import annotations

from amanat.console import api, pages
from amanat.registration import Domain

DOMAIN = Domain(name="console", routers=(api.router, pages.router))
