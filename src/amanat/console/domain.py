"""The console domain: the staff console's customer look-up and record view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from amanat.registration import Domain

if TYPE_CHECKING:
    from fastapi import APIRouter


def _routers() -> tuple[APIRouter, ...]:
    from amanat.console import api, pages

    return (api.router, pages.router)


DOMAIN = Domain(name="console", routers=_routers)
