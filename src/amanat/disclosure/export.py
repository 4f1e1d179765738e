"""The export: only an approved request, through the guard, limited to its scope.

For each customer of the scope the guard is opened for ``legal_obligation`` with the
request's number as reference and the request's categories as reads (the ``disclosure``
checker confirms the request is approved, before its deadline, and names this customer
and these categories; anything else is refused and audited), and every domain's
``subject_records`` reader adds what it holds within the request's period. The package
(``package.build``) is returned to the caller, never stored; its manifest's hash is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from amanat.access.guard import Access
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.core.errors import Conflict
from amanat.db.uow import UnitOfWork
from amanat.disclosure import package
from amanat.disclosure.checker import effective_status
from amanat.disclosure.decisions import find_request
from amanat.disclosure.models import CATEGORY, DisclosureRequest
from amanat.disclosure.notices import notify, scope_rows, under_order
from amanat.disclosure.parsing import format_number
from amanat.disclosure.pdf import render_report
from amanat.disclosure.register import PURPOSE, authorities
from amanat.runtime import Runtime
from amanat.vault.api import KeyDestroyed


@dataclass(frozen=True)
class Package:
    number: str
    filename: str
    content: bytes
    manifest_sha256: str
    customers: int
    notified: int


def check_exportable(runtime: Runtime, request: DisclosureRequest) -> None:
    """Conflict unless the request is approved and before its deadline."""
    status = effective_status(request, runtime.clock.now().date())
    if status != "approved":
        needs = {
            "registered": "it needs its approvals first",
            "rejected": "it was rejected",
            "disclosed": "it was exported already (register a new request to give more)",
            "expired": "its deadline has passed",
        }[status]
        raise Conflict(f"Request {format_number(request.number)} cannot be exported: {needs}.")


def open_subject(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, request: DisclosureRequest, customer_id: str
) -> Access:
    """The guard's grant to read one customer of the scope for this request (audited)."""
    return runtime.guard.open(
        uow, actor, customer_id, PURPOSE, reads=set(request.categories),
        reference=format_number(request.number),
    )  # fmt: skip


def subject_records(
    uow: UnitOfWork, runtime: Runtime, request: DisclosureRequest, access: Access
) -> dict[str, list[dict[str, Any]]]:
    """What every domain holds about the customer within the request's period."""
    records: dict[str, list[dict[str, Any]]] = {}
    for reader in runtime.hooks.subject_records:
        try:
            records.update(reader(uow, access, request.period_from, request.period_to))
        except KeyDestroyed:
            continue  # an erased customer: what was under their own key is gone for good
    return records


def export_request(uow: UnitOfWork, runtime: Runtime, actor: Actor, reference: str) -> Package:
    """Export an approved request as a signed package, and tell its customers.

    Callers: staff whose role acts for ``legal_obligation``, through the console or the
    API. A statutory request is exported by what produces it (the s.165 statement).
    Records one access.granted per customer (their access log), disclosure.exported
    (with the manifest's SHA-256), and comms.queued for each customer told now. Raises
    NotFound, AccessDenied (role, training, or the guard refusing a read), Conflict (not
    approved, rejected, expired, exported already, or statutory).
    """
    request = find_request(uow, reference)
    runtime.guard.check_role(uow, actor, PURPOSE)
    if request.statutory_key is not None:
        raise Conflict(
            f"Request {format_number(request.number)} is a statutory filing; it is exported by "
            "the statement that registered it (amanat billing statement)."
        )
    check_exportable(runtime, request)
    subjects = []
    for row in scope_rows(uow, request):
        access = open_subject(uow, runtime, actor, request, row.customer_id)
        subjects.append(
            {"customer": row.customer_id, "records": subject_records(uow, runtime, request, access)}
        )
    return record_export(uow, runtime, actor, request, subjects, {})


def record_export(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    request: DisclosureRequest,
    subjects: list[dict[str, Any]],
    extra: dict[str, bytes],
) -> Package:
    """Make the package of ``subjects`` (read by the caller through the guard under this
    request) and ``extra`` files, mark the request disclosed and tell its customers now
    unless an order forbids it. Records disclosure.exported. Raises Conflict."""
    check_exportable(runtime, request)
    number = format_number(request.number)
    own = runtime.guard.open(uow, actor, request.id, PURPOSE, reads={CATEGORY}, reference=number)
    now = runtime.clock.now()

    def text(column: str) -> str:
        return (
            own.read("disclosure_requests", column, request.id, CATEGORY, getattr(request, column))
            or ""
        )

    about = {
        "number": number, "authority": request.authority,
        "authority_title": authorities(runtime).get(request.authority, request.authority),
        "instrument": text("instrument_ct"), "legal_reference": text("legal_reference_ct"),
        "received_on": request.received_on.isoformat(), "deadline": request.deadline.isoformat(),
        "period_from": request.period_from.isoformat(), "period_to": request.period_to.isoformat(),
        "categories": list(request.categories), "customers": len(subjects),
        "exported_at": now.isoformat(), "provider": runtime.policy.provider.name,
    }  # fmt: skip
    data = json.dumps({"request": about, "subjects": subjects}, indent=2, ensure_ascii=False)
    files = {"data.json": data.encode("utf-8"), "report.pdf": render_report(about, subjects)}
    files.update(extra)
    built = package.build(runtime, number, request.authority, now, files)
    request.status, request.disclosed_at, request.disclosed_by = "disclosed", now, actor.id
    request.manifest_sha256 = built.manifest_sha256
    notified = (
        0
        if under_order(request, now.date())
        else notify(uow, runtime, request, scope_rows(uow, request))
    )
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.DISCLOSURE_EXPORTED, actor, purpose=PURPOSE,
        categories=request.categories, reference=number,
        details={"request": request.id, "customers": len(subjects), "files": len(files),
                 "manifest": built.manifest_sha256, "notified": notified},
    )  # fmt: skip
    return Package(
        number, f"{number}.zip", built.content, built.manifest_sha256, len(subjects), notified
    )
