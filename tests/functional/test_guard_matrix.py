"""The authorisation matrix, generated from the policy file and checked through the API.

For every staff role × purpose × category the policy gives one expected answer (allow
when the role may act for the purpose and the purpose reads the category). Each cell
is one real HTTP read of one customer, asking for that one category; a grant must also
return the field when the customer record holds that category.

``legal_obligation`` names ``reference: disclosure``: its cells are read under a real
request in the disclosure register, approved twice, naming the customer and every
category a request may ask for; the register's own text (``disclosure.request``) is no
customer's data, so no request opens it for one.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from amanat.audit.models import AuditEvent
from amanat.audit.verify import verify_chain
from amanat.console.service import RECORD_FIELDS
from amanat.customers.service import PERSONAL_FIELDS
from amanat.disclosure import service as disclosure
from amanat.policy.model import Policy
from amanat.runtime import Runtime
from amanat.vault.signing import AuditSigner
from tests.factories.accounts import create_customer, create_staff
from tests.factories.disclosure import approved_request

CASE = "CASE-1"
CONCURRENT = 8
FIELD_OF = {PERSONAL_FIELDS[field][0]: field for field in RECORD_FIELDS}


def expected(policy: Policy, role: str, purpose: str, category: str) -> bool:
    allowed = policy.may_read(role, purpose, category)
    if allowed and policy.purpose(purpose).reference == "disclosure":
        # The request read under names every category a request may ask for, and no more.
        allowed = category in policy.purpose(purpose).reads and category != "disclosure.request"
    return allowed


def matrix(policy: Policy) -> list[tuple[str, str, str, bool]]:
    return [
        (role.id, purpose.id, category.id, expected(policy, role.id, purpose.id, category.id))
        for role in policy.staff_roles
        for purpose in policy.purposes
        for category in policy.categories
    ]


def test_the_matrix_is_generated_from_the_policy_not_written_by_hand(runtime: Runtime) -> None:
    cells = matrix(runtime.policy)
    policy = runtime.policy
    assert len(cells) == len(policy.staff_roles) * len(policy.purposes) * len(policy.categories)
    allowed = {(r, p, c) for r, p, c, ok in cells if ok}
    assert ("support_agent", "support", "support.message") in allowed
    assert ("support_agent", "billing", "billing.record") not in allowed
    assert ("analyst", "analytics", "identity.name") not in allowed
    assert ("data_protection_officer", "legal_obligation", "identity.cnic") in allowed
    assert ("legal", "legal_obligation", "technical.ip") in allowed
    assert ("data_protection_officer", "legal_obligation", "disclosure.request") not in allowed
    assert 0 < len(allowed) < len(cells)


async def _ask_all(
    app: Any,
    customer: str,
    tokens: dict[str, str],
    cells: list[tuple[str, str, str, bool]],
    references: dict[str, str],
) -> list[tuple[int, Any]]:
    """Every cell as its own HTTP request, CONCURRENT of them in flight at once, answers in
    cell order. Run in the app's own event loop (the test client's portal)."""
    gate = asyncio.Semaphore(CONCURRENT)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:

        async def ask(role: str, purpose: str, category: str) -> tuple[int, Any]:
            headers = {
                "Authorization": f"Bearer {tokens[role]}",
                "X-Access-Purpose": purpose,
                "X-Access-Reference": references.get(purpose, CASE),
                "X-Access-Reason": "Matrix check of the written policy",
            }
            async with gate:
                response = await http.get(
                    f"/api/v1/customers/{customer}",
                    params={"categories": category},
                    headers=headers,
                )
            return response.status_code, response.json() if response.status_code == 200 else None

        return await asyncio.gather(*(ask(r, p, c) for r, p, c, _ in cells))


@pytest.mark.slow
def test_every_role_purpose_and_category_through_the_http_api(
    client: Any, runtime: Runtime
) -> None:
    customer = create_customer(
        runtime, email="matrix@example.pk", phone="+92 300 7654321", cnic="35202-7654321-3"
    )
    # References are proven elsewhere (guard decisions, and each register's own tests):
    # here every case is live, so the answer is the policy's alone.
    for kind in ("ticket", "invoice", "order"):
        runtime.guard.register_reference_checker(
            kind, lambda _s, c, r, _now: (c, r) == (customer, CASE)
        )
    # legal_obligation's reference is checked by the real register: an approved request.
    _, number = approved_request(
        runtime, [customer], categories=tuple(disclosure.disclosable(runtime))
    )
    references = {"legal_obligation": number}
    tokens = {
        role.id: create_staff(runtime, role.id).api_token for role in runtime.policy.staff_roles
    }
    cells = matrix(runtime.policy)
    # One request per cell, as before, but several in flight at once: the database's
    # commits (one audit event per request, granted or denied) overlap instead of queuing
    # behind each other's round trips, which is most of the time on PostgreSQL.
    answers = client.portal.call(_ask_all, client.app, customer, tokens, cells, references)
    wrong: list[str] = []
    for (role, purpose, category, expected), (status, body) in zip(cells, answers, strict=True):
        granted = status == 200
        if status not in (200, 403):
            wrong.append(f"{role} {purpose} {category}: HTTP {status}")
        elif granted != expected:
            wrong.append(f"{role} {purpose} {category}: expected {'allow' if expected else 'deny'}")
        elif granted:
            field = FIELD_OF.get(category)
            if body["categories"] != [category] or (
                field is not None and field not in body["fields"]
            ):
                wrong.append(f"{role} {purpose} {category}: granted without the field")
            elif set(body["fields"]) - ({field} if field else set()):
                wrong.append(f"{role} {purpose} {category}: returned more than asked")
    assert wrong == []
    # Every answer was decided and recorded: one audit event per request, one chain.
    with runtime.engine.connect() as conn:
        recorded = conn.execute(
            select(func.count()).where(AuditEvent.code.in_(("access.granted", "access.denied")))
        ).scalar()
    assert recorded is not None and recorded >= len(cells)
    report = verify_chain(runtime.engine, AuditSigner(runtime.vault).verify)
    assert report.intact, report.problem
