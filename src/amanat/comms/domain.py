"""The comms domain: the outbox of mail to customers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from amanat.comms import cli, models
from amanat.registration import Domain

if TYPE_CHECKING:
    from fastapi import APIRouter


def _routers() -> tuple[APIRouter, ...]:
    from amanat.comms import pages

    return (pages.router,)


DOMAIN = Domain(name="comms", routers=_routers, cli=(("outbox", cli.app),), models=models)
