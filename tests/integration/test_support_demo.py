"""The support demo seeder: two tickets for the demo customer, once, the card masked."""

from __future__ import annotations

from typing import Any

from amanat.accounts.demo import DEMO_EMAIL
from amanat.core.actor import Actor
from amanat.support import service as tickets
from amanat.support.demo import seed_support
from tests.factories.accounts import create_customer


def test_the_demo_customer_gets_two_tickets_once(runtime: Any) -> None:
    assert seed_support(runtime) == []  # no demo customer yet: nothing to do
    customer = create_customer(runtime, email=DEMO_EMAIL)
    (line,) = seed_support(runtime)
    assert "T-10001, T-10002" in line
    assert seed_support(runtime) == []
    with runtime.uow() as uow:
        views = tickets.list_customer_tickets(uow, runtime, Actor.customer(customer))
        billing = tickets.show_customer_ticket(uow, runtime, Actor.customer(customer), "T-10002")
        uow.commit()
    assert len(views) == 2
    assert "**** **** **** 1111" in billing.messages[0].body
