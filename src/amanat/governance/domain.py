"""Governance: the platform's transparency pages (the privacy notice, who saw my data) and
operator tools (policy, keys, audit log), over the platform packages' mechanics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from amanat.governance import audit_cli, keys_cli
from amanat.governance import cli as policy_cli
from amanat.governance.service import init_audit, init_keys
from amanat.registration import Domain

if TYPE_CHECKING:
    from fastapi import APIRouter


def _routers() -> tuple[APIRouter, ...]:
    from amanat.governance import api, pages

    return (api.router, pages.router)


DOMAIN = Domain(
    name="governance",
    routers=_routers,
    cli=(("policy", policy_cli.app), ("keys", keys_cli.app), ("audit", audit_cli.app)),
    init_steps=(init_keys, init_audit),
    portal_links=({"href": "/account/access-log", "label": "Who saw my data"},),
)
