"""Staff accounts: added by an operator with a role from the policy, enrolled through a
single-use link (password and TOTP together), signed in with MFA, removed.

A staff member's sign-in name (work e-mail) is ``account.username``, encrypted under
their own key (they are the key owner) and found by its blind index. Reading it for a
list is an access by the staff-administration job, audited by the guard.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from amanat.accounts import service as accounts
from amanat.accounts.service import SignInOutcome
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.core.errors import Conflict, Invalid, NotFound
from amanat.db.base import new_id
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.staff.models import StaffMember
from amanat.vault.normalise import normalise_email
from amanat.web.client import ClientInfo

T = "staff_members"
ADMIN = Actor.system("staff_admin")
FIX = "Some fields need fixing; see each field."


@dataclass(frozen=True)
class StaffView:
    id: str
    number: int
    role: str
    status: str
    email: str
    created_at: datetime
    enrolled_at: datetime | None


@dataclass(frozen=True)
class AddedStaff:
    id: str
    enrolment_token: str
    enrolment_url: str


def staff_roles(runtime: Runtime) -> list[str]:
    return [role.id for role in runtime.policy.roles if role.staff]


def _index(runtime: Runtime, email: str) -> bytes:
    return runtime.guard.blind_index("account.username", email)


def add_staff(uow: UnitOfWork, runtime: Runtime, email: str, role: str) -> AddedStaff:
    """Create a staff account in a policy role and a single-use enrolment link (7 days).

    Callers: the operator (``amanat staff add``). Records staff.added. Raises Invalid for
    a malformed e-mail or a role the policy lacks (listing the roles), Conflict when the
    address already has a staff account.
    """
    try:
        normalised = normalise_email(email)
    except ValueError as exc:
        raise Invalid(str(exc), fields={"email": str(exc)}) from exc
    roles = staff_roles(runtime)
    if role not in roles:
        message = f"Choose a staff role from the policy: {', '.join(roles)}."
        raise Invalid(message, fields={"role": message})
    bidx = _index(runtime, normalised)
    if uow.session.scalar(select(StaffMember.id).where(StaffMember.username_bidx == bidx)):
        raise Conflict("This address already has a staff account; `amanat staff list` shows it.")
    number = (uow.session.scalar(select(func.max(StaffMember.number))) or 0) + 1
    member = StaffMember(
        id=new_id(), number=number, role=role, status="invited", created_at=runtime.clock.now()
    )
    access = runtime.guard.open(
        uow, ADMIN, member.id, "account_management", writes={"account.username"}
    )
    member.username_ct = access.write(T, "username_ct", member.id, "account.username", normalised)
    member.username_bidx = bidx
    uow.session.add(member)
    uow.session.flush()
    _, token = accounts.issue_action_token(
        uow, runtime, action="staff_enrol", principal_kind="staff", principal_id=member.id
    )
    audit.record(
        uow, runtime.clock, Event.STAFF_ADDED, ADMIN, details={"staff": member.id, "role": role}
    )
    url = f"{runtime.settings.resolved_public_url}/staff/enrol/{token}"
    return AddedStaff(member.id, token, url)


def staff_email(uow: UnitOfWork, runtime: Runtime, staff_id: str) -> str:
    member = uow.session.get(StaffMember, staff_id)
    if member is None:
        raise NotFound("There is no such staff member.")
    access = runtime.guard.open(
        uow, ADMIN, staff_id, "account_management", reads={"account.username"}
    )
    return access.read(T, "username_ct", staff_id, "account.username", member.username_ct) or ""


def active_role(uow: UnitOfWork, staff_id: str) -> str | None:
    """The role of the staff member with this id while they are active; None for anyone
    else (removed, unknown). Reads no personal data."""
    member = uow.session.get(StaffMember, staff_id)
    return member.role if member is not None and member.status == "active" else None


def _enrolment_member(uow: UnitOfWork, runtime: Runtime, token: str) -> StaffMember:
    row = accounts.peek_action_token(uow, runtime, "staff_enrol", token)
    member = uow.session.get(StaffMember, row.principal_id) if row is not None else None
    if member is None or member.status != "invited":
        raise Invalid("This enrolment link is not valid any more; ask the operator for a new one.")
    return member


def begin_enrolment(uow: UnitOfWork, runtime: Runtime, token: str) -> accounts.Enrolment:
    """The TOTP secret and QR code for an enrolment link (the same one until enrolment ends).

    Callers: whoever holds the link. Raises Invalid for a spent or expired link.
    """
    member = _enrolment_member(uow, runtime, token)
    label = f"staff #{member.number}"
    pending = accounts.pending_enrolment(uow, runtime, member.id, label)
    return pending or accounts.start_enrolment(uow, runtime, member.id, "staff", label)


def complete_enrolment(
    uow: UnitOfWork, runtime: Runtime, token: str, password: str, code: str
) -> list[str]:
    """Set the password and confirm the TOTP factor; spends the link, activates the account
    and returns the recovery codes (shown once).

    Records staff.enrolled (and account.mfa_enabled). Raises Invalid naming the field.
    """
    member = _enrolment_member(uow, runtime, token)
    email = staff_email(uow, runtime, member.id)
    problem = accounts.password_problem(password, email=email)
    if problem:
        raise Invalid(FIX, fields={"password": problem})
    actor = Actor.staff(member.id, member.role)
    codes = accounts.confirm_enrolment(uow, runtime, actor, code)
    accounts.use_action_token(uow, runtime, "staff_enrol", token)
    accounts.set_password(uow, runtime, member.id, password)
    member.status = "active"
    member.enrolled_at = runtime.clock.now()
    uow.session.flush()
    audit.record(uow, runtime.clock, Event.STAFF_ENROLLED, actor, details={"staff": member.id})
    return codes


def sign_in_staff(
    uow: UnitOfWork, runtime: Runtime, email: str, password: str, client: ClientInfo
) -> SignInOutcome:
    """Staff sign-in at /staff/login: the customers' machinery, with MFA mandatory.

    Only active (enrolled) staff can sign in; every other case gets the same answer.
    """
    try:
        name = normalise_email(email)
    except ValueError:
        name = " ".join(email.split()).casefold()[:320]
    member = (
        uow.session.scalar(
            select(StaffMember).where(StaffMember.username_bidx == _index(runtime, name))
        )
        if name
        else None
    )
    active = member is not None and member.status == "active"
    return accounts.sign_in_principal(
        uow, runtime, principal_kind="staff", principal_id=member.id if member and active else None,
        role=member.role if member else "staff", sign_in_name=name, password=password, client=client,
    )  # fmt: skip


def list_staff(
    uow: UnitOfWork, runtime: Runtime, *, include_removed: bool = False
) -> list[StaffView]:
    """Every staff member with role, status and sign-in name (read by the admin job, audited)."""
    query = select(StaffMember).order_by(StaffMember.number)
    if not include_removed:
        query = query.where(StaffMember.status != "removed")
    views = []
    for member in uow.session.scalars(query).all():
        email = (
            staff_email(uow, runtime, member.id) if member.username_ct is not None else "(removed)"
        )
        views.append(
            StaffView(
                member.id,
                member.number,
                member.role,
                member.status,
                email,
                member.created_at,
                member.enrolled_at,
            )
        )
    return views


def find_staff(uow: UnitOfWork, runtime: Runtime, email_or_id: str) -> StaffMember:
    """By id or by e-mail. Raises NotFound with what to do."""
    member = uow.session.get(StaffMember, email_or_id.strip())
    if member is None:
        try:
            bidx = _index(runtime, normalise_email(email_or_id))
        except ValueError:
            bidx = None
        if bidx is not None:
            member = uow.session.scalar(
                select(StaffMember).where(StaffMember.username_bidx == bidx)
            )
    if member is None or member.status == "removed":
        raise NotFound("There is no such staff member; `amanat staff list` shows them.")
    return member


def remove_staff(uow: UnitOfWork, runtime: Runtime, email_or_id: str) -> str:
    """Remove a staff member: sessions, tokens and credentials deleted at once; the record
    stays (status removed, sign-in name cleared) so that audit references still resolve.

    Callers: the operator. Records staff.removed. Raises NotFound.
    """
    member = find_staff(uow, runtime, email_or_id)
    email = staff_email(uow, runtime, member.id)
    accounts.forget_principal(uow, member.id)
    accounts.clear_sign_in_limits(uow, runtime, "staff", email, member.id)
    member.status = "removed"
    member.removed_at = runtime.clock.now()
    member.username_ct = None
    member.username_bidx = None
    uow.session.flush()
    audit.record(uow, runtime.clock, Event.STAFF_REMOVED, ADMIN, details={"staff": member.id})
    return member.id


# -- queries for other domains (no personal data: numbers and roles only) -----------------


def staff_numbers(uow: UnitOfWork, staff_ids: Iterable[str]) -> dict[str, int]:
    """Each staff member's number (shown as "role #number", e.g. in a customer's access log)."""
    wanted = set(staff_ids)
    if not wanted:
        return {}
    query = select(StaffMember.id, StaffMember.number).where(StaffMember.id.in_(wanted))
    return {row[0]: row[1] for row in uow.session.execute(query)}


def display_names(uow: UnitOfWork, runtime: Runtime, staff_ids: Iterable[str]) -> dict[str, str]:
    """What a customer sees for each staff member: their role's title and number."""
    titles = {role.id: role.title for role in runtime.policy.roles}
    query = select(StaffMember.id, StaffMember.role, StaffMember.number).where(
        StaffMember.id.in_(set(staff_ids))
    )
    return {row[0]: f"{titles.get(row[1], row[1])} #{row[2]}" for row in uow.session.execute(query)}
