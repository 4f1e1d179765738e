"""Reading the register: the list (clear columns only) and one request in full (its
text decrypted through the guard, so each reading is an audited access)."""

from __future__ import annotations

from sqlalchemy import select

from amanat.core.actor import Actor
from amanat.db.uow import UnitOfWork
from amanat.disclosure.checker import effective_status
from amanat.disclosure.decisions import approvals, find_request, sharing_rule
from amanat.disclosure.models import CATEGORY, DisclosureRequest
from amanat.disclosure.notices import scope_rows
from amanat.disclosure.parsing import format_number
from amanat.disclosure.register import PURPOSE, authorities
from amanat.disclosure.schemas import DecisionOut, RequestDetailOut, RequestOut
from amanat.runtime import Runtime
from amanat.staff import service as staff

T = "disclosure_requests"
LIMIT = 200


def _out(
    runtime: Runtime, request: DisclosureRequest, approved: int, names: dict[str, str]
) -> RequestOut:
    return RequestOut(
        number=format_number(request.number), authority=request.authority,
        authority_title=authorities(runtime).get(request.authority, request.authority),
        status=effective_status(request, runtime.clock.now().date()),
        statutory=request.statutory_key is not None, received_on=request.received_on,
        deadline=request.deadline, period_from=request.period_from, period_to=request.period_to,
        categories=list(request.categories), customers=request.customers,
        unmatched=request.unmatched, nondisclosure_until=request.nondisclosure_until,
        approvals=approved, approvals_needed=sharing_rule(runtime).approvals,
        registered_by=names.get(request.registered_by, "?"), registered_at=request.registered_at,
        disclosed_at=request.disclosed_at, manifest_sha256=request.manifest_sha256,
    )  # fmt: skip


def summary(uow: UnitOfWork, runtime: Runtime, request: DisclosureRequest) -> RequestOut:
    """One request without its text (after a verb changed it). Reads no personal data."""
    decided = approvals(uow, request)
    names = staff.display_names(uow, runtime, {request.registered_by})
    return _out(runtime, request, sum(d.decision == "approve" for d in decided), names)


def list_requests(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, *, status: str | None = None
) -> list[RequestOut]:
    """The newest requests (at most 200), without their text: for the roles acting for
    ``legal_obligation`` (and the operator's `amanat disclosure list`, ``actor`` system).
    Reads no personal data; records nothing. Raises AccessDenied (staff role, training)."""
    if actor.kind == "staff":
        runtime.guard.check_role(uow, actor, PURPOSE)
    requests = list(
        uow.session.scalars(
            select(DisclosureRequest).order_by(DisclosureRequest.number.desc()).limit(LIMIT)
        )
    )
    decisions = {r.id: approvals(uow, r) for r in requests}
    names = staff.display_names(
        uow, runtime,
        {r.registered_by for r in requests} | {d.staff_id for ds in decisions.values() for d in ds},
    )  # fmt: skip
    outs = [
        _out(runtime, r, sum(d.decision == "approve" for d in decisions[r.id]), names)
        for r in requests
    ]
    return [o for o in outs if status is None or o.status == status]


def request_detail(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, reference: str
) -> RequestDetailOut:
    """One request with its text, decisions and scope, for the roles acting for
    ``legal_obligation``. Records access.granted (the request's own text). Raises
    NotFound, AccessDenied."""
    request = find_request(uow, reference)
    number = format_number(request.number)
    access = runtime.guard.open(uow, actor, request.id, PURPOSE, reads={CATEGORY}, reference=number)
    decided = approvals(uow, request)
    names = staff.display_names(
        uow, runtime, {request.registered_by} | {d.staff_id for d in decided}
    )

    def text(column: str) -> str:
        return access.read(T, column, request.id, CATEGORY, getattr(request, column)) or ""

    summary = _out(runtime, request, sum(d.decision == "approve" for d in decided), names)
    return RequestDetailOut(
        **summary.model_dump(),
        instrument=text("instrument_ct"), legal_reference=text("legal_reference_ct"),
        subjects=text("subjects_ct"), notes=text("notes_ct"),
        scope=[row.customer_id for row in scope_rows(uow, request)],
        decisions=[
            DecisionOut(
                who=names.get(d.staff_id, "?"), decision=d.decision, at=d.decided_at,
                reason=access.read("disclosure_decisions", "reason_ct", d.id, CATEGORY, d.reason_ct),
            )
            for d in decided
        ],
    )  # fmt: skip
