"""Demo support tickets for the demo customer (idempotent: only when they have none)."""

from __future__ import annotations

from sqlalchemy import select

from amanat.core.actor import Actor
from amanat.runtime import Runtime
from amanat.support import service as tickets
from amanat.support.models import Ticket

DEMO_TICKETS = (
    ("Internet drops every evening", "connection",
     "Since Monday the connection drops around 9 pm for ten minutes. The router lights stay green."),
    ("Charged twice for March", "billing",
     "My card 4111 1111 1111 1111 was charged twice for the March invoice; please refund one."),
)  # fmt: skip


def seed_support(runtime: Runtime) -> list[str]:
    """Open the demo tickets (one with a card number, to show it masked)."""
    from amanat.accounts.service import DEMO_EMAIL
    from amanat.customers.service import find_by_email

    with runtime.uow() as uow:
        customer = find_by_email(uow, runtime, DEMO_EMAIL)
        if customer is None:
            return []
        if uow.session.scalar(select(Ticket.id).where(Ticket.customer_id == customer.id)):
            return []
        actor = Actor.customer(customer.id)
        numbers = []
        for subject, category, message in DEMO_TICKETS:
            written = tickets.open_ticket(
                uow, runtime, actor, subject=subject, category=category, message=message,
                channel="portal",
            )  # fmt: skip
            numbers.append(tickets.format_number(written.ticket.number))
        uow.commit()
    return [
        f"Support: demo tickets {', '.join(numbers)}; agents answer them at "
        f"{runtime.settings.resolved_public_url}/staff/support"
    ]
