"""F-03: the staff outbox lists mail for the roles the policy names (communications) and
reads a message under the purpose of what it carries, not the purpose it was sent for.

Marketing holds ``service_updates``, the purpose support answers and invoices are
mailed under; it read both on /staff/outbox. Now it can neither list nor open them, and
the service refuses it the content even without the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from amanat.access.guard import AccessDenied
from amanat.app import create_app
from amanat.billing import catalogue, orders
from amanat.billing.catalogue import DEMO_CATALOGUE
from amanat.billing.models import Invoice
from amanat.billing.run import run_billing
from amanat.comms import service as outbox
from amanat.comms.models import OutboxMessage
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.core.actor import Actor
from amanat.core.clock import FixedClock
from amanat.runtime import Runtime
from amanat.support import desk
from amanat.support import service as tickets
from tests.factories.accounts import create_customer, create_staff, staff_page_cookie

START = datetime(2025, 8, 10, 7, 0, tzinfo=UTC)
ANSWER = "We reset your line at the exchange"


@pytest.fixture
def setup(settings: Settings) -> Iterator[tuple[Runtime, FixedClock]]:
    from amanat.install import initialise

    clock = FixedClock(START)
    runtime = build_runtime(settings, clock=clock)
    initialise(runtime)
    with runtime.uow() as uow:
        catalogue.ensure_plans(uow, runtime, DEMO_CATALOGUE)
        uow.commit()
    try:
        yield runtime, clock
    finally:
        runtime.close()


def _mail(runtime: Runtime, kind: str) -> str:
    with runtime.uow() as uow:
        return uow.session.scalars(select(OutboxMessage.id).where(OutboxMessage.kind == kind)).one()


def test_marketing_reads_no_support_answer_or_invoice_in_the_outbox(
    setup: tuple[Runtime, FixedClock],
) -> None:
    runtime, clock = setup
    customer = create_customer(runtime, email="outbox.purposes@example.pk")
    agent = create_staff(runtime, "support_agent")
    marketing = create_staff(runtime, "marketing")
    officer = create_staff(runtime, "billing_officer")
    with runtime.uow() as uow:
        written = tickets.open_ticket(
            uow, runtime, Actor.customer(customer), subject="Line down", category="connection",
            message="No internet since morning", channel="api",
        )  # fmt: skip
        ticket = tickets.format_number(written.ticket.number)
        uow.commit()
    with runtime.uow() as uow:
        desk.reply(uow, runtime, agent.actor, ticket, ANSWER)
        uow.commit()
    with runtime.uow() as uow:
        orders.place_order(uow, runtime, Actor.customer(customer), customer, "fibre-50", 1)
        uow.commit()
    clock.advance(timedelta(days=25))
    assert run_billing(runtime, "2025-08").issued == 1
    with runtime.uow() as uow:
        invoice = uow.session.scalars(select(Invoice).where(Invoice.customer_id == customer)).one()
        number = invoice.number
    answer, invoice_mail = _mail(runtime, "support_reply"), _mail(runtime, "invoice")
    # Both went out under service_updates, the purpose marketing holds.
    with runtime.uow() as uow:
        sent_for = {uow.session.get(OutboxMessage, m).purpose for m in (answer, invoice_mail)}  # type: ignore[union-attr]
    assert sent_for == {"service_updates"}

    with TestClient(create_app(runtime), base_url="https://testserver") as web:
        as_marketing = {"Cookie": staff_page_cookie(runtime, marketing)["Cookie"]}
        listing = web.get("/staff/outbox", headers=as_marketing)
        assert listing.status_code == 403 and answer not in listing.text
        for mail in (answer, invoice_mail):
            opened = web.get(f"/staff/outbox/{mail}", headers=as_marketing)
            assert opened.status_code == 403
            assert ANSWER not in opened.text and number not in opened.text
        # Billing officers hold no communications purpose: no listing either.
        as_officer = {"Cookie": staff_page_cookie(runtime, officer)["Cookie"]}
        assert web.get("/staff/outbox", headers=as_officer).status_code == 403

        as_agent = {"Cookie": staff_page_cookie(runtime, agent)["Cookie"]}
        listed = web.get("/staff/outbox", headers=as_agent)
        assert listed.status_code == 200 and answer in listed.text
        needs_ticket = web.get(f"/staff/outbox/{answer}", headers=as_agent)
        assert needs_ticket.status_code == 403 and ANSWER not in needs_ticket.text
        assert "open ticket" in needs_ticket.text and 'name="reference"' in needs_ticket.text
        read = web.get(f"/staff/outbox/{answer}", params={"reference": ticket}, headers=as_agent)
        assert read.status_code == 200 and ANSWER in read.text
        # The agent lacks billing: an invoice mail stays closed even with its number.
        amounts = web.get(
            f"/staff/outbox/{invoice_mail}", params={"reference": number}, headers=as_agent
        )
        assert amounts.status_code == 403
        assert "'billing'" in amounts.text.replace("&#39;", "'")
        assert not re.search(r"PKR|Rs\.?\s?\d", amounts.text)

    # The service decides the same without the page: marketing, for whatever it holds.
    for mail in (answer, invoice_mail):
        with runtime.uow() as uow, pytest.raises(AccessDenied):
            outbox.show_message(uow, runtime, mail, actor=marketing.actor)
    # The operator's `amanat outbox show` still reads both, under what they carry.
    with runtime.uow() as uow:
        assert ANSWER in outbox.show_message(uow, runtime, answer).body
        assert number in outbox.show_message(uow, runtime, invoice_mail).body
        uow.commit()
