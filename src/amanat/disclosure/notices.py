"""Telling customers of a disclosure: their access log, and a service mail.

Every read of a customer's data for an export is an ``access.granted`` event under
``legal_obligation`` with the request's number, so it is in the customer's access log,
except while the request carries a non-disclosure order (``withheld_references``, which
the access log leaves out). The mail (comms outbox, a service message under
``service_updates``) goes when the export is made, or, under such an order, when it
expires: the ``disclosure notices`` job (``notify_due``) finds them. The mail names the
request and points to the access log; it names neither the authority nor the data, so
whoever may read the outbox learns nothing more than that a disclosure happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import or_, select

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.comms.service import queue_mail
from amanat.core.actor import Actor
from amanat.core.errors import NotFound
from amanat.customers import service as customers
from amanat.db.uow import UnitOfWork
from amanat.disclosure.models import DisclosureRequest, DisclosureScope
from amanat.disclosure.parsing import format_number
from amanat.runtime import Runtime

KIND = "disclosure_notice"
NOTIFIER = Actor.system("disclosure notices")
BATCH = 200


def under_order(request: DisclosureRequest, today: date) -> bool:
    """True while the request's non-disclosure order forbids telling the customers."""
    return request.nondisclosure_until is not None and today < request.nondisclosure_until


def withheld_references(uow: UnitOfWork, customer_id: str, today: date) -> set[str]:
    """The numbers of requests naming this customer whose non-disclosure order is still in
    force: their accesses stay out of the customer's access log until it expires."""
    rows = uow.session.scalars(
        select(DisclosureRequest.number)
        .join(DisclosureScope, DisclosureScope.request_id == DisclosureRequest.id)
        .where(
            DisclosureScope.customer_id == customer_id,
            DisclosureRequest.nondisclosure_until.is_not(None),
            DisclosureRequest.nondisclosure_until > today,
        )
    )
    return {format_number(number) for number in rows}


def _mail(runtime: Runtime, request: DisclosureRequest) -> tuple[str, str]:
    provider = runtime.policy.provider.name
    log = f"{runtime.settings.resolved_public_url}/account/access-log"
    when = (request.disclosed_at or runtime.clock.now()).date().isoformat()
    subject = f"{provider}: information about you was disclosed as the law required"
    body = (
        f"On {when} we gave some of your information to an authority, because a law or "
        f"regulator required it (our reference {format_number(request.number)}). The request "
        "was registered, approved by two people and limited to what it named.\n\n"
        f"Your access log lists what was given and when: {log}\n\n"
        f"Questions: {runtime.policy.provider.contact}\n"
    )
    return subject, body


def notify(
    uow: UnitOfWork, runtime: Runtime, request: DisclosureRequest, rows: Sequence[DisclosureScope]
) -> int:
    """Queue the mail to each customer of ``rows`` not told yet; an erased customer, whom
    nobody can reach, is marked told without one. Returns the number of mails queued.
    Records comms.queued for each (and nothing of its own: the caller's verb does)."""
    now = runtime.clock.now()
    subject, body = _mail(runtime, request)
    sent = 0
    for row in rows:
        if row.notified_at is not None:
            continue
        try:
            customers.get_customer(uow, row.customer_id)
        except NotFound:
            row.notified_at = now
            continue
        queue_mail(
            uow, runtime, customer_id=row.customer_id, subject=subject, body=body, kind=KIND,
            purpose="service_updates",
        )  # fmt: skip
        row.notified_at = now
        sent += 1
    return sent


def scope_rows(uow: UnitOfWork, request: DisclosureRequest) -> list[DisclosureScope]:
    return list(
        uow.session.scalars(
            select(DisclosureScope)
            .where(DisclosureScope.request_id == request.id)
            .order_by(DisclosureScope.customer_id)
        )
    )


def notify_due(runtime: Runtime) -> int:
    """The ``disclosure notices`` job: tell the customers of disclosed requests whose
    non-disclosure order has expired (one batch, one transaction); how many were handled.

    Records disclosure.customer_notified for each customer handled (told, or found
    erased), with the request's number as reference.
    """
    today = runtime.clock.now().date()
    with runtime.uow() as uow:
        due = uow.session.execute(
            select(DisclosureScope, DisclosureRequest)
            .join(DisclosureRequest, DisclosureScope.request_id == DisclosureRequest.id)
            .where(
                DisclosureRequest.status == "disclosed",
                DisclosureScope.notified_at.is_(None),
                or_(
                    DisclosureRequest.nondisclosure_until.is_(None),
                    DisclosureRequest.nondisclosure_until <= today,
                ),
            )
            .order_by(DisclosureScope.id)
            .limit(BATCH)
            # PostgreSQL: several workers take disjoint rows; SQLite: one writer at a time.
            .with_for_update(skip_locked=True, of=DisclosureScope)
        ).all()
        for row, request in due:
            mailed = notify(uow, runtime, request, [row])
            audit.record(
                uow, runtime.clock, Event.DISCLOSURE_CUSTOMER_NOTIFIED, NOTIFIER,
                customer_id=row.customer_id, purpose="service_updates",
                reference=format_number(request.number),
                details={"request": request.id, "mailed": mailed == 1},
            )  # fmt: skip
        uow.commit()
    return len(due)
