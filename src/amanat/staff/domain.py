"""The staff domain: staff accounts, their roles and training."""

from __future__ import annotations

from amanat.registration import Domain
from amanat.staff import checks, cli, models, pages

DOMAIN = Domain(
    name="staff",
    routers=(pages.router,),
    cli=(("staff", cli.app),),
    models=models,
    doctor_checks=(("staff training", checks.security_training),),
)
