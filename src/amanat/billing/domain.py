"""The billing domain: plans, orders, invoices, payments, tax certificates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from amanat.billing import cli, models
from amanat.billing.records import subject_billing
from amanat.billing.references import invoice_is_live, order_is_live
from amanat.registration import Domain

if TYPE_CHECKING:
    from fastapi import APIRouter

    from amanat.runtime import Runtime


def _routers() -> tuple[APIRouter, ...]:
    from amanat.billing import api, pages

    return (api.router, pages.router)


def _seed_billing(runtime: Runtime) -> list[str]:
    from amanat.billing.demo import (
        seed_billing,  # imported on first use: `amanat --help` stays fast
    )

    return seed_billing(runtime)


DOMAIN = Domain(
    name="billing",
    routers=_routers,
    cli=(("billing", cli.app),),
    models=models,
    demo_seeders=(_seed_billing,),
    reference_checkers={"invoice": invoice_is_live, "order": order_is_live},
    subject_records=(subject_billing,),
    portal_links=({"href": "/billing", "label": "Billing"},),
)
