"""Recording audit events, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from amanat.access.actor import Actor
from amanat.audit.events import Event
from amanat.audit.models import AuditEvent
from amanat.core.clock import Clock
from amanat.db.uow import UnitOfWork

Outcome = Literal["allowed", "denied", "done", "failed"]


def record(
    uow: UnitOfWork,
    clock: Clock,
    code: Event,
    actor: Actor,
    *,
    customer_id: str | None = None,
    purpose: str | None = None,
    categories: Iterable[str] = (),
    reference: str | None = None,
    outcome: Outcome = "done",
    details: dict[str, object] | None = None,
) -> AuditEvent:
    """Append one event to the audit log within ``uow``'s transaction (flushed, not committed)."""
    event = AuditEvent(
        at=clock.now(),
        code=str(code),
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_role=actor.role,
        customer_id=customer_id,
        purpose=purpose,
        categories=sorted(set(categories)),
        reference=reference,
        outcome=outcome,
        details=details or {},
        note=None,
    )
    uow.session.add(event)
    uow.session.flush()
    return event
