"""The demo seeder: idempotent, one staff member per staff role, usable sign-ins."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from amanat.accounts.demo import seed_accounts
from amanat.customers.models import Customer
from amanat.staff.demo import seed_staff
from amanat.staff.models import StaffMember


def test_demo_seeder_is_idempotent_and_prints_a_sign_in_per_staff_role(runtime: Any) -> None:
    first = seed_accounts(runtime) + seed_staff(runtime)
    second = seed_accounts(runtime) + seed_staff(runtime)
    assert first == second  # the same keys are printed again, nothing new is made
    with runtime.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Customer)) == 1
        roles = set(uow.session.scalars(select(StaffMember.role)).all())
    staff_roles = {r.id for r in runtime.policy.roles if r.staff}
    assert roles == staff_roles
    text = "\n".join(first)
    for role in staff_roles:
        assert role in text
    assert "TOTP key" in text and "/staff/login" in text
