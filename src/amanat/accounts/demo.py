"""Demo sign-ins: a verified customer and one enrolled, trained staff member per staff role.

Idempotent: on a second run nothing is created and the same sign-ins are printed again
(the staff TOTP keys are read back through the guard). Every value is synthetic.
"""

from __future__ import annotations

from sqlalchemy import select

from amanat.accounts import service as accounts
from amanat.accounts import tokens, totp
from amanat.accounts.models import Credential
from amanat.accounts.schemas import SignupIn
from amanat.core.actor import Actor
from amanat.customers import service as customers
from amanat.runtime import Runtime
from amanat.staff import service as staff
from amanat.staff.models import StaffMember

DEMO_EMAIL = "demo.customer@example.pk"
DEMO_PASSWORD = "violet harbour lantern 42"  # noqa: S105 -- a published demo credential


def seed_accounts(runtime: Runtime) -> list[str]:
    lines = ["", "Customer portal sign-in (a verified demo customer):"]
    lines.append(f"  {runtime.settings.resolved_public_url}/signin  {DEMO_EMAIL} / {DEMO_PASSWORD}")
    with runtime.uow() as uow:
        if customers.find_by_email(uow, runtime, DEMO_EMAIL) is None:
            body = SignupIn(
                kind="individual", name="Ayesha Demo", email=DEMO_EMAIL, phone="+92 300 0000001",
                cnic="35202-0000001-2", password=DEMO_PASSWORD,
                address={"line1": "House 7, Street 3", "line2": "G-9/1", "city": "Islamabad",
                         "province": "Islamabad Capital Territory", "postal_code": "44090"},
            )  # fmt: skip
            customer_id = accounts.sign_up(uow, runtime, body).raise_for_failure()
            _, token = tokens.issue_action_token(
                uow,
                runtime,
                action="verify_email",
                principal_kind="customer",
                principal_id=customer_id,
            )
            accounts.verify_email(uow, runtime, token)
        uow.commit()
    lines += ["", "Staff console sign-in at /staff/login (second factor mandatory). Add the key to an",
              "authenticator app, or print the current code with:",
              "  .venv/bin/python -c \"import pyotp,sys; print(pyotp.TOTP(sys.argv[1]).now())\" KEY"]  # fmt: skip
    for role in staff.staff_roles(runtime):
        email = f"demo.{role.replace('_', '-')}@example.com"
        secret = _ensure_staff(runtime, email, role)
        lines.append(f"  {role:<24} {email} / {DEMO_PASSWORD}  TOTP key {secret}")
    return lines


def _ensure_staff(runtime: Runtime, email: str, role: str) -> str:
    with runtime.uow() as uow:
        index = runtime.guard.blind_index("account.username", email)
        member = uow.session.scalar(select(StaffMember).where(StaffMember.username_bidx == index))
        if member is not None:
            credential = uow.session.get(Credential, member.id)
            access = runtime.guard.open(
                uow,
                Actor.system("demo"),
                member.id,
                "account_management",
                reads={"account.credentials"},
            )
            secret = access.read(
                "credentials", "totp_secret_ct", member.id, "account.credentials",
                credential.totp_secret_ct if credential else None,
            )  # fmt: skip
            uow.commit()
            return secret or "(not enrolled)"
        added = staff.add_staff(uow, runtime, email, role)
        enrolment = staff.begin_enrolment(uow, runtime, added.enrolment_token)
        code = totp.code_at(enrolment.secret, runtime.clock.now().timestamp())
        staff.complete_enrolment(uow, runtime, added.enrolment_token, DEMO_PASSWORD, code)
        from amanat.access.training import record_training

        record_training(
            uow, runtime.clock, Actor.system("demo"), added.id, runtime.clock.now().date()
        )
        uow.commit()
        return enrolment.secret
