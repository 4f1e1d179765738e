"""The disclosure register on both databases: registering, two approvals by two people,
rejection, expiry, scope enforced by the guard, the signed export and the customers'
notices (issue 14)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from amanat.access.guard import AccessDenied
from amanat.audit.models import AuditEvent
from amanat.comms.models import OutboxMessage
from amanat.comms.service import show_message
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.core.actor import Actor
from amanat.core.clock import FixedClock
from amanat.core.errors import Conflict, Forbidden, Invalid
from amanat.disclosure import service as disclosure
from amanat.governance.service import my_access_log
from amanat.runtime import Runtime
from tests.factories.accounts import create_customer, create_staff
from tests.factories.disclosure import (
    Legal,
    approve_twice,
    approved_request,
    legal_team,
    register,
    request_in,
)

START = datetime(2025, 10, 6, 9, 0, tzinfo=UTC)


@dataclass
class World:
    runtime: Runtime
    clock: FixedClock
    customer: str
    other: str
    team: Legal


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    from amanat.install import initialise

    clock = FixedClock(START)
    runtime = build_runtime(settings, clock=clock)
    initialise(runtime)
    try:
        customer = create_customer(
            runtime, email="subject@example.pk", phone="+92 300 7000001", cnic="35202-7000001-1"
        )
        other = create_customer(runtime, email="bystander@example.pk")
        yield World(runtime, clock, customer, other, legal_team(runtime))
    finally:
        runtime.close()


def _events(runtime: Runtime, code: str) -> list[AuditEvent]:
    with runtime.uow() as uow:
        found = list(uow.session.scalars(select(AuditEvent).where(AuditEvent.code == code)))
        uow.session.expunge_all()
    return found


def _read(w: World, actor: Actor, customer: str, reads: set[str], number: str | None) -> None:
    with w.runtime.uow() as uow:
        w.runtime.guard.open(
            uow, actor, customer, "legal_obligation", reads=reads, reference=number
        )
        uow.commit()


def _export(w: World, actor: Actor, number: str) -> disclosure.Package:
    with w.runtime.uow() as uow:
        made = disclosure.export_request(uow, w.runtime, actor, number)
        uow.commit()
    return made


def test_registering_resolves_identifiers_to_ids_and_encrypts_the_text(world: World) -> None:
    w = world
    body = request_in(w.runtime, ["subject@example.pk", "0300 7000001", "nobody@example.pk"])
    body.notes = "Officer said the suspect paid with 4111 1111 1111 1111 last month."
    made = register(w.runtime, w.team, body)
    assert (made.status, made.customers, made.unmatched, made.approvals) == ("registered", 1, 1, 0)
    (event,) = _events(w.runtime, "disclosure.registered")
    details = json.loads(event.details)
    assert (details["authority"], details["customers"], details["unmatched"]) == ("fia", 1, 1)
    assert details["cards_redacted"] == 1 and event.reference == made.number
    with w.runtime.engine.connect() as conn:
        raw = b"".join(
            bytes(v or b"")
            for v in conn.execute(
                text(
                    "SELECT instrument_ct, legal_reference_ct, subjects_ct, notes_ct FROM disclosure_requests"
                )
            ).one()
        )
        scope = conn.execute(text("SELECT customer_id FROM disclosure_scope")).scalars().all()
    for plain in (b"Prevention of Electronic", b"Warrant 17/2025", b"subject@example.pk", b"4111"):
        assert plain not in raw
    assert scope == [w.customer]
    with w.runtime.uow() as uow:
        detail = disclosure.request_detail(uow, w.runtime, w.team.first.actor, made.number)
        uow.commit()
    assert detail.instrument.startswith("Prevention of Electronic Crimes Act")
    assert "4111 1111 1111 1111" not in detail.notes and "1111" in detail.notes
    assert detail.subjects.splitlines()[0] == "subject@example.pk" and detail.scope == [w.customer]


def test_bad_input_is_refused_with_a_sentence_and_nothing_kept(world: World) -> None:
    w = world
    today = START.date()
    cases = [
        ({"authority": "cia"}, "kind of authority"),
        ({"received_on": "2025-13-01"}, "day it was received"),
        ({"received_on": (today + timedelta(days=1)).isoformat()}, "after today"),
        ({"deadline": (today - timedelta(days=1)).isoformat()}, "deadline is before"),
        ({"period_from": "2025-09-01", "period_to": "2025-08-01"}, "ends before it starts"),
        ({"categories": ["account.password"]}, "Choose what is asked for"),
        ({"categories": []}, "Choose what is asked for"),
        ({"customers": ["subject@example.pk", "not an identifier"]}, "Line 2 of the customers"),
        ({"instrument": "   "}, "Give the legal instrument"),
        ({"nondisclosure_until": today.isoformat()}, "non-disclosure order must end after"),
    ]
    for change, words in cases:
        body = request_in(w.runtime, [w.customer]).model_copy(update=change)
        with w.runtime.uow() as uow, pytest.raises(Invalid) as refused:
            disclosure.register(uow, w.runtime, w.team.registrar.actor, body)
        assert words in refused.value.message, change
        assert "subject@example.pk" not in refused.value.message
    with w.runtime.uow() as uow:
        assert disclosure.list_requests(uow, w.runtime, w.team.first.actor) == []


def test_two_different_approvers_and_never_the_registrar(world: World) -> None:
    w = world
    made = register(w.runtime, w.team, request_in(w.runtime, [w.customer]))
    number = made.number
    security = create_staff(w.runtime, "security_officer")
    with w.runtime.uow() as uow, pytest.raises(Forbidden, match="registered"):
        disclosure.approve(uow, w.runtime, w.team.registrar.actor, number)
    with w.runtime.uow() as uow, pytest.raises(AccessDenied):
        disclosure.approve(uow, w.runtime, security.actor, number)
    with w.runtime.uow() as uow:
        once = disclosure.approve(uow, w.runtime, w.team.first.actor, number)
        uow.commit()
    assert (once.status, once.approvals, once.approvals_needed) == ("registered", 1, 2)
    with w.runtime.uow() as uow, pytest.raises(Conflict, match="decided on this request"):
        disclosure.approve(uow, w.runtime, w.team.first.actor, number)
    # One approval yields nothing: no export, and the guard refuses the customer's data.
    with pytest.raises(Conflict, match="needs its approvals"):
        _export(w, w.team.first.actor, number)
    with pytest.raises(AccessDenied) as refused:
        _read(w, w.team.first.actor, w.customer, {"identity.cnic"}, number)
    assert refused.value.reason_code == "reference_not_live"
    with w.runtime.uow() as uow:
        twice = disclosure.approve(uow, w.runtime, w.team.second.actor, number)
        uow.commit()
    assert (twice.status, twice.approvals) == ("approved", 2)
    approvals = [json.loads(e.details) for e in _events(w.runtime, "disclosure.approved")]
    assert [(a["approval"], a["of"], a["status"]) for a in approvals] == [
        (1, 2, "registered"), (2, 2, "approved"),
    ]  # fmt: skip
    _read(w, w.team.first.actor, w.customer, {"identity.cnic"}, number)


def test_a_rejected_request_yields_nothing(world: World) -> None:
    w = world
    made = register(w.runtime, w.team, request_in(w.runtime, [w.customer]))
    with w.runtime.uow() as uow:
        disclosure.approve(uow, w.runtime, w.team.first.actor, made.number)
        uow.commit()
    with w.runtime.uow() as uow, pytest.raises(Invalid, match="10 to 500"):
        disclosure.reject(uow, w.runtime, w.team.second.actor, made.number, "no")
    with w.runtime.uow() as uow:
        rejected = disclosure.reject(
            uow, w.runtime, w.team.second.actor, made.number,
            "The warrant names another provider; card 4111 1111 1111 1111 is irrelevant.",
        )  # fmt: skip
        uow.commit()
    assert rejected.status == "rejected"
    with w.runtime.uow() as uow, pytest.raises(Conflict, match="rejected"):
        disclosure.approve(uow, w.runtime, w.team.registrar.actor, made.number)
    with pytest.raises(Conflict, match="rejected"):
        _export(w, w.team.first.actor, made.number)
    with pytest.raises(AccessDenied):
        _read(w, w.team.first.actor, w.customer, {"identity.name"}, made.number)
    with w.runtime.uow() as uow:
        detail = disclosure.request_detail(uow, w.runtime, w.team.first.actor, made.number)
    reason = next(d.reason for d in detail.decisions if d.decision == "reject")
    assert reason is not None and "another provider" in reason and "4111 1111" not in reason
    (event,) = _events(w.runtime, "disclosure.rejected")
    assert json.loads(event.details)["cards_redacted"] == 1


def test_an_expired_request_yields_nothing(world: World) -> None:
    w = world
    _, number = approved_request(w.runtime, [w.customer], team=w.team, deadline_days=10)
    w.clock.advance(timedelta(days=11))
    with pytest.raises(Conflict, match="deadline has passed"):
        _export(w, w.team.first.actor, number)
    with pytest.raises(AccessDenied) as refused:
        _read(w, w.team.first.actor, w.customer, {"identity.name"}, number)
    assert refused.value.reason_code == "reference_not_live"
    with w.runtime.uow() as uow:
        (listed,) = disclosure.list_requests(uow, w.runtime, w.team.first.actor)
    assert listed.status == "expired"


def test_reads_outside_the_scope_are_refused_and_audited(world: World) -> None:
    w = world
    _, number = approved_request(
        w.runtime, [w.customer], team=w.team, categories=("identity.name", "identity.cnic")
    )
    officer = w.team.first.actor
    _read(w, officer, w.customer, {"identity.name", "identity.cnic"}, number)
    outside = [
        (w.other, {"identity.name"}),  # a customer the request does not name
        (w.customer, {"contact.phone"}),  # a category it does not name
        (w.customer, {"identity.name", "technical.ip"}),  # one of them outside
    ]
    for customer, reads in outside:
        with pytest.raises(AccessDenied) as refused:
            _read(w, officer, customer, reads, number)
        assert refused.value.reason_code == "reference_not_live"
        assert "scope names this customer" in refused.value.message
    denials = _events(w.runtime, "access.denied")
    assert [(d.customer_id, d.reference) for d in denials[-3:]] == [
        (w.other, number), (w.customer, number), (w.customer, number),
    ]  # fmt: skip
    assert all(json.loads(d.details)["reason_code"] == "reference_not_live" for d in denials[-3:])


def test_no_request_no_read(world: World) -> None:
    """What the issue found: the DPO read any customer's CNIC, phone and IP at will."""
    w = world
    dpo = w.team.registrar.actor
    for reference in (None, "D-9999", "T-10001"):
        with pytest.raises(AccessDenied) as refused:
            _read(w, dpo, w.customer, {"identity.cnic", "contact.phone", "technical.ip"}, reference)
        code = "reference_missing" if reference is None else "reference_not_live"
        assert refused.value.reason_code == code
    # A registered request that is not yet approved opens nothing either.
    made = register(w.runtime, w.team, request_in(w.runtime, [w.customer]))
    with pytest.raises(AccessDenied):
        _read(w, dpo, w.customer, {"identity.cnic"}, made.number)
    assert len(_events(w.runtime, "access.denied")) == 4


def _sign_in_from(w: World, customer: str, ip: str) -> None:
    from amanat.accounts import sessions
    from amanat.web.client import ClientInfo

    with w.runtime.uow() as uow:
        sessions.create_session(
            uow, w.runtime, principal_kind="customer", principal_id=customer, role="customer",
            mfa_done=True, client=ClientInfo(ip, "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"),
        )  # fmt: skip
        uow.commit()


def test_the_export_is_signed_recorded_limited_and_told(world: World) -> None:
    w = world
    _sign_in_from(w, w.customer, "203.0.113.7")
    _, number = approved_request(
        w.runtime, [w.customer, w.other], team=w.team,
        categories=("identity.name", "identity.cnic", "technical.ip"),
    )  # fmt: skip
    made = _export(w, w.team.second.actor, number)
    assert (made.customers, made.notified) == (2, 2)
    with zipfile.ZipFile(io.BytesIO(made.content)) as archive:
        data = json.loads(archive.read("data.json"))
    records = {subject["customer"]: subject["records"] for subject in data["subjects"]}
    (profile,) = records[w.customer]["profile"]
    assert set(profile) == {"kind", "status", "name", "cnic"}  # nothing the request did not name
    (session,) = records[w.customer]["sessions"]
    assert session["ip"] == "203.0.113.7" and set(session) == {"started_at", "last_seen_at", "ip"}
    assert "sessions" not in records[w.other] and data["request"]["number"] == number
    (exported,) = _events(w.runtime, "disclosure.exported")
    assert json.loads(exported.details)["manifest"] == made.manifest_sha256
    grants = [
        e for e in _events(w.runtime, "access.granted")
        if e.reference == number and e.customer_id in (w.customer, w.other)
    ]  # fmt: skip
    assert {e.customer_id for e in grants} == {w.customer, w.other}
    assert all(
        json.loads(e.categories) == ["identity.cnic", "identity.name", "technical.ip"]
        for e in grants
    )
    # Once exported, the request opens nothing more and cannot be exported again.
    with pytest.raises(Conflict, match="exported already"):
        _export(w, w.team.first.actor, number)
    with pytest.raises(AccessDenied):
        _read(w, w.team.first.actor, w.customer, {"identity.name"}, number)
    # The customer is told: the access log, and a service mail naming only the reference.
    with w.runtime.uow() as uow:
        log = my_access_log(uow, w.runtime, Actor.customer(w.customer))
        mails = uow.session.execute(
            select(OutboxMessage.customer_id, OutboxMessage.purpose).where(
                OutboxMessage.kind == "disclosure_notice"
            )
        ).all()
    assert any(e.reference == number and e.purpose == "legal_obligation" for e in log.accesses)
    assert {m.customer_id for m in mails} == {w.customer, w.other}
    assert all(m.purpose == "service_updates" for m in mails)
    with w.runtime.uow() as uow:
        (mid,) = uow.session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.kind == "disclosure_notice", OutboxMessage.customer_id == w.customer
            )
        ).all()
        mail = show_message(uow, w.runtime, mid)
    assert number in mail.body and "/account/access-log" in mail.body
    for secret in ("FIA", "Federal", "Warrant", "CNIC", "identity"):
        assert secret not in mail.body and secret not in mail.subject  # only that it happened


def test_a_non_disclosure_order_keeps_the_customer_untold_until_it_ends(world: World) -> None:
    w = world
    ends = START.date() + timedelta(days=60)
    _, number = approved_request(w.runtime, [w.customer], team=w.team, nondisclosure_until=ends)
    made = _export(w, w.team.first.actor, number)
    assert made.notified == 0

    def told() -> tuple[bool, int]:
        with w.runtime.uow() as uow:
            log = my_access_log(uow, w.runtime, Actor.customer(w.customer))
            mails = uow.session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.kind == "disclosure_notice")
            ).all()
        return any(e.reference == number for e in log.accesses), len(mails)

    assert told() == (False, 0)
    assert disclosure.notify_due(w.runtime) == 0
    w.clock.advance(timedelta(days=59))
    assert disclosure.notify_due(w.runtime) == 0 and told() == (False, 0)
    w.clock.advance(timedelta(days=1))
    assert told() == (True, 0)  # the access log shows it from the order's end
    assert disclosure.notify_due(w.runtime) == 1
    assert told() == (True, 1)
    assert disclosure.notify_due(w.runtime) == 0  # told once
    (event,) = _events(w.runtime, "disclosure.customer_notified")
    assert (event.customer_id, event.reference) == (w.customer, number)
    assert json.loads(event.details)["mailed"] is True


def test_statutory_filings_are_exported_only_by_their_producer(world: World) -> None:
    w = world
    with w.runtime.uow() as uow:
        filing = disclosure.statutory_request(
            uow, w.runtime, w.team.registrar.actor, statutory_id="s165", period_label="2025-Q3",
            period_from=date(2025, 7, 1), period_to=date(2025, 9, 30), customer_ids=[w.customer],
        )  # fmt: skip
        uow.commit()
    assert filing.status == "registered" and filing.registered_now
    approve_twice(w.runtime, w.team, filing.number)
    with pytest.raises(Conflict, match="statutory filing"):
        _export(w, w.team.first.actor, filing.number)
    with w.runtime.uow() as uow:
        (listed,) = disclosure.list_requests(uow, w.runtime, w.team.first.actor)
    assert (listed.authority, listed.statutory, listed.deadline) == (
        "fbr",
        True,
        date(2025, 10, 21),
    )
    with w.runtime.uow() as uow, pytest.raises(Conflict, match="covers other customers"):
        disclosure.statutory_request(
            uow, w.runtime, w.team.registrar.actor, statutory_id="s165", period_label="2025-Q3",
            period_from=date(2025, 7, 1), period_to=date(2025, 9, 30),
            customer_ids=[w.customer, w.other],
        )  # fmt: skip
