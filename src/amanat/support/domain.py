"""The support domain: tickets, the agents' desk and inbound support mail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from amanat.registration import Domain, RunningListener
from amanat.support import models
from amanat.support.service import ticket_is_live

if TYPE_CHECKING:
    from fastapi import APIRouter

    from amanat.runtime import Runtime


def _routers() -> tuple[APIRouter, ...]:
    from amanat.support import api, pages

    return (api.router, pages.router)


# Wrappers import on first use, so that `amanat --help` does not load the whole domain.
def _seed_support(runtime: Runtime) -> list[str]:
    from amanat.support.demo import seed_support

    return seed_support(runtime)


def _start_mail_listener(runtime: Runtime) -> RunningListener:
    from amanat.support.mail import start_listener

    return start_listener(runtime)


DOMAIN = Domain(
    name="support",
    routers=_routers,
    models=models,
    demo_seeders=(_seed_support,),
    reference_checkers={"ticket": ticket_is_live},
    listeners=(_start_mail_listener,),
    portal_links=({"href": "/support", "label": "Support"},),
)
