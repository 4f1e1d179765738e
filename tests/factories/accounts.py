"""Customers, staff and tokens made through the real services, with synthetic data.

Every value is obviously fake (example.pk addresses, +92 300 numbers, 35202- CNICs). Each
created account costs one argon2 hash (sign-up or enrolment), nothing more.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from amanat.accounts import service as accounts
from amanat.accounts import tokens, totp
from amanat.accounts.schemas import SignupIn
from amanat.accounts.service import verify_email
from amanat.core.actor import Actor
from amanat.runtime import Runtime
from amanat.staff import service as staff

PASSWORD = "violet harbour lantern 42"
_numbers = itertools.count(1)


def _unique() -> int:
    return next(_numbers) + 1000 * (id(_numbers) % 997)


def signup_data(**overrides: Any) -> dict[str, Any]:
    """A valid sign-up body (as the API takes it) with unique e-mail, phone and CNIC."""
    n = _unique()
    data: dict[str, Any] = {
        "kind": "individual",
        "name": "Canary Testname",
        "email": f"canary.{n}@example.pk",
        "phone": f"+92 300 {n % 10_000_000:07d}",
        "cnic": f"35202-{n % 10_000_000:07d}-1",
        "address": {
            "line1": "House 1, Street 2",
            "line2": "Sector F-7",
            "city": "Islamabad",
            "province": "Islamabad Capital Territory",
            "postal_code": "44000",
        },
        "password": PASSWORD,
    }
    if overrides.get("kind") == "business":
        data["company"] = "Canary Testing (Pvt) Ltd"
        data["ntn"] = "1234567-8"
    data.update(overrides)
    return data


def create_customer(runtime: Runtime, *, verified: bool = True, **overrides: Any) -> str:
    """A customer made by the real sign-up service; verified through a real link unless told."""
    body = SignupIn.model_validate(signup_data(**overrides))
    with runtime.uow() as uow:
        customer_id = accounts.sign_up(uow, runtime, body).raise_for_failure()
        if verified:
            _, token = tokens.issue_action_token(
                uow, runtime, action="verify_email", principal_kind="customer",
                principal_id=customer_id,
            )  # fmt: skip
            verify_email(uow, runtime, token)
        uow.commit()
    return customer_id


def customer_api_token(
    runtime: Runtime, customer_id: str, scopes: tuple[str, ...] = ("read", "write")
) -> str:
    """A live API token (Bearer) for the customer."""
    with runtime.uow() as uow:
        created = tokens.create_api_token(
            uow, runtime, Actor.customer(customer_id), label="test script", scopes=list(scopes)
        )
        uow.commit()
    return created.token


@dataclass
class StaffHandle:
    id: str
    role: str
    email: str
    password: str
    totp_secret: str
    api_token: str
    recovery_codes: list[str] = field(default_factory=list)

    @property
    def actor(self) -> Actor:
        return Actor.staff(self.id, self.role)

    def totp_now(self, runtime: Runtime) -> str:
        """The code the staff member's app would show now (by the runtime's clock)."""
        return totp.code_at(self.totp_secret, runtime.clock.now().timestamp())


def create_staff(runtime: Runtime, role: str, *, trained: bool = True) -> StaffHandle:
    """An enrolled staff member (password + TOTP) with a staff API token; trained today
    unless ``trained=False``."""
    n = _unique()
    email = f"staff.{n}@example.com"
    with runtime.uow() as uow:
        added = staff.add_staff(uow, runtime, email, role)
        enrolment = staff.begin_enrolment(uow, runtime, added.enrolment_token)
        code = totp.code_at(enrolment.secret, runtime.clock.now().timestamp())
        codes = staff.complete_enrolment(uow, runtime, added.enrolment_token, PASSWORD, code)
        actor = Actor.staff(added.id, role)
        created = tokens.create_api_token(
            uow, runtime, actor, label="test script", scopes=["read", "write"]
        )
        if trained:
            _record_training(uow, runtime, added.id)
        uow.commit()
    return StaffHandle(added.id, role, email, PASSWORD, enrolment.secret, created.token, codes)


def _record_training(uow: Any, runtime: Runtime, staff_id: str) -> None:
    try:
        from amanat.access.training import record_training
    except ImportError:  # the guard issue's training records have not landed yet
        return
    record_training(uow, runtime.clock, Actor.system("tests"), staff_id, runtime.clock.now().date())


def staff_page_cookie(runtime: Runtime, handle: StaffHandle) -> dict[str, str]:
    """A signed-in staff browser (second factor done) as a Cookie header, and its form
    token; for tests that visit console pages as many roles without the sign-in pages."""
    from amanat.accounts import sessions
    from amanat.web.client import ClientInfo
    from amanat.web.cookies import cookie_name

    with runtime.uow() as uow:
        new, _ = sessions.create_session(
            uow, runtime, principal_kind="staff", principal_id=handle.id, role=handle.role,
            mfa_done=True, client=ClientInfo("127.0.0.1", "Mozilla/5.0 (X11; Linux x86_64)"),
        )  # fmt: skip
        uow.commit()
    return {
        "Cookie": f"{cookie_name(runtime, 'staff')}={new.token}",
        "csrf_token": runtime.vault.hash_token("csrf|s|" + new.token),
    }
