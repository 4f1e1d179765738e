"""The accounts domain: sign-up, sign-in, sessions, second factors, API tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from amanat.accounts import checks, models
from amanat.registration import Domain

if TYPE_CHECKING:
    from datetime import date, datetime
    from typing import Any

    from fastapi import APIRouter

    from amanat.access.guard import Access
    from amanat.db.uow import UnitOfWork
    from amanat.runtime import Runtime
    from amanat.web.caller import AuthContext


def _routers() -> tuple[APIRouter, ...]:
    from amanat.accounts import api, pages

    return (api.router, pages.router)


# Wrappers import on first use, so that `amanat --help` does not load the whole domain.
def _seed_accounts(runtime: Runtime) -> list[str]:
    from amanat.accounts.demo import seed_accounts

    return seed_accounts(runtime)


def _warm_up() -> None:
    from amanat.accounts.useragent import warm_up

    warm_up()


def _resolve_caller(
    uow: UnitOfWork, runtime: Runtime, bearer: str | None, cookie: str, principal_kind: str
) -> AuthContext | None:
    from amanat.accounts.service import resolve_caller

    return resolve_caller(uow, runtime, bearer, cookie, principal_kind)


def _forget_principal(uow: UnitOfWork, owner_id: str, erased_at: datetime) -> None:
    """Erasure hook: an erased key owner keeps no credential, session or token."""
    from amanat.accounts.service import forget_principal

    forget_principal(uow, owner_id)


def _subject_sessions(
    uow: UnitOfWork, access: Access, first: date, last: date
) -> dict[str, list[dict[str, Any]]]:
    """A disclosure's export: the customer's sessions on those days (network, device)."""
    from amanat.accounts.service import subject_sessions

    return subject_sessions(uow, access, first, last)


DOMAIN = Domain(
    name="accounts",
    routers=_routers,
    models=models,
    demo_seeders=(_seed_accounts,),
    erasure_hooks=(_forget_principal,),
    subject_records=(_subject_sessions,),
    startup=(_warm_up,),
    doctor_checks=(("protections", checks.throttle_store),),
    home_links=(
        {"href": "/signup", "label": "Create an account"},
        {"href": "/signin", "label": "Sign in"},
    ),
    caller_resolver=_resolve_caller,
)
