"""The staff domain: staff accounts, their roles and training."""

from __future__ import annotations

from typing import TYPE_CHECKING

from amanat.registration import Domain
from amanat.staff import checks, cli, models

if TYPE_CHECKING:
    from fastapi import APIRouter

    from amanat.runtime import Runtime


def _seed_staff(runtime: Runtime) -> list[str]:
    from amanat.staff.demo import seed_staff

    return seed_staff(runtime)


def _routers() -> tuple[APIRouter, ...]:
    from amanat.staff import api, pages

    return (pages.router, api.router)


DOMAIN = Domain(
    name="staff",
    routers=_routers,
    cli=(("staff", cli.app),),
    models=models,
    demo_seeders=(_seed_staff,),
    doctor_checks=(("staff training", checks.security_training),),
)
