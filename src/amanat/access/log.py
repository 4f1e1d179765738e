"""A customer's access log: every granted access to their data, newest first.

Read from the audit chain (access.granted and access.break_glass events naming the
customer). Staff appear as "<role title> #<number>", the staff member's stable display
number, never their name; Amanat's own jobs as "Amanat (<job>)". Reads by the customer
themself are listed apart. The staff numbers come from the caller (governance asks the
staff domain), so the platform names no domain; so do the references to withhold for
now (disclosures under a non-disclosure order, until it ends).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping

from sqlalchemy import select

from amanat.access.schemas import AccessEntryOut, AccessLogOut
from amanat.audit.events import Event
from amanat.audit.models import AuditEvent
from amanat.core.actor import Actor
from amanat.db.uow import UnitOfWork
from amanat.policy.model import Policy

LIMIT = 500
_CODES = (str(Event.ACCESS_GRANTED), str(Event.ACCESS_BREAK_GLASS))

StaffNumbers = Callable[[UnitOfWork, Collection[str]], Mapping[str, int]]
"""(unit of work, staff ids) -> each id's stable display number."""


def access_log(
    uow: UnitOfWork,
    policy: Policy,
    actor: Actor,
    staff_numbers: StaffNumbers,
    *,
    limit: int = LIMIT,
    withheld: Collection[str] = (),
) -> AccessLogOut:
    """The signed-in customer's own access log (the latest ``limit`` accesses), leaving
    out accesses under a reference in ``withheld``.

    Callers: the customer (API and portal page); ``actor`` must be a customer, whose id
    is the only one read. Records nothing: it reads the audit log, not personal data.
    """
    if actor.kind != "customer":
        raise ValueError("only a customer has an access log of their own")
    rows = uow.session.execute(
        select(
            AuditEvent.at, AuditEvent.code, AuditEvent.actor_kind, AuditEvent.actor_id,
            AuditEvent.actor_role, AuditEvent.purpose, AuditEvent.categories,
            AuditEvent.reference,
        )
        .where(AuditEvent.customer_id == actor.id, AuditEvent.code.in_(_CODES))
        .order_by(AuditEvent.seq.desc())
        .limit(limit)
    ).all()  # fmt: skip
    if withheld:
        rows = [r for r in rows if r.reference not in withheld]
    staff_ids = {r.actor_id for r in rows if r.actor_kind == "staff"}
    numbers = staff_numbers(uow, staff_ids) if staff_ids else {}
    roles = {r.id: r.title for r in policy.roles}
    purposes = {p.id: p.title for p in policy.purposes}
    log = AccessLogOut(accesses=[], your_own=[])
    for row in rows:
        if row.actor_kind == "staff":
            number = numbers.get(row.actor_id)
            who = f"{roles.get(row.actor_role, row.actor_role)} #{number if number else '?'}"
        elif row.actor_kind == "system":
            who = f"Amanat ({row.actor_id.removeprefix('job:')})"
        else:
            who = "You"
        entry = AccessEntryOut(
            at=row.at,
            who=who,
            actor_kind=row.actor_kind,
            role=row.actor_role,
            purpose=row.purpose,
            purpose_title=purposes.get(row.purpose or ""),
            categories=json.loads(row.categories),
            reference=row.reference,
            break_glass=row.code == Event.ACCESS_BREAK_GLASS,
        )
        own = row.actor_kind == "customer" and row.actor_id == actor.id
        (log.your_own if own else log.accesses).append(entry)
    return log
