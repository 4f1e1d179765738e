"""Demo sign-in of the portal: a verified customer with a published password.

Idempotent: on a second run nothing is created and the same sign-in is printed again.
Every value is synthetic. The staff sign-ins are the staff domain's (amanat.staff.demo).
"""

from __future__ import annotations

from amanat.accounts import signup, tokens
from amanat.accounts.schemas import SignupIn
from amanat.customers import service as customers
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

DEMO_EMAIL = "demo.customer@example.pk"
DEMO_PASSWORD = "violet harbour lantern 42"  # noqa: S105 -- a published demo credential


def ensure_demo_customer(uow: UnitOfWork, runtime: Runtime) -> str:
    """The demo customer's id, signed up and verified on first use (idempotent)."""
    existing = customers.find_by_email(uow, runtime, DEMO_EMAIL)
    if existing is not None:
        return existing.id
    body = SignupIn(
        kind="individual", name="Ayesha Demo", email=DEMO_EMAIL, phone="+92 300 0000001",
        cnic="35202-0000001-2", password=DEMO_PASSWORD,
        address={"line1": "House 7, Street 3", "line2": "G-9/1", "city": "Islamabad",
                 "province": "Islamabad Capital Territory", "postal_code": "44090"},
    )  # fmt: skip
    customer_id = signup.sign_up(uow, runtime, body).raise_for_failure()
    _, token = tokens.issue_action_token(
        uow, runtime, action="verify_email", principal_kind="customer", principal_id=customer_id
    )
    signup.verify_email(uow, runtime, token)
    return customer_id


def seed_accounts(runtime: Runtime) -> list[str]:
    lines = ["", "Customer portal sign-in (a verified demo customer):"]
    lines.append(f"  {runtime.settings.resolved_public_url}/signin  {DEMO_EMAIL} / {DEMO_PASSWORD}")
    with runtime.uow() as uow:
        ensure_demo_customer(uow, runtime)
        uow.commit()
    return lines
