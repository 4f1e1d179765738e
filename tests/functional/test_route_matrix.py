"""The authorisation matrix over every route of the app, API and console pages.

Every route is classified here by hand: public, customer, or staff with the purposes it
serves. The test fails for a route nobody classified, for a staff route that does not
carry ``StaffFor`` (a route that checks only "is staff"), and for declared purposes that
differ from the ones written here. Then, for every staff route and every staff role of
the policy, a real request proves the policy's answer: a role the policy does not give
one of the route's purposes is refused with 403 before anything runs, and a role it
does passes that check. The per-category answers of the customer record are
tests/functional/test_guard_matrix.py's.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from amanat.app import create_app
from amanat.billing import reconciliation
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.policy.model import Policy
from amanat.runtime import Runtime
from amanat.web.caller import (
    StaffActor,
    StaffFor,
    api_customer,
    api_customer_recent,
    api_customer_session,
    api_staff,
    page_customer,
    page_staff,
)
from tests.factories.accounts import (
    StaffHandle,
    create_customer,
    create_staff,
    staff_page_cookie,
)

Route = tuple[str, str]
NAMED = ()  # the caller names the purpose with each request; the guard decides it

STAFF: dict[Route, tuple[str, ...]] = {
    ("GET", "/api/v1/access/purposes"): NAMED,
    ("POST", "/api/v1/customers/search"): NAMED,
    ("GET", "/api/v1/customers/{customer_id}"): NAMED,
    ("GET", "/staff"): NAMED,
    ("POST", "/staff/customers/search"): NAMED,
    ("GET", "/staff/outbox"): ("communications",),
    ("GET", "/staff/outbox/{message_id}"): ("communications",),
    ("POST", "/api/v1/billing/payments"): ("billing",),
    ("POST", "/api/v1/billing/payments/{payment_id}/refund"): ("billing",),
    ("POST", "/api/v1/billing/invoices/{invoice_id}/credit-notes"): ("billing",),
    ("POST", "/api/v1/billing/statements"): ("billing",),
    ("GET", "/api/v1/billing/reconciliation"): ("billing",),
    ("PUT", "/api/v1/billing/customers/{customer_id}/tax-profile"): ("billing",),
    ("GET", "/staff/billing"): ("billing",),
    ("POST", "/staff/billing/payments"): ("billing",),
    ("POST", "/staff/billing/statements"): ("billing",),
    ("POST", "/staff/billing/reconciliation/{line_id}"): ("billing",),
    ("GET", "/api/v1/support/queue"): ("support",),
    ("GET", "/api/v1/support/tickets/{number}"): ("support",),
    ("POST", "/api/v1/support/tickets/{number}/replies"): ("support",),
    ("POST", "/api/v1/support/tickets/{number}/notes"): ("support",),
    ("PATCH", "/api/v1/support/tickets/{number}"): ("support",),
    ("GET", "/staff/support"): ("support",),
    ("GET", "/staff/support/{number}"): ("support",),
    ("POST", "/staff/support/{number}/reply"): ("support",),
    ("POST", "/staff/support/{number}/note"): ("support",),
    ("POST", "/staff/support/{number}/update"): ("support",),
    # The disclosure register (issue 14): the roles acting for legal_obligation.
    ("GET", "/api/v1/disclosure/requests"): ("legal_obligation",),
    ("POST", "/api/v1/disclosure/requests"): ("legal_obligation",),
    ("GET", "/api/v1/disclosure/requests/{number}"): ("legal_obligation",),
    ("POST", "/api/v1/disclosure/requests/{number}/approve"): ("legal_obligation",),
    ("POST", "/api/v1/disclosure/requests/{number}/reject"): ("legal_obligation",),
    ("POST", "/api/v1/disclosure/requests/{number}/export"): ("legal_obligation",),
    ("GET", "/staff/disclosure"): ("legal_obligation",),
    ("POST", "/staff/disclosure"): ("legal_obligation",),
    ("GET", "/staff/disclosure/{number}"): ("legal_obligation",),
    ("POST", "/staff/disclosure/{number}/approve"): ("legal_obligation",),
    ("POST", "/staff/disclosure/{number}/reject"): ("legal_obligation",),
    ("POST", "/staff/disclosure/{number}/export"): ("legal_obligation",),
}

# Routes about the signed-in staff member's own account (StaffActor, no customer data).
STAFF_OWN_ACCOUNT: set[Route] = {
    ("GET", "/staff/account"), ("POST", "/staff/account/password"),
    ("POST", "/staff/account/sessions/{session_id}/revoke"),
    ("POST", "/staff/account/sessions/revoke-others"),
    ("POST", "/api/v1/staff/me/password"), ("GET", "/api/v1/staff/me/sessions"),
    ("DELETE", "/api/v1/staff/me/sessions/{session_id}"),
    ("POST", "/api/v1/staff/me/sessions/revoke-others"),
}  # fmt: skip

# Signed in as a customer: the guard's ``self`` purpose, own data only
# (tests/functional/test_customer_isolation.py proves the isolation).
CUSTOMER: set[Route] = {
    ("GET", "/api/v1/me/access-log"), ("GET", "/account/access-log"),
    ("GET", "/api/v1/me"), ("PATCH", "/api/v1/me"), ("POST", "/api/v1/me/email"),
    ("POST", "/api/v1/me/password"), ("GET", "/api/v1/me/sessions"),
    ("DELETE", "/api/v1/me/sessions/{session_id}"),
    ("POST", "/api/v1/me/sessions/revoke-others"), ("GET", "/api/v1/me/tokens"),
    ("POST", "/api/v1/me/tokens"), ("DELETE", "/api/v1/me/tokens/{token_id}"),
    ("POST", "/api/v1/me/mfa/totp"), ("POST", "/api/v1/me/mfa/totp/confirm"),
    ("POST", "/api/v1/me/mfa/recovery-codes"), ("POST", "/api/v1/me/mfa/disable"),
    ("POST", "/api/v1/me/reauth"), ("POST", "/account/security/reauth"),
    ("POST", "/api/v1/me/phone/confirm"), ("POST", "/account/phone/confirm"),
    ("GET", "/account"), ("POST", "/account/verify/resend"), ("GET", "/account/profile"),
    ("POST", "/account/profile"), ("POST", "/account/email"), ("GET", "/account/security"),
    ("POST", "/account/security/password"), ("POST", "/account/security/mfa/start"),
    ("POST", "/account/security/mfa/confirm"), ("POST", "/account/security/mfa/disable"),
    ("POST", "/account/security/recovery-codes"),
    ("POST", "/account/security/sessions/{session_id}/revoke"),
    ("POST", "/account/security/sessions/revoke-others"),
    ("POST", "/account/security/tokens"),
    ("POST", "/account/security/tokens/{token_id}/revoke"),
    ("POST", "/api/v1/services"), ("GET", "/api/v1/services"),
    ("POST", "/api/v1/services/{service_id}/terminate"), ("GET", "/api/v1/invoices"),
    ("GET", "/api/v1/invoices/{invoice_id}"), ("POST", "/api/v1/invoices/{invoice_id}/pay"),
    ("GET", "/api/v1/payments"), ("POST", "/api/v1/tax-certificates"),
    ("GET", "/api/v1/tax-certificates"), ("GET", "/api/v1/tax-certificates/{certificate_id}"),
    ("GET", "/billing"), ("POST", "/billing/order"), ("GET", "/billing/invoices/{invoice_id}"),
    ("GET", "/billing/invoices/{invoice_id}/pdf"), ("POST", "/billing/invoices/{invoice_id}/pay"),
    ("POST", "/billing/certificates"), ("GET", "/billing/certificates/{certificate_id}/pdf"),
    ("POST", "/api/v1/tickets"), ("GET", "/api/v1/tickets"), ("GET", "/api/v1/tickets/{number}"),
    ("POST", "/api/v1/tickets/{number}/replies"), ("POST", "/api/v1/tickets/{number}/close"),
    ("GET", "/support"), ("GET", "/support/new"), ("POST", "/support/new"),
    ("GET", "/support/{number}"), ("POST", "/support/{number}/reply"),
    ("POST", "/support/{number}/close"),
}  # fmt: skip

# No caller to check: sign-in, sign-up, the notice, health, the processor's signed
# webhook and the public certificate check. None of them reads a customer's record for
# whoever calls it.
PUBLIC: set[Route] = {
    ("GET", "/api/openapi.json"), ("GET", "/static"), ("GET", "/healthz"), ("GET", "/"),
    ("GET", "/privacy"), ("GET", "/api/v1/policy"), ("POST", "/api/v1/signup"),
    ("POST", "/api/v1/auth/verify-email"), ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/mfa"), ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/password-reset"), ("POST", "/api/v1/auth/password-reset/complete"),
    ("GET", "/signup"), ("POST", "/signup"), ("GET", "/signin"), ("POST", "/signin"),
    ("GET", "/signin/mfa"), ("POST", "/signin/mfa"), ("POST", "/signout"),
    ("GET", "/account/verify/{token}"), ("POST", "/account/verify"), ("GET", "/account/reset"),
    ("POST", "/account/reset"), ("GET", "/account/reset/{token}"),
    ("POST", "/account/reset/{token}"),
    ("GET", "/staff/login"), ("POST", "/staff/login"), ("GET", "/staff/login/mfa"),
    ("POST", "/staff/login/mfa"), ("POST", "/staff/signout"), ("GET", "/staff/enrol/{token}"),
    ("POST", "/staff/enrol/{token}"),
    # The single-use link mailed to the old address after an e-mail change: the token is
    # the caller's proof, and it only undoes that one change.
    ("POST", "/api/v1/auth/undo-email-change"), ("GET", "/account/undo-email/{token}"),
    ("POST", "/account/undo-email"),
    ("GET", "/api/v1/plans"), ("POST", "/api/v1/payments/webhook"),
    ("GET", "/api/v1/verify/{code}"), ("GET", "/verify/{code}"),
    # The transparency report: counts only, cells under the policy's k hidden (issue 14).
    ("GET", "/api/v1/transparency"), ("GET", "/transparency"),
}  # fmt: skip

# Dependencies that each sign in a customer (the last two add re-authentication rules).
CUSTOMER_CHECKS = (api_customer, page_customer, api_customer_recent, api_customer_session)

REFUSED = re.compile(r"The role &#39;\w+&#39; may not use this|The role '\w+' may not use this")


def _calls(dependant: Dependant) -> Iterator[object]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _routes(app: FastAPI) -> Iterator[tuple[Route, Any]]:
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path or getattr(route, "path", "")
        for method in sorted(context.methods or {"GET"}):
            if method != "HEAD":
                yield (method, path), route


def classify(app: FastAPI) -> tuple[dict[Route, tuple[str, ...]], list[str]]:
    """Each staff route's declared purposes, and every problem found over the whole app."""
    declared: dict[Route, tuple[str, ...]] = {}
    problems: list[str] = []
    for key, route in _routes(app):
        name = f"{key[0]} {key[1]}"
        calls = list(_calls(route.dependant)) if isinstance(route, APIRoute) else []
        gates = [c for c in calls if isinstance(c, StaffFor)]
        staff_only = api_staff in calls or page_staff in calls
        customer = any(c in calls for c in CUSTOMER_CHECKS)
        if gates:
            declared[key] = tuple(p for gate in gates for p in gate.purposes)
        if key in STAFF:
            if len(gates) != 1:
                problems.append(f"{name}: a staff route without exactly one StaffFor")
            elif declared[key] != STAFF[key]:
                problems.append(f"{name}: declares {declared[key]}, expected {STAFF[key]}")
        elif staff_only and key not in STAFF_OWN_ACCOUNT:
            problems.append(f"{name}: checks only 'is staff'; declare StaffFor(purpose)")
        elif key in CUSTOMER:
            if not customer or gates or staff_only:
                problems.append(f"{name}: classified customer, but no customer check")
        elif key in PUBLIC:
            if customer or gates or staff_only:
                problems.append(f"{name}: classified public, but it checks a caller")
        elif key not in STAFF_OWN_ACCOUNT:
            problems.append(f"{name}: not classified; add it to a table in this test")
    seen = {key for key, _ in _routes(app)}
    for stale in sorted((set(STAFF) | CUSTOMER | PUBLIC | STAFF_OWN_ACCOUNT) - seen):
        problems.append(f"{stale[0]} {stale[1]}: classified here but not in the app")
    return declared, problems


def _listing_app() -> Iterator[FastAPI]:
    with tempfile.TemporaryDirectory() as data:
        runtime = build_runtime(Settings(environment="test", data_dir=Path(data)))
        try:
            yield create_app(runtime)
        finally:
            runtime.close()


def allowed(policy: Policy, purposes: tuple[str, ...]) -> set[str]:
    return {
        role.id
        for role in policy.staff_roles
        if (set(role.purposes) & set(purposes)) or (not purposes and role.purposes)
    }


def test_every_route_is_classified_and_every_staff_route_names_its_purpose() -> None:
    for app in _listing_app():
        declared, problems = classify(app)
        assert problems == []
        assert declared == STAFF
        policy = app.state.runtime.policy
        assert {p for ps in STAFF.values() for p in ps} <= set(policy.purpose_ids)
        # The billing console is the billing officers' alone (F-02).
        assert allowed(policy, STAFF[("POST", "/api/v1/billing/statements")]) == {"billing_officer"}
        # The disclosure register is the data protection officers' and legal counsel's alone.
        assert allowed(policy, STAFF[("POST", "/api/v1/disclosure/requests")]) == {
            "data_protection_officer", "legal",
        }  # fmt: skip


def test_a_route_that_checks_only_is_staff_fails_the_classification() -> None:
    for app in _listing_app():
        sneaky = APIRouter()

        @sneaky.get("/api/v1/billing/sneaky")
        def sneaky_route(actor: StaffActor) -> str:
            return actor.role

        app.include_router(sneaky)
        _, problems = classify(app)
        assert problems == [
            "GET /api/v1/billing/sneaky: checks only 'is staff'; declare StaffFor(purpose)"
        ]


def _page_cookie(runtime: Runtime, handle: StaffHandle) -> tuple[str, str]:
    name, _, value = staff_page_cookie(runtime, handle)["Cookie"].partition("=")
    return name, value


def test_every_staff_route_refuses_every_role_the_policy_does_not_give_its_purpose(
    client: Any, runtime: Runtime
) -> None:
    """One request per staff route and staff role: a page as a signed-in browser (session
    cookie and form token), an API route with the role's API token."""
    handles = {role.id: create_staff(runtime, role.id) for role in runtime.policy.staff_roles}
    cookies = {r: _page_cookie(runtime, h) for r, h in handles.items()}
    wrong: list[str] = []
    for (method, path), purposes in STAFF.items():
        url = re.sub(r"\{[a-z_]+\}", "x", path)
        may = allowed(runtime.policy, purposes)
        for role, handle in handles.items():
            client.cookies.clear()
            if path.startswith("/api/"):
                response = client.request(
                    method, url, headers={"Authorization": f"Bearer {handle.api_token}"},
                    json={} if method != "GET" else None,
                )  # fmt: skip
            else:
                name, value = cookies[role]
                form = {"csrf_token": runtime.vault.hash_token("csrf|s|" + value)}
                response = client.request(
                    method, url, headers={"Cookie": f"{name}={value}"},
                    data=form if method == "POST" else None, follow_redirects=False,
                )  # fmt: skip
            refused = response.status_code == 403 and REFUSED.search(response.text) is not None
            if role in may and refused:
                wrong.append(f"{method} {path} as {role}: refused, but the policy allows it")
            elif role not in may and not refused:
                wrong.append(f"{method} {path} as {role}: HTTP {response.status_code}, not 403")
    assert wrong == []
    # Billing's doors were really tried with a role that may not pass them.
    assert "marketing" not in allowed(runtime.policy, ("billing",))


def test_a_role_without_the_billing_purpose_cannot_read_or_feed_the_reconciliation_queue(
    client: Any, runtime: Runtime
) -> None:
    """F-02: marketing planted a bank credit in the billing officers' queue and read it."""
    marketing = create_staff(runtime, "marketing")
    officer = create_staff(runtime, "billing_officer")
    statement = "date,amount,reference,transaction_id\n2025-09-03,100.00,PLANTED-1,TX-PLANT\n"
    as_marketing = {"Authorization": f"Bearer {marketing.api_token}"}
    planted = client.post(
        "/api/v1/billing/statements", json={"source": "bank", "csv": statement},
        headers=as_marketing,
    )  # fmt: skip
    assert planted.status_code == 403
    assert "may not use this: it is for billing" in planted.json()["message"]
    assert client.get("/api/v1/billing/reconciliation", headers=as_marketing).status_code == 403
    with runtime.uow() as uow:
        assert reconciliation.queue(uow) == []
    name, value = _page_cookie(runtime, marketing)
    client.cookies.clear()
    page = client.get("/staff/billing", headers={"Cookie": f"{name}={value}"})
    assert page.status_code == 403 and "TX-PLANT" not in page.text
    form = {"source": "bank", "csv": statement,
            "csrf_token": runtime.vault.hash_token("csrf|s|" + value)}  # fmt: skip
    posted = client.post(
        "/staff/billing/statements", data=form, headers={"Cookie": f"{name}={value}"}
    )
    assert posted.status_code == 403
    with runtime.uow() as uow:
        assert reconciliation.queue(uow) == []
    # The billing officer's same request is taken.
    as_officer = {"Authorization": f"Bearer {officer.api_token}"}
    imported = client.post(
        "/api/v1/billing/statements", json={"source": "bank", "csv": statement},
        headers=as_officer,
    )  # fmt: skip
    assert imported.status_code == 201, imported.text
    queued = client.get("/api/v1/billing/reconciliation", headers=as_officer)
    assert [line["transaction_id"] for line in queued.json()] == ["TX-PLANT"]


def test_the_console_refuses_a_purpose_the_role_does_not_hold(
    client: Any, runtime: Runtime
) -> None:
    """Routes whose purpose is named per request: the guard refuses each role a purpose the
    policy does not give it, by API header and by console form."""
    customer = create_customer(runtime, email="console.matrix@example.pk")
    for role in runtime.policy.staff_roles:
        handle = create_staff(runtime, role.id)
        lacking = next(p for p in runtime.policy.purpose_ids if p not in role.purposes)
        headers = {"Authorization": f"Bearer {handle.api_token}", "X-Access-Purpose": lacking}
        client.cookies.clear()
        searched = client.post(
            "/api/v1/customers/search", json={"email": "console.matrix@example.pk"}, headers=headers
        )
        read = client.get(f"/api/v1/customers/{customer}", headers=headers)
        name, value = _page_cookie(runtime, handle)
        form = {"csrf_token": runtime.vault.hash_token("csrf|s|" + value), "kind": "email",
                "identifier": "console.matrix@example.pk", "purpose": lacking}  # fmt: skip
        page = client.post(
            "/staff/customers/search", data=form, headers={"Cookie": f"{name}={value}"}
        )
        assert (searched.status_code, read.status_code, page.status_code) == (403, 403, 403), (
            role.id,
            lacking,
        )
