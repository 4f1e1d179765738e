"""Demo data for billing: a plausible PKR catalogue, and for the demo customer a fibre
line and a cloud server with last month's invoice, so the portal has something to show.

Idempotent: plans are added by code, services only if the demo customer has none, and
the billing run never bills a period twice.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from amanat.billing import catalogue, orders
from amanat.billing.context import allow_sandbox
from amanat.billing.fiscal import business_date
from amanat.billing.models import Service
from amanat.billing.run import run_billing
from amanat.core.actor import Actor
from amanat.runtime import Runtime

DEMO_ORDERS = (("fibre-50", 1), ("vm-small", 1))


def seed_billing(runtime: Runtime) -> list[str]:
    from amanat.accounts.service import DEMO_EMAIL
    from amanat.customers.service import find_by_email

    allow_sandbox(runtime)  # the demo runs as production and takes cards through the sandbox
    with runtime.uow() as uow:
        catalogue.ensure_plans(uow, runtime, catalogue.DEMO_CATALOGUE)
        uow.commit()
    first_of_month = business_date(runtime.clock.now()).replace(day=1)
    last_month = (first_of_month - timedelta(days=1)).replace(day=1)
    with runtime.uow() as uow:
        customer = find_by_email(uow, runtime, DEMO_EMAIL)
        if customer is None:
            return []
        customer_id = customer.id
        has_services = uow.session.scalar(
            select(Service.id).where(Service.customer_id == customer_id)
        )
        if has_services is None:
            for plan, quantity in DEMO_ORDERS:
                placed = orders.place_order(
                    uow, runtime, Actor.customer(customer_id), customer_id, plan, quantity
                )
                # Demo history: the services began on the 10th of last month, so that
                # last month can be billed (prorated) and the portal shows an invoice.
                placed.service.starts_on = last_month + timedelta(days=9)
            uow.commit()
    run_billing(runtime, f"{last_month:%Y-%m}")
    url = runtime.settings.resolved_public_url
    return [
        "",
        "Billing: the demo customer has a fibre line, a cloud server and last month's invoice",
        f"  {url}/billing   (pay it by card after starting the sandbox processor below)",
        "  Sandbox payment processor: run `amanat dev psp` in a second terminal (same",
        "  AMANAT_DATA_DIR); it listens on http://127.0.0.1:8444 and shares its keys with",
        "  Amanat through psp-sandbox.json. Test card 4242 4242 4242 4242, any future expiry.",
        f"  Bill this month once it has ended: amanat billing run --period {first_of_month:%Y-%m}",
    ]
