"""Demo staff: one enrolled, trained staff member per staff role, with the demo password.

Idempotent: on a second run nothing is created and the same sign-ins are printed again
(the TOTP keys are read back through the guard). Every value is synthetic.
"""

from __future__ import annotations

from sqlalchemy import select

from amanat.access.training import record_training
from amanat.accounts import service as accounts
from amanat.core.actor import Actor
from amanat.runtime import Runtime
from amanat.staff import service as staff
from amanat.staff.models import StaffMember

DEMO = Actor.system("demo")


def seed_staff(runtime: Runtime) -> list[str]:
    lines = ["", "Staff console sign-in at /staff/login (second factor mandatory). Add the key to an",
             "authenticator app, or print the current code with:",
             "  .venv/bin/python -c \"import pyotp,sys; print(pyotp.TOTP(sys.argv[1]).now())\" KEY"]  # fmt: skip
    for role in staff.staff_roles(runtime):
        email = f"demo.{role.replace('_', '-')}@example.com"
        secret = _ensure_staff(runtime, email, role)
        lines.append(f"  {role:<24} {email} / {accounts.DEMO_PASSWORD}  TOTP key {secret}")
    return lines


def _ensure_staff(runtime: Runtime, email: str, role: str) -> str:
    with runtime.uow() as uow:
        index = runtime.guard.blind_index("account.username", email)
        member = uow.session.scalar(select(StaffMember).where(StaffMember.username_bidx == index))
        if member is not None:
            secret = accounts.totp_secret(uow, runtime, DEMO, member.id)
            uow.commit()
            return secret or "(not enrolled)"
        added = staff.add_staff(uow, runtime, email, role)
        enrolment = staff.begin_enrolment(uow, runtime, added.enrolment_token)
        code = accounts.totp_code_at(enrolment.secret, runtime.clock.now().timestamp())
        staff.complete_enrolment(uow, runtime, added.enrolment_token, accounts.DEMO_PASSWORD, code)
        record_training(uow, runtime.clock, DEMO, added.id, runtime.clock.now().date())
        uow.commit()
        return enrolment.secret
