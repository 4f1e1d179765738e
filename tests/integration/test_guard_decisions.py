"""The guard's live checks: training, references (fail closed), break-glass, own data only."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from amanat.access.guard import AccessDenied, Guard
from amanat.access.training import record_training
from amanat.audit.models import AuditEvent, AuditNote
from amanat.core.actor import Actor
from amanat.db.base import new_id
from amanat.runtime import Runtime

CUSTOMER = "a" * 32
OTHER = "b" * 32


def trained(runtime: Runtime, role: str, *, on: date | None = None) -> Actor:
    staff = Actor.staff(new_id(), role)
    with runtime.uow() as uow:
        completed = on or runtime.clock.now().date() - timedelta(days=30)
        record_training(uow, runtime.clock, Actor.system("cli"), staff.id, completed)
        uow.commit()
    return staff


def events(runtime: Runtime) -> list[Any]:
    with runtime.engine.connect() as conn:
        return list(conn.execute(select(AuditEvent.__table__).order_by(AuditEvent.seq)))


def open_tickets(session: Session, customer_id: str, reference: str, now: datetime) -> bool:
    """A stand-in ticket register: T-1 is open for CUSTOMER, T-2 is closed."""
    return customer_id == CUSTOMER and reference == "T-1"


def test_trained_staff_are_granted_and_the_grant_is_audited(runtime: Runtime) -> None:
    agent = trained(runtime, "security_officer")
    with runtime.uow() as uow:
        access = runtime.guard.open(
            uow, agent, CUSTOMER, "security", reads={"contact.email", "technical.ip"}
        )
        ciphertext = runtime.vault.encrypt(CUSTOMER, "t", "c", "1", "canary@example.pk")
        assert access.read("t", "c", "1", "contact.email", ciphertext) == "canary@example.pk"
        with pytest.raises(AccessDenied):
            access.read("t", "c", "1", "identity.name", ciphertext)
        uow.commit()
    granted = events(runtime)[-1]
    assert (granted.code, granted.actor_id, granted.purpose, granted.outcome) == (
        "access.granted", agent.id, "security", "allowed",
    )  # fmt: skip
    assert granted.categories == '["contact.email","technical.ip"]'


def test_staff_without_training_are_refused_with_how_to_fix_it(runtime: Runtime) -> None:
    untrained = Actor.staff(new_id(), "security_officer")
    with runtime.uow() as uow, pytest.raises(AccessDenied) as refused:
        runtime.guard.open(uow, untrained, CUSTOMER, "security", reads={"contact.email"})
    assert "security training is not on record" in refused.value.message
    assert "amanat staff train" in refused.value.message
    denial = events(runtime)[-1]
    assert (denial.code, denial.outcome) == ("access.denied", "denied")
    assert denial.details == '{"reason_code":"training_missing"}'


def test_lapsed_training_is_refused_and_names_the_day_it_lapsed(runtime: Runtime) -> None:
    today = runtime.clock.now().date()
    lapsed = trained(runtime, "security_officer", on=today.replace(year=today.year - 2))
    with runtime.uow() as uow, pytest.raises(AccessDenied) as refused:
        runtime.guard.open(uow, lapsed, CUSTOMER, "security", reads={"contact.email"})
    assert "lapsed on" in refused.value.message
    # Completing it again restores access.
    with runtime.uow() as uow:
        record_training(uow, runtime.clock, Actor.system("cli"), lapsed.id, today)
        uow.commit()
    with runtime.uow() as uow:
        runtime.guard.open(uow, lapsed, CUSTOMER, "security", reads={"contact.email"})
        uow.commit()


def test_a_purpose_needing_a_reference_fails_closed_without_a_checker(runtime: Runtime) -> None:
    agent = trained(runtime, "support_agent")
    guard = Guard(runtime.policy, runtime.vault, runtime.clock, runtime.session_factory, {})
    assert "ticket" not in guard.reference_kinds
    with runtime.uow() as uow, pytest.raises(AccessDenied) as refused:
        guard.open(uow, agent, CUSTOMER, "support", reads={"identity.name"}, reference="T-1")
    assert "No ticket register is installed" in refused.value.message
    assert events(runtime)[-1].details == '{"reason_code":"reference_unchecked"}'


@pytest.mark.parametrize(
    ("customer", "reference", "reason_code"),
    [
        (CUSTOMER, None, "reference_missing"),
        (CUSTOMER, "T-2", "reference_not_live"),  # closed
        (OTHER, "T-1", "reference_not_live"),  # another customer's ticket
        (CUSTOMER, "me@example.pk", "reference_malformed"),
    ],
)
def test_a_reference_must_be_an_open_case_of_that_customer(
    runtime: Runtime, customer: str, reference: str | None, reason_code: str
) -> None:
    runtime.guard.register_reference_checker("ticket", open_tickets)
    agent = trained(runtime, "support_agent")
    with runtime.uow() as uow, pytest.raises(AccessDenied) as refused:
        runtime.guard.open(
            uow, agent, customer, "support", reads={"identity.name"}, reference=reference
        )
    assert refused.value.reason_code == reason_code
    denial = events(runtime)[-1]
    assert denial.details == f'{{"reason_code":"{reason_code}"}}'
    # Whatever was typed in place of a reference is not kept when it is not one.
    assert denial.reference == (reference if reason_code != "reference_malformed" else None)


def test_a_live_reference_of_that_customer_opens_the_purpose(runtime: Runtime) -> None:
    runtime.guard.register_reference_checker("ticket", open_tickets)
    agent = trained(runtime, "support_agent")
    with runtime.uow() as uow:
        runtime.guard.open(
            uow, agent, CUSTOMER, "support", reads={"identity.name"}, reference="T-1"
        )
        uow.commit()
    assert events(runtime)[-1].reference == "T-1"


def test_a_refusal_rolls_back_what_the_caller_had_done(runtime: Runtime) -> None:
    untrained = Actor.staff(new_id(), "security_officer")
    with runtime.uow() as uow:
        record_training(uow, runtime.clock, Actor.system("cli"), "x" * 32, date(2020, 1, 1))
        with pytest.raises(AccessDenied):
            runtime.guard.open(uow, untrained, CUSTOMER, "security", reads={"contact.email"})
        uow.commit()  # nothing of the caller's is left to commit
    with runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM staff_training")).scalar() == 0
    assert [e.code for e in events(runtime)] == ["access.denied"]


def test_break_glass_needs_a_written_reason_and_is_marked_loudly(runtime: Runtime) -> None:
    officer = trained(runtime, "security_officer")
    with runtime.uow() as uow, pytest.raises(AccessDenied) as refused:
        runtime.guard.open(uow, officer, CUSTOMER, "emergency", reads={"contact.phone"})
    assert "write down why" in refused.value.message
    reason = "Line down at hospital, customer unreachable by e-mail"
    with runtime.uow() as uow:
        runtime.guard.open(
            uow, officer, CUSTOMER, "emergency", reads={"contact.phone"}, reason=reason
        )
        uow.commit()
    event = events(runtime)[-1]
    assert (event.code, event.outcome) == ("access.break_glass", "allowed")
    assert '"note":true' in event.details
    with runtime.engine.connect() as conn:
        note_ct = conn.execute(select(AuditNote.note_ct).where(AuditNote.seq == event.seq)).scalar()
    assert note_ct is not None and reason.encode() not in note_ct
    decrypted = runtime.vault.decrypt(CUSTOMER, "audit_notes", "note_ct", str(event.seq), note_ct)
    assert decrypted == reason


def test_a_role_outside_the_policy_for_emergency_is_refused(runtime: Runtime) -> None:
    agent = trained(runtime, "support_agent")
    with runtime.uow() as uow, pytest.raises(AccessDenied) as refused:
        runtime.guard.open(
            uow, agent, CUSTOMER, "emergency", reads={"contact.phone"}, reason="because I must"
        )
    assert (
        refused.value.message == "The role 'support_agent' may not act for the purpose 'emergency'."
    )


def test_a_customer_reaches_only_their_own_data(runtime: Runtime) -> None:
    with runtime.uow() as uow:
        runtime.guard.open(uow, Actor.customer(CUSTOMER), CUSTOMER, "self", reads={"identity.name"})
        uow.commit()
    with runtime.uow() as uow, pytest.raises(AccessDenied) as refused:
        runtime.guard.open(uow, Actor.customer(CUSTOMER), OTHER, "self", reads={"identity.name"})
    assert refused.value.reason_code == "not_own_data"


def test_an_unknown_purpose_is_not_echoed_and_not_kept(runtime: Runtime) -> None:
    agent = trained(runtime, "support_agent")
    with runtime.uow() as uow, pytest.raises(AccessDenied) as refused:
        runtime.guard.open(uow, agent, CUSTOMER, "canary@example.pk", reads={"identity.name"})
    assert "canary" not in refused.value.message
    assert "support, communications, service_updates" in refused.value.message
    assert events(runtime)[-1].purpose is None


def test_training_is_recorded_once_per_completion_and_audited(runtime: Runtime) -> None:
    staff_id = new_id()
    with runtime.uow() as uow:
        record_training(uow, runtime.clock, Actor.system("cli"), staff_id, date(2026, 1, 5))
        uow.commit()
    event = events(runtime)[-1]
    assert event.code == "staff.training_recorded"
    assert event.details == f'{{"completed_on":"2026-01-05","staff_id":"{staff_id}"}}'
