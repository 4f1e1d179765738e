"""Approving and rejecting a registered request.

The policy's sharing rule for ``legal_obligation`` names how many approvals a request
needs (``approvals``, at least two) and the roles whose holders may give them
(``approvers``). Each approval is a different person; nobody approves a request they
registered; one rejection, with a written reason, ends the request.
"""

from __future__ import annotations

from sqlalchemy import select

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.core.errors import Conflict, Forbidden, Invalid, NotFound
from amanat.db.base import new_id
from amanat.db.uow import UnitOfWork
from amanat.disclosure.checker import effective_status
from amanat.disclosure.models import CATEGORY, DisclosureDecision, DisclosureRequest
from amanat.disclosure.parsing import format_number, parse_number
from amanat.disclosure.register import PURPOSE, by_number
from amanat.policy.model import SharingRule
from amanat.runtime import Runtime
from amanat.support.service import mask_cards

REASON_MIN, REASON_MAX = 10, 500
NO_SUCH_REQUEST = "There is no such request in the register; check the number (like D-1001)."


def sharing_rule(runtime: Runtime) -> SharingRule:
    rule = runtime.policy.sharing.rule(PURPOSE)
    if rule is None:  # the shipped policy has one; an operator's without it shares nothing
        raise Forbidden(
            "The policy allows no disclosure (sharing.allowed names no legal_obligation)."
        )
    return rule


def find_request(uow: UnitOfWork, reference: str) -> DisclosureRequest:
    request = by_number(uow, parse_number(reference))
    if request is None:
        raise NotFound(NO_SUCH_REQUEST)
    return request


def approvals(uow: UnitOfWork, request: DisclosureRequest) -> list[DisclosureDecision]:
    return list(
        uow.session.scalars(
            select(DisclosureDecision)
            .where(DisclosureDecision.request_id == request.id)
            .order_by(DisclosureDecision.decided_at, DisclosureDecision.id)
        )
    )


def _check_approver(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, request: DisclosureRequest, verb: str
) -> SharingRule:
    runtime.guard.check_role(uow, actor, PURPOSE)
    rule = sharing_rule(runtime)
    if actor.role not in rule.approvers:
        titles = ", ".join(runtime.policy.role(r).title for r in rule.approvers)
        raise Forbidden(f"Only {titles} may {verb} a disclosure request.")
    status = effective_status(request, runtime.clock.now().date())
    if status not in ("registered", "approved") or (verb == "approve" and status != "registered"):
        raise Conflict(
            f"Request {format_number(request.number)} is {status}; it can no longer be "
            f"{'approved' if verb == 'approve' else 'rejected'}."
        )
    return rule


def approve_request(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, reference: str
) -> DisclosureRequest:
    """One approver approves; the request is ``approved`` once the policy's number of
    different people have.

    Callers: staff holding a role the policy names as approver, through the console or
    the API. Records disclosure.approved (which approval this is, of how many). Raises
    NotFound, AccessDenied (role or training), Forbidden (not an approver, or the
    registrar), Conflict (already decided by this person, or no longer open).
    """
    request = find_request(uow, reference)
    rule = _check_approver(uow, runtime, actor, request, "approve")
    if actor.id == request.registered_by:
        raise Forbidden("Nobody approves a request they registered; ask another approver.")
    decided = approvals(uow, request)
    if any(d.staff_id == actor.id for d in decided):
        raise Conflict("You have decided on this request already; another approver must.")
    now = runtime.clock.now()
    uow.session.add(
        DisclosureDecision(
            id=new_id(), request_id=request.id, staff_id=actor.id, role=actor.role,
            decision="approve", decided_at=now,
        )
    )  # fmt: skip
    given = sum(1 for d in decided if d.decision == "approve") + 1
    if given >= rule.approvals:
        request.status, request.decided_at = "approved", now
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.DISCLOSURE_APPROVED, actor, purpose=PURPOSE,
        reference=format_number(request.number),
        details={"request": request.id, "approval": given, "of": rule.approvals,
                 "status": request.status},
    )  # fmt: skip
    return request


def reject_request(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, reference: str, reason: str
) -> DisclosureRequest:
    """An approver rejects the request with a written reason (10 to 500 characters,
    card-masked, encrypted under the request); final, whatever approvals came before.

    Callers: staff holding an approver role (the registrar too: withdrawing it), before
    the export. Records disclosure.rejected. Raises NotFound, AccessDenied, Forbidden,
    Conflict (already rejected, disclosed or expired), Invalid (the reason).
    """
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    if not REASON_MIN <= len(text) <= REASON_MAX:
        raise Invalid(
            f"Write why the request is rejected ({REASON_MIN} to {REASON_MAX} characters).",
            fields={"reason": f"{REASON_MIN} to {REASON_MAX} characters."},
        )
    request = find_request(uow, reference)
    _check_approver(uow, runtime, actor, request, "reject")
    decided = approvals(uow, request)
    mine = next((d for d in decided if d.staff_id == actor.id), None)
    if mine is not None and mine.decision == "reject":
        raise Conflict("You have rejected this request already.")
    masked = mask_cards(text)
    now = runtime.clock.now()
    decision = mine or DisclosureDecision(id=new_id(), request_id=request.id, staff_id=actor.id)
    decision.role, decision.decision, decision.decided_at = actor.role, "reject", now
    access = runtime.guard.open(
        uow, actor, request.id, PURPOSE, writes={CATEGORY},
        reference=format_number(request.number),
    )  # fmt: skip
    decision.reason_ct = access.write(
        "disclosure_decisions", "reason_ct", decision.id, CATEGORY, masked.text
    )
    if mine is None:
        uow.session.add(decision)
    request.status, request.decided_at = "rejected", now
    request.cards_redacted += masked.cards
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.DISCLOSURE_REJECTED, actor, purpose=PURPOSE,
        reference=format_number(request.number),
        details={"request": request.id, "cards_redacted": masked.cards},
    )  # fmt: skip
    return request
