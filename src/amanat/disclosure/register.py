"""Registering a request: what the authority asked for, checked and stored.

Free text (instrument, reference, identifiers as given, notes) is card-masked by the
support domain's redaction and encrypted under the request's own data key through the
guard (``legal_obligation``, with the request's number as its reference: the register's
own text is open to the roles that act for it, whatever the request's state). The scope's
customers are found by id or by the blind index of the e-mail, phone or CNIC given, and
kept as ids; identifiers that match nobody are counted, never stored apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.core.errors import Conflict, Invalid
from amanat.customers import service as customers
from amanat.db.base import new_id
from amanat.db.uow import UnitOfWork
from amanat.disclosure.models import (
    CATEGORY,
    DisclosureCounter,
    DisclosureRequest,
    DisclosureScope,
)
from amanat.disclosure.parsing import FIRST_NUMBER, format_number, identifier
from amanat.runtime import Runtime
from amanat.support.service import mask_cards

PURPOSE = "legal_obligation"
T = "disclosure_requests"
MAX_TEXT = 300
MAX_NOTES = 5000
MAX_SCOPE_LINES = 1000


@dataclass(frozen=True)
class RequestForm:
    """A request as the registrar typed it (dates already parsed)."""

    authority: str
    instrument: str
    legal_reference: str
    received_on: date
    deadline: date
    period_from: date
    period_to: date
    categories: frozenset[str]
    customers: tuple[str, ...]  # customer ids, e-mail addresses, phone numbers or CNICs
    nondisclosure_until: date | None = None
    notes: str = ""


def disclosable(runtime: Runtime) -> list[str]:
    """The categories a request may ask for: what ``legal_obligation`` reads, in policy
    order, but the register's own text."""
    return [c for c in runtime.policy.purpose(PURPOSE).reads if c != CATEGORY]


def authorities(runtime: Runtime) -> dict[str, str]:
    return {a.id: a.title for a in runtime.policy.sharing.authorities}


def _text(value: str, field: str, label: str, limit: int, *, required: bool = True) -> str:
    text = value.replace("\r\n", "\n").strip()
    if required and not text:
        raise Invalid(f"Give the {label}.", fields={field: "Required."})
    if len(text) > limit:
        raise Invalid(
            f"The {label} is too long: at most {limit} characters.",
            fields={field: f"At most {limit} characters."},
        )
    return text


def _check_form(runtime: Runtime, form: RequestForm) -> None:
    today = runtime.clock.now().date()
    known = authorities(runtime)
    if form.authority not in known:
        raise Invalid(
            f"Choose the kind of authority: {', '.join(known)}.",
            fields={"authority": f"One of {', '.join(known)}."},
        )
    if form.received_on > today:
        raise Invalid("The request cannot be received after today.", fields={"received_on": ""})
    if form.deadline < form.received_on:
        raise Invalid("The deadline is before the day it was received.", fields={"deadline": ""})
    if form.period_to < form.period_from:
        raise Invalid("The period ends before it starts.", fields={"period_to": ""})
    if form.nondisclosure_until is not None and form.nondisclosure_until <= form.received_on:
        raise Invalid(
            "A non-disclosure order must end after the day the request was received.",
            fields={"nondisclosure_until": ""},
        )
    allowed = disclosable(runtime)
    outside = sorted(form.categories - set(allowed))
    if not form.categories or outside:
        raise Invalid(
            f"Choose what is asked for among: {', '.join(allowed)}.",
            fields={"categories": f"{len(outside)} not disclosable" if outside else "Required."},
        )
    if len(form.customers) > MAX_SCOPE_LINES:
        raise Invalid(
            f"A request names at most {MAX_SCOPE_LINES} customers; register several.",
            fields={"customers": f"At most {MAX_SCOPE_LINES} lines."},
        )


def resolve_scope(
    uow: UnitOfWork, runtime: Runtime, lines: tuple[str, ...]
) -> tuple[list[str], int]:
    """The customer ids the lines name (in order, once each) and how many lines match
    nobody. Raises Invalid naming the line (never its value) that is not an identifier."""
    found: dict[str, None] = {}
    unmatched = 0
    by_id: list[str] = []
    for number, line in enumerate(lines, start=1):
        try:
            field, value = identifier(line)
        except Invalid as exc:
            raise Invalid(
                f"Line {number} of the customers: {exc.message}", fields=exc.fields
            ) from None
        if field == "id":
            by_id.append(value)
            found[value] = None
            continue
        sealed = customers.find_sealed(uow, runtime, field, value)
        if sealed is None:
            unmatched += 1
        else:
            found[sealed.id] = None
    known = customers.load_sealed(uow, by_id) if by_id else {}
    for customer_id in by_id:
        if customer_id not in known:
            del found[customer_id]
            unmatched += 1
    return list(found), unmatched


def next_number(uow: UnitOfWork) -> int:
    """The next register number (D-1001 onwards), unique across concurrent workers."""
    session = uow.session
    for _ in range(3):
        row = session.execute(
            update(DisclosureCounter)
            .where(DisclosureCounter.name == "request_number")
            .values(value=DisclosureCounter.value + 1)
            .returning(DisclosureCounter.value)
        ).first()
        if row is not None:
            return int(row[0])
        try:
            with session.begin_nested():
                session.add(DisclosureCounter(name="request_number", value=FIRST_NUMBER))
            return FIRST_NUMBER
        except IntegrityError:
            continue  # another worker made the counter first; take the next value
    raise Conflict("Could not number the request; please try again.")


def register_request(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    form: RequestForm,
    *,
    statutory_key: str | None = None,
    customer_ids: list[str] | None = None,
) -> DisclosureRequest:
    """Enter a request in the register (status ``registered``, waiting for approvals).

    Callers: staff whose role acts for ``legal_obligation`` (data protection officer,
    legal counsel), through the console, the API, or the s.165 statement
    (``statutory_key``, with the ``customer_ids`` it covers instead of typed lines).
    Records disclosure.registered (authority, counts; no identifiers). Raises
    AccessDenied (role or training), Invalid (one sentence naming the field).
    """
    runtime.guard.check_role(uow, actor, PURPOSE)
    _check_form(runtime, form)
    instrument = mask_cards(_text(form.instrument, "instrument", "legal instrument", MAX_TEXT))
    reference = mask_cards(
        _text(form.legal_reference, "legal_reference", "instrument's reference", MAX_TEXT)
    )
    notes = mask_cards(_text(form.notes, "notes", "notes", MAX_NOTES, required=False))
    if customer_ids is None:
        scope, unmatched = resolve_scope(uow, runtime, form.customers)
        subjects = mask_cards("\n".join(line.strip() for line in form.customers))
    else:
        scope, unmatched = list(dict.fromkeys(customer_ids)), 0
        subjects = mask_cards(f"{len(scope)} customers named by {statutory_key}")
    number = next_number(uow)
    request = DisclosureRequest(
        id=new_id(), number=number, authority=form.authority, statutory_key=statutory_key,
        status="registered", received_on=form.received_on, deadline=form.deadline,
        period_from=form.period_from, period_to=form.period_to,
        categories=sorted(form.categories), customers=len(scope), unmatched=unmatched,
        nondisclosure_until=form.nondisclosure_until, registered_by=actor.id,
        registered_at=runtime.clock.now(),
        cards_redacted=instrument.cards + reference.cards + notes.cards + subjects.cards,
        # Empty until encrypted below: the guard confirms the reference against this row.
        instrument_ct=b"", legal_reference_ct=b"", subjects_ct=b"",
    )  # fmt: skip
    uow.session.add(request)
    uow.session.flush()
    access = runtime.guard.open(
        uow, actor, request.id, PURPOSE, writes={CATEGORY}, reference=format_number(number)
    )
    rid = request.id
    request.instrument_ct = access.write(T, "instrument_ct", rid, CATEGORY, instrument.text)
    request.legal_reference_ct = access.write(
        T, "legal_reference_ct", rid, CATEGORY, reference.text
    )
    request.subjects_ct = access.write(T, "subjects_ct", rid, CATEGORY, subjects.text)
    if notes.text:
        request.notes_ct = access.write(T, "notes_ct", rid, CATEGORY, notes.text)
    uow.session.add_all(
        DisclosureScope(id=new_id(), request_id=rid, customer_id=customer_id)
        for customer_id in scope
    )
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.DISCLOSURE_REGISTERED, actor, purpose=PURPOSE,
        categories=form.categories, reference=format_number(number),
        details={
            "request": rid, "authority": form.authority, "customers": len(scope),
            "unmatched": unmatched, "nondisclosure": form.nondisclosure_until is not None,
            "statutory": statutory_key, "cards_redacted": request.cards_redacted,
        },
    )  # fmt: skip
    return request


def by_number(uow: UnitOfWork, number: int | None) -> DisclosureRequest | None:
    if number is None:
        return None
    return uow.session.scalar(select(DisclosureRequest).where(DisclosureRequest.number == number))
