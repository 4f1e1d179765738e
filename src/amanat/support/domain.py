"""The support domain: tickets, the agents' desk and inbound support mail."""

from __future__ import annotations

from amanat.registration import Domain
from amanat.support import api, models, pages
from amanat.support.demo import seed_support
from amanat.support.mail import start_listener
from amanat.support.service import ticket_is_live

DOMAIN = Domain(
    name="support",
    routers=(api.router, pages.router),
    models=models,
    demo_seeders=(seed_support,),
    reference_checkers={"ticket": ticket_is_live},
    listeners=(start_listener,),
    portal_links=({"href": "/support", "label": "Support"},),
)
