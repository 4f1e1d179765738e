"""The accounts domain: sign-up, sign-in, sessions, second factors, API tokens."""

from __future__ import annotations

from amanat.accounts import api, checks, models, pages, portal, useragent
from amanat.accounts.demo import seed_accounts
from amanat.accounts.deps import resolve_caller
from amanat.registration import Domain

DOMAIN = Domain(
    name="accounts",
    routers=(api.router, pages.router, portal.router),
    models=models,
    demo_seeders=(seed_accounts,),
    startup=(useragent.warm_up,),
    doctor_checks=(("protections", checks.throttle_store),),
    home_links=(
        {"href": "/signup", "label": "Create an account"},
        {"href": "/signin", "label": "Sign in"},
    ),
    caller_resolver=resolve_caller,
)
