"""The billing domain: plans, orders, invoices, payments, tax certificates."""

from __future__ import annotations

from amanat.billing import api, cli, models, pages
from amanat.billing.demo import seed_billing
from amanat.billing.references import invoice_is_live, order_is_live
from amanat.registration import Domain

DOMAIN = Domain(
    name="billing",
    routers=(api.router, pages.router),
    cli=(("billing", cli.app),),
    models=models,
    demo_seeders=(seed_billing,),
    reference_checkers={"invoice": invoice_is_live, "order": order_is_live},
    portal_links=({"href": "/billing", "label": "Billing"},),
)
