"""What other code may call in the disclosure domain (issue 14): the register of legal and
regulatory requests, their approval by two people, the signed export, the customers'
notices, the public transparency report and statutory filings such as s.165.

The modules behind these names are the domain's own; another domain imports only this
module and ``amanat.disclosure.schemas``. Nothing here commits but the notices job: the
caller's unit of work does, once.
"""

from __future__ import annotations

from pathlib import Path

from amanat.core.actor import Actor
from amanat.db.uow import UnitOfWork
from amanat.disclosure import decisions
from amanat.disclosure import register as registering
from amanat.disclosure.checker import disclosure_is_live, effective_status
from amanat.disclosure.export import Package, export_request
from amanat.disclosure.notices import notify_due, withheld_references
from amanat.disclosure.package import Verified
from amanat.disclosure.package import verify as _verify
from amanat.disclosure.parsing import optional_date, parse_date
from amanat.disclosure.register import RequestForm, authorities, disclosable
from amanat.disclosure.report import transparency_report
from amanat.disclosure.schemas import RequestIn, RequestOut
from amanat.disclosure.statutory import (
    StatutoryFiling,
    record_statutory_export,
    statutory_request,
)
from amanat.disclosure.views import list_requests, request_detail, summary
from amanat.runtime import Runtime

__all__ = [
    "Package",
    "RequestForm",
    "StatutoryFiling",
    "Verified",
    "approve",
    "authorities",
    "disclosable",
    "disclosure_is_live",
    "effective_status",
    "export_request",
    "list_requests",
    "notify_due",
    "optional_date",
    "parse_date",
    "record_statutory_export",
    "register",
    "reject",
    "request_detail",
    "statutory_request",
    "transparency_report",
    "verify_package",
    "withheld_references",
]


def verify_package(runtime: Runtime, path: Path) -> Verified:
    """Check a package (`amanat disclosure verify`): signature, hashes, audit record.
    Records nothing. Raises OSError when the file cannot be read."""
    return _verify(runtime, path)


def form_of(data: RequestIn) -> RequestForm:
    """The typed request, its dates parsed (Invalid naming the field otherwise)."""
    return RequestForm(
        authority=data.authority, instrument=data.instrument,
        legal_reference=data.legal_reference,
        received_on=parse_date(data.received_on, "received_on", "day it was received"),
        deadline=parse_date(data.deadline, "deadline", "deadline"),
        period_from=parse_date(data.period_from, "period_from", "start of the period"),
        period_to=parse_date(data.period_to, "period_to", "end of the period"),
        categories=frozenset(data.categories),
        customers=tuple(line for line in data.customers if line.strip()),
        nondisclosure_until=optional_date(
            data.nondisclosure_until, "nondisclosure_until", "end of the non-disclosure order"
        ),
        notes=data.notes,
    )  # fmt: skip


def register(uow: UnitOfWork, runtime: Runtime, actor: Actor, data: RequestIn) -> RequestOut:
    """Register a request (``register.register_request``); its summary. Records
    disclosure.registered. Raises Invalid, AccessDenied."""
    request = registering.register_request(uow, runtime, actor, form_of(data))
    return summary(uow, runtime, request)


def approve(uow: UnitOfWork, runtime: Runtime, actor: Actor, reference: str) -> RequestOut:
    """One approval (``decisions.approve_request``). Records disclosure.approved. Raises
    NotFound, AccessDenied, Forbidden, Conflict."""
    return summary(uow, runtime, decisions.approve_request(uow, runtime, actor, reference))


def reject(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, reference: str, reason: str
) -> RequestOut:
    """A rejection with its reason (``decisions.reject_request``). Records
    disclosure.rejected. Raises NotFound, AccessDenied, Forbidden, Conflict, Invalid."""
    return summary(uow, runtime, decisions.reject_request(uow, runtime, actor, reference, reason))
