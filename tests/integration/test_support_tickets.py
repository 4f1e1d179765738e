"""Tickets through the services on SQLite and PostgreSQL: redaction before storage,
ownership, limits, the agent desk's guarded reads, timers and notifications."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from amanat.access.guard import AccessDenied
from amanat.audit.models import AuditEvent
from amanat.comms.models import OutboxMessage
from amanat.comms.service import show_message
from amanat.core.actor import Actor
from amanat.core.clock import FixedClock
from amanat.core.errors import Conflict, Invalid, NotFound
from amanat.support import desk
from amanat.support import service as tickets
from amanat.support.models import Ticket, TicketMessage
from tests.factories.accounts import create_customer, create_staff

CARD = "4111 1111 1111 1111"


@pytest.fixture
def clock(runtime: Any) -> FixedClock:
    fixed = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    runtime.clock = fixed
    runtime.guard.clock = fixed
    return fixed


def _events(runtime: Any, code: str) -> list[SimpleNamespace]:
    """The audit events of ``code`` in order, as plain values."""
    with runtime.uow() as uow:
        rows = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.code == code).order_by(AuditEvent.seq)
        )
        return [
            SimpleNamespace(
                actor_id=e.actor_id,
                customer_id=e.customer_id,
                reference=e.reference,
                purpose=e.purpose,
                details=json.loads(e.details),
            )
            for e in rows
        ]


def _open(runtime: Any, customer: str, message: str, subject: str = "Line down") -> Any:
    with runtime.uow() as uow:
        written = tickets.open_ticket(
            uow, runtime, Actor.customer(customer), subject=subject, category="connection",
            message=message, channel="api",
        )  # fmt: skip
        number = tickets.format_number(written.ticket.number)
        notice = written.notice
        uow.commit()
    return number, notice


def test_a_customer_ticket_is_stored_without_its_card_number_and_the_count_is_audited(
    runtime: Any, clock: FixedClock
) -> None:
    customer = create_customer(runtime)
    number, notice = _open(
        runtime, customer, f"Please charge {CARD}, CVV 123, for the router.", f"Card {CARD}"
    )
    assert number == "T-10001"
    assert notice is not None and "card" in notice
    with runtime.uow() as uow:
        raw = uow.session.scalars(select(TicketMessage.cards_redacted)).all()
        assert raw == [1]
        shown = tickets.show_customer_ticket(uow, runtime, Actor.customer(customer), number)
        uow.commit()
    assert shown.subject == "Card **** **** **** 1111"
    assert shown.messages[0].body == "Please charge **** **** **** 1111, CVV ***, for the router."
    (event,) = _events(runtime, "support.ticket_opened")
    assert event.reference == number
    assert event.details["cards_redacted"] == 2  # one in the subject, one in the body
    assert "4111111111111111" not in str(event.details)
    assert _open(runtime, customer, "second")[0] == "T-10002"


def test_another_customers_ticket_is_not_found_and_the_attempt_is_audited(
    runtime: Any, clock: FixedClock
) -> None:
    owner = create_customer(runtime)
    intruder = create_customer(runtime)
    number, _ = _open(runtime, owner, "My bill is wrong")
    for attempt in (
        lambda uow: tickets.show_customer_ticket(uow, runtime, Actor.customer(intruder), number),
        lambda uow: tickets.reply_as_customer(
            uow, runtime, Actor.customer(intruder), number, "hi", "api"
        ),
        lambda uow: tickets.show_customer_ticket(uow, runtime, Actor.customer(intruder), "T-99"),
    ):
        with runtime.uow() as uow, pytest.raises(NotFound) as raised:
            attempt(uow)
        assert raised.value.message == tickets.NO_SUCH_TICKET
    denied = _events(runtime, "access.denied")
    assert [(e.actor_id, e.customer_id, e.reference) for e in denied] == [
        (intruder, owner, number),
        (intruder, owner, number),
    ]


def test_empty_and_oversized_messages_are_refused_naming_the_limit(
    runtime: Any, clock: FixedClock
) -> None:
    customer = create_customer(runtime)
    with runtime.uow() as uow:
        with pytest.raises(Invalid, match="empty"):
            tickets.open_ticket(
                uow, runtime, Actor.customer(customer), subject="x", category="other",
                message="   \n ", channel="api",
            )  # fmt: skip
        with pytest.raises(Invalid, match="at most 10000 characters, yours has 10001"):
            tickets.open_ticket(
                uow, runtime, Actor.customer(customer), subject="x", category="other",
                message="a" * 10_001, channel="api",
            )  # fmt: skip
        with pytest.raises(Invalid, match="at most 200 characters"):
            tickets.open_ticket(
                uow, runtime, Actor.customer(customer), subject="s" * 201, category="other",
                message="hello", channel="api",
            )  # fmt: skip
        with pytest.raises(Invalid, match="category"):
            tickets.open_ticket(
                uow, runtime, Actor.customer(customer), subject="x", category="sales",
                message="hello", channel="api",
            )  # fmt: skip
    with runtime.uow() as uow:
        assert uow.session.scalars(select(Ticket)).all() == []


def test_the_agent_desk_reads_through_the_guard_answers_and_notifies(
    runtime: Any, clock: FixedClock
) -> None:
    customer = create_customer(runtime)
    agent = create_staff(runtime, "support_agent")
    untrained = create_staff(runtime, "support_agent", trained=False)
    billing = create_staff(runtime, "billing_officer")
    number, _ = _open(runtime, customer, "No internet since morning")

    with runtime.uow() as uow:
        rows = desk.queue(uow, runtime, agent.actor, desk.QueueFilter(status="new"))
        assert [r.number for r in rows] == [number]
    with runtime.uow() as uow, pytest.raises(AccessDenied):
        desk.open_for_agent(uow, runtime, untrained.actor, number)
    with runtime.uow() as uow, pytest.raises(Exception, match="support"):
        desk.open_for_agent(uow, runtime, billing.actor, number)

    clock.advance(timedelta(minutes=30))
    with runtime.uow() as uow:
        view = desk.open_for_agent(uow, runtime, agent.actor, number)
        desk.add_note(uow, runtime, agent.actor, number, f"Customer read out {CARD} on the phone")
        desk.reply(uow, runtime, agent.actor, number, "We reset your line; please try again.")
        desk.set_priority(uow, runtime, agent.actor, number, "high")
        desk.assign(uow, runtime, agent.actor, number, agent.id)
        uow.commit()
    assert view.customer["Name"] == "Canary Testname"
    assert view.customer["CNIC"].startswith("*****-***")  # masked as the policy says
    assert view.customer["Phone"].startswith("+92 *** ***")
    granted = [e for e in _events(runtime, "access.granted") if e.actor_id == agent.id]
    assert granted and all(e.purpose == "support" and e.reference == number for e in granted)

    with runtime.uow() as uow:
        ticket = uow.session.scalar(select(Ticket))
        assert ticket is not None
        assert ticket.status == "waiting_on_customer"
        assert ticket.first_response_at == clock.now()
        assert ticket.assignee_id == agent.id
        assert ticket.first_response_due_at == ticket.created_at + timedelta(minutes=240)
        customer_view = tickets.show_customer_ticket(uow, runtime, Actor.customer(customer), number)
        agent_view = desk.open_for_agent(uow, runtime, agent.actor, number)
        (mail,) = uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "support_reply")
        ).all()
        outbox = show_message(uow, runtime, mail.id)
        uow.commit()
    assert [m.author for m in customer_view.messages] == ["customer", "agent"]  # no note
    assert [m.internal for m in agent_view.messages] == [False, True, False]
    assert agent_view.messages[1].body == "Customer read out **** **** **** 1111 on the phone"
    assert mail.kind == "support_reply"
    assert number in outbox.subject and "We reset your line" in outbox.body

    with runtime.uow() as uow:
        mine = desk.queue(uow, runtime, agent.actor, desk.QueueFilter(assignee="me"))
        urgent = desk.queue(uow, runtime, agent.actor, desk.QueueFilter(priority="urgent"))
        old = desk.queue(uow, runtime, agent.actor, desk.QueueFilter(older_than_hours=1))
        assert ([r.number for r in mine], urgent, old) == ([number], [], [])
        with pytest.raises(Invalid):
            desk.queue(uow, runtime, agent.actor, desk.QueueFilter(status="lost"))


def test_reply_reopens_a_resolved_ticket_and_a_closed_one_takes_no_more(
    runtime: Any, clock: FixedClock
) -> None:
    customer = create_customer(runtime)
    agent = create_staff(runtime, "support_agent")
    actor = Actor.customer(customer)
    number, _ = _open(runtime, customer, "Slow speeds")
    with runtime.uow() as uow:
        desk.set_status(uow, runtime, agent.actor, number, "resolved")
        uow.commit()
    with runtime.uow() as uow:
        tickets.reply_as_customer(uow, runtime, actor, number, "Still slow", "portal")
        uow.commit()
    with runtime.uow() as uow:
        assert uow.session.scalar(select(Ticket.status)) == "open"
        tickets.close_as_customer(uow, runtime, actor, number)
        uow.commit()
    with runtime.uow() as uow, pytest.raises(Conflict, match="closed; open a new ticket"):
        tickets.reply_as_customer(uow, runtime, actor, number, "one more", "portal")
    # A closed ticket is no longer a live reference: the desk cannot open it.
    with runtime.uow() as uow, pytest.raises(AccessDenied):
        desk.open_for_agent(uow, runtime, agent.actor, number)
    assert [e.details for e in _events(runtime, "support.status_changed")] == [
        {"from": "new", "to": "resolved"}
    ]
