"""Disclosures the law makes periodic (the policy's ``sharing.statutory``), such as the
s.165 withholding statement to FBR: each period's filing is a request in the register,
approved like any other, and produced only once approved.

The producing domain (billing, for s.165) asks ``statutory_request`` for the period's
filing: the live one, or a new one when there is none, or the last was rejected, has
expired or was filed already (filing again is a new disclosure). It then reads each
customer through the guard under the filing's number and hands what it made to
``record_statutory_export``, which packages, signs, records and tells, as for any request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from amanat.core.actor import Actor
from amanat.core.errors import Conflict, Forbidden
from amanat.db.uow import UnitOfWork
from amanat.disclosure.checker import effective_status
from amanat.disclosure.decisions import approvals, find_request, sharing_rule
from amanat.disclosure.export import Package, record_export
from amanat.disclosure.models import DisclosureRequest
from amanat.disclosure.notices import scope_rows
from amanat.disclosure.parsing import format_number
from amanat.disclosure.register import RequestForm, register_request
from amanat.policy.model import Statutory
from amanat.runtime import Runtime


@dataclass(frozen=True)
class StatutoryFiling:
    number: str
    status: str  # registered, approved (rejected, expired and disclosed ones are replaced)
    approvals: int
    approvals_needed: int
    registered_now: bool


def statutory_entry(runtime: Runtime, statutory_id: str) -> Statutory:
    for entry in runtime.policy.sharing.statutory:
        if entry.id == statutory_id:
            return entry
    raise Forbidden(
        f"The policy declares no statutory disclosure '{statutory_id}' (sharing.statutory), "
        "so Amanat may not make it."
    )


def _deadline(entry: Statutory, period_to: date, today: date) -> date:
    end = datetime.combine(period_to + timedelta(days=1), time.min, UTC)
    due = entry.due_after.after(end).date()
    late = entry.due_after.after(datetime.combine(today, time.min, UTC)).date()
    return due if due >= today else late  # registered late: the same time from today


def statutory_request(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    *,
    statutory_id: str,
    period_label: str,
    period_from: date,
    period_to: date,
    customer_ids: list[str],
) -> StatutoryFiling:
    """This period's filing of ``statutory_id``: the open one, or one registered now.

    Callers: the domain producing the filing (billing's s.165 statement), as the staff
    member producing it. Records disclosure.registered when it registers. Raises
    Forbidden (the policy declares no such filing), AccessDenied, Conflict (the open
    filing covers other customers than the period now has: reject it, then run again).
    """
    entry = statutory_entry(runtime, statutory_id)
    key = f"{statutory_id}:{period_label}"
    latest = uow.session.scalar(
        select(DisclosureRequest)
        .where(DisclosureRequest.statutory_key == key)
        .order_by(DisclosureRequest.number.desc())
        .limit(1)
    )
    today = runtime.clock.now().date()
    needed = sharing_rule(runtime).approvals
    if latest is not None and effective_status(latest, today) in ("registered", "approved"):
        covered = {row.customer_id for row in scope_rows(uow, latest)}
        if covered != set(customer_ids):
            raise Conflict(
                f"Filing {format_number(latest.number)} covers other customers than "
                f"{period_label} has now; an approver rejects it, then run this again."
            )
        given = sum(d.decision == "approve" for d in approvals(uow, latest))
        return StatutoryFiling(
            format_number(latest.number), effective_status(latest, today), given, needed, False
        )
    form = RequestForm(
        authority=entry.authority, instrument=entry.instrument,
        legal_reference=f"{statutory_id} {period_label}", received_on=today,
        deadline=_deadline(entry, period_to, today), period_from=period_from,
        period_to=period_to, categories=frozenset(entry.reads), customers=(),
        notes=" ".join(entry.summary.split()),
    )  # fmt: skip
    request = register_request(
        uow, runtime, actor, form, statutory_key=key, customer_ids=customer_ids
    )
    return StatutoryFiling(format_number(request.number), "registered", 0, needed, True)


def record_statutory_export(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    reference: str,
    subjects: list[dict[str, Any]],
    extra: dict[str, bytes],
) -> Package:
    """Package, sign and record the filing the caller made under ``reference`` (read
    through the guard with it), and tell its customers. Records disclosure.exported.
    Raises NotFound, Conflict (not a statutory filing, or not approved)."""
    request = find_request(uow, reference)
    if request.statutory_key is None:
        raise Conflict(f"Request {reference} is not a statutory filing.")
    return record_export(uow, runtime, actor, request, subjects, extra)
