"""Governance: the platform's transparency pages (the privacy notice, who saw my data) and
operator tools (policy, keys, audit log). Their code still lives in the platform packages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from amanat.audit import cli as audit_cli
from amanat.audit.setup import init_audit
from amanat.policy import cli as policy_cli
from amanat.registration import Domain
from amanat.vault import cli as vault_cli
from amanat.vault.service import init_keys

if TYPE_CHECKING:
    from fastapi import APIRouter


def _routers() -> tuple[APIRouter, ...]:
    from amanat.access import api as access_api
    from amanat.access import pages as access_pages
    from amanat.policy import pages as policy_pages

    return (access_api.router, access_pages.router, policy_pages.router)


DOMAIN = Domain(
    name="governance",
    routers=_routers,
    cli=(("policy", policy_cli.app), ("keys", vault_cli.app), ("audit", audit_cli.app)),
    init_steps=(init_keys, init_audit),
    portal_links=({"href": "/account/access-log", "label": "Who saw my data"},),
)
