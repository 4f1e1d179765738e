"""The staff domain's findings for `amanat doctor`: security training of every staff member."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from amanat.access.training import training_overview
from amanat.registration import Finding
from amanat.runtime import Runtime
from amanat.staff.models import StaffMember


def security_training(runtime: Runtime) -> Iterator[Finding]:
    roles = {r.id: r for r in runtime.policy.roles}
    with runtime.uow() as uow:
        staff = uow.session.execute(
            select(StaffMember.id, StaffMember.number, StaffMember.role)
            .where(StaffMember.status != "removed")
            .order_by(StaffMember.number)
        ).all()
        states = training_overview(
            uow.session, roles, [(s.id, s.role) for s in staff if s.role in roles],
            runtime.clock.now().date(),
        )  # fmt: skip
    lapsed = [
        f"#{s.number} {s.role} ({states[s.id].describe()})"
        for s in staff
        if s.id in states and not states[s.id].allows_personal_data
    ]
    if lapsed:
        yield Finding(
            "staff training", "security training", "off",
            f"{len(lapsed)} refused personal data until trained: {'; '.join(lapsed)}; record "
            "it with `amanat staff train EMAIL --completed YYYY-MM-DD`",
        )  # fmt: skip
    else:
        yield Finding(
            "staff training", "security training", "ok",
            f"{len(staff)} staff member(s), none lapsed",
        )  # fmt: skip
