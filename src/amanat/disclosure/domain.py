"""The disclosure domain: the register of legal requests, two approvals, signed exports,
customers' notices and the public transparency report (issue 14)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from amanat.disclosure import cli, models
from amanat.disclosure.checker import disclosure_is_live
from amanat.registration import Domain, Job

if TYPE_CHECKING:
    from fastapi import APIRouter

    from amanat.runtime import Runtime


def _routers() -> tuple[APIRouter, ...]:
    from amanat.disclosure import api, pages

    return (api.router, pages.router)


# Imported on first use, so that `amanat --help` does not load mail and the customers.
def _notify_due(runtime: Runtime) -> int:
    from amanat.disclosure.service import notify_due

    return notify_due(runtime)


NOTICES = Job(
    name="disclosure notices",
    run=_notify_due,
    idle_seconds=lambda runtime: runtime.settings.disclosure.notice_poll_seconds,
    wanted=lambda runtime: True,
)

DOMAIN = Domain(
    name="disclosure",
    routers=_routers,
    cli=(("disclosure", cli.app),),
    models=models,
    reference_checkers={"disclosure": disclosure_is_live},
    jobs=(NOTICES,),
    home_links=({"href": "/transparency", "label": "Transparency report"},),
)
