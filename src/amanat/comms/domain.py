"""The comms domain: the outbox of mail to customers."""

from __future__ import annotations

from amanat.comms import cli, models, pages
from amanat.registration import Domain

DOMAIN = Domain(name="comms", routers=(pages.router,), cli=(("outbox", cli.app),), models=models)
