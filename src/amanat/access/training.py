"""Security training of staff: recording it, and whether it is current.

The policy says, per role, whether training is required and how long it stays valid
(``training: {required: true, valid_for: P1Y}``). The guard refuses personal data to a
staff member whose latest recorded training is missing or older than that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amanat.access.models import StaffTraining
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.core.clock import Clock
from amanat.core.errors import Invalid
from amanat.db.base import new_id
from amanat.db.uow import UnitOfWork
from amanat.policy.model import Role

TrainingState = Literal["not_required", "current", "lapsed", "missing"]

HOW_TO_FIX = (
    "complete the security training and ask an administrator to record it with "
    "`amanat staff train EMAIL --completed YYYY-MM-DD`"
)


@dataclass(frozen=True)
class TrainingStatus:
    state: TrainingState
    completed_on: date | None = None
    valid_until: date | None = None

    @property
    def allows_personal_data(self) -> bool:
        return self.state in ("not_required", "current")

    def describe(self) -> str:
        """One line for `amanat staff list`."""
        if self.state == "not_required":
            return "not required"
        if self.state == "missing":
            return "missing"
        assert self.completed_on is not None and self.valid_until is not None
        verb = "valid until" if self.state == "current" else "lapsed on"
        return f"{self.completed_on.isoformat()} ({verb} {self.valid_until.isoformat()})"

    def refusal(self, role_id: str) -> str:
        """The sentence a refused staff member reads: what is wrong and how to fix it."""
        if self.state == "missing":
            return (
                f"Your security training is not on record, so the role '{role_id}' may not "
                f"see personal data yet; {HOW_TO_FIX}."
            )
        assert self.valid_until is not None
        return (
            f"Your security training lapsed on {self.valid_until.isoformat()}, so the role "
            f"'{role_id}' may not see personal data; {HOW_TO_FIX}."
        )


def latest_completion(session: Session, staff_id: str) -> date | None:
    return session.scalar(
        select(func.max(StaffTraining.completed_on)).where(StaffTraining.staff_id == staff_id)
    )


def status_for(role: Role, completed_on: date | None, today: date) -> TrainingStatus:
    if role.training is None or not role.training.required:
        return TrainingStatus("not_required", completed_on)
    if completed_on is None:
        return TrainingStatus("missing")
    start = datetime.combine(completed_on, time(), tzinfo=UTC)
    valid_until = role.training.validity.after(start).date()
    state: TrainingState = "current" if today <= valid_until else "lapsed"
    return TrainingStatus(state, completed_on, valid_until)


def training_status(session: Session, role: Role, staff_id: str, today: date) -> TrainingStatus:
    """The training state of one staff member in one role (for `staff list` and pages)."""
    return status_for(role, latest_completion(session, staff_id), today)


def record_training(
    uow: UnitOfWork, clock: Clock, actor: Actor, staff_id: str, completed_on: date
) -> StaffTraining:
    """Record that staff member ``staff_id`` completed security training on ``completed_on``.

    Callers: `amanat staff train` (an operator, as ``Actor.system("cli")``) or an
    administrator. Records staff.training_recorded. Raises Invalid for a date in the
    future. Records are only added, never changed: the latest completion counts.
    """
    today = clock.now().date()
    if completed_on > today:
        raise Invalid(
            f"The completion date {completed_on.isoformat()} is in the future; give the day "
            "the training was completed.",
            fields={"completed": "must not be in the future"},
        )
    row = StaffTraining(
        id=new_id(),
        staff_id=staff_id,
        completed_on=completed_on,
        recorded_at=clock.now(),
        recorded_by=str(actor),
    )
    uow.session.add(row)
    uow.session.flush()
    audit.record(
        uow, clock, Event.STAFF_TRAINING_RECORDED, actor,
        details={"staff_id": staff_id, "completed_on": completed_on.isoformat()},
    )  # fmt: skip
    return row


def training_overview(
    session: Session, roles: dict[str, Role], staff: list[tuple[str, str]], today: date
) -> dict[str, TrainingStatus]:
    """Training state of many staff members at once: ``staff`` is (staff id, role id).

    Callers: `amanat staff list`. Reads training records only (no personal data).
    """
    ids = [staff_id for staff_id, _ in staff]
    latest = dict(
        session.execute(
            select(StaffTraining.staff_id, func.max(StaffTraining.completed_on))
            .where(StaffTraining.staff_id.in_(ids))
            .group_by(StaffTraining.staff_id)
        ).all()
    ) if ids else {}  # fmt: skip
    return {
        staff_id: status_for(roles[role], latest.get(staff_id), today)
        for staff_id, role in staff
        if role in roles
    }
