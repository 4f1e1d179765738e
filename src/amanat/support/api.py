"""The support JSON API: customers' tickets under /api/v1/tickets, the agent desk under
/api/v1/support. Each route parses, calls one service function and renders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query

from amanat.core.actor import Actor
from amanat.core.errors import BadRequest
from amanat.support import desk
from amanat.support import service as tickets
from amanat.support.schemas import (
    AgentTicketOut,
    AgentUpdateIn,
    AttachmentOut,
    CustomerCard,
    MessageOut,
    QueueRow,
    ReplyIn,
    TicketIn,
    TicketOut,
    TicketSummary,
)
from amanat.web.caller import CustomerActor, StaffFor
from amanat.web.request import RuntimeDep
from amanat.web.uow import Uow

router = APIRouter(prefix="/api/v1", tags=["support"])
Customer = CustomerActor
Staff = Annotated[Actor, Depends(StaffFor("support"))]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such ticket among yours"}}


def _messages(view: tickets.TicketView) -> list[MessageOut]:
    return [
        MessageOut(
            id=m.id,
            author=m.author,
            internal=m.internal,
            created_at=m.created_at,
            body=m.body,
            cards_redacted=m.cards_redacted,
            attachments=[
                AttachmentOut(
                    id=a.id, filename=a.filename, content_type=a.content_type, size=a.size
                )
                for a in m.attachments
            ],
        )
        for m in view.messages
    ]


def _ticket_out(view: tickets.TicketView, notice: str | None = None) -> TicketOut:
    t = view.ticket
    return TicketOut(
        number=view.number, subject=view.subject, category=t.category,
        status=t.status, priority=t.priority,
        created_at=t.created_at, updated_at=t.updated_at, messages=_messages(view),
        notice=notice,
    )  # fmt: skip


def _row(entry: desk.QueueEntry) -> QueueRow:
    t = entry.ticket
    return QueueRow(
        number=entry.number, category=t.category, priority=t.priority,
        status=t.status, channel=t.channel, linked=t.linked,
        assignee_id=t.assignee_id, created_at=t.created_at, age_hours=entry.age_hours,
        first_response_due_at=t.first_response_due_at, first_response_at=t.first_response_at,
        first_response_breached=entry.first_response_breached,
        resolution_due_at=t.resolution_due_at, resolution_breached=entry.resolution_breached,
    )  # fmt: skip


@router.post("/tickets", status_code=201, response_model=TicketOut, summary="Open a support ticket")
def open_ticket(uow: Uow, runtime: RuntimeDep, actor: Customer, body: TicketIn) -> TicketOut:
    """Card numbers in the subject or message are masked before storage; ``notice`` says so."""
    written = tickets.open_ticket(
        uow, runtime, actor, subject=body.subject, category=body.category,
        message=body.message, channel="api",
    )  # fmt: skip
    view = tickets.show_customer_ticket(
        uow, runtime, actor, tickets.format_number(written.ticket.number)
    )
    return _ticket_out(view, written.notice)


@router.get("/tickets", response_model=list[TicketSummary], summary="Your tickets")
def list_tickets(uow: Uow, runtime: RuntimeDep, actor: Customer) -> list[TicketSummary]:
    views = tickets.list_customer_tickets(uow, runtime, actor)
    return [
        TicketSummary(
            number=v.number,
            subject=v.subject,
            category=v.ticket.category,
            status=v.ticket.status,
            created_at=v.ticket.created_at,
            updated_at=v.ticket.updated_at,
        )
        for v in views
    ]


@router.get("/tickets/{number}", response_model=TicketOut, responses=NOT_FOUND)
def get_ticket(uow: Uow, runtime: RuntimeDep, actor: Customer, number: str) -> TicketOut:
    """One of your tickets with its thread (agents' internal notes are not shown)."""
    view = tickets.show_customer_ticket(uow, runtime, actor, number)
    return _ticket_out(view)


@router.post(
    "/tickets/{number}/replies",
    response_model=TicketOut,
    responses={**NOT_FOUND, 409: {"description": "The ticket is closed"}},
)
def reply(uow: Uow, runtime: RuntimeDep, actor: Customer, number: str, body: ReplyIn) -> TicketOut:
    """Add to the thread; a resolved ticket opens again, a closed one refuses (409)."""
    written = tickets.reply_as_customer(uow, runtime, actor, number, body.message, "api")
    view = tickets.show_customer_ticket(uow, runtime, actor, number)
    return _ticket_out(view, written.notice)


@router.post("/tickets/{number}/close", response_model=TicketOut, responses=NOT_FOUND)
def close(uow: Uow, runtime: RuntimeDep, actor: Customer, number: str) -> TicketOut:
    tickets.close_as_customer(uow, runtime, actor, number)
    view = tickets.show_customer_ticket(uow, runtime, actor, number)
    return _ticket_out(view)


# -- Agent desk --------------------------------------------------------------------------


def _purpose(x_access_purpose: str | None) -> None:
    if x_access_purpose is not None and x_access_purpose != desk.PURPOSE:
        raise BadRequest(
            "The support desk acts for the purpose 'support' only; send "
            "X-Access-Purpose: support or leave the header out."
        )


@router.get("/support/queue", response_model=list[QueueRow], summary="The agent queue")
def agent_queue(
    uow: Uow,
    runtime: RuntimeDep,
    actor: Staff,
    status: Annotated[str | None, Query(max_length=32)] = None,
    priority: Annotated[str | None, Query(max_length=16)] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    assignee: Annotated[str | None, Query(max_length=32, description="id, me or none")] = None,
    older_than_hours: Annotated[float | None, Query(ge=0, le=100_000)] = None,
) -> list[QueueRow]:
    """Tickets by filter, oldest first; no personal data, so nothing is decrypted."""
    selection = desk.QueueFilter(status, priority, category, assignee, older_than_hours)
    entries = desk.queue(uow, runtime, actor, selection)
    return [_row(e) for e in entries]


def _agent_out(view: desk.AgentView, notice: str | None = None) -> AgentTicketOut:
    as_ticket = tickets.TicketView(
        view.entry.ticket, view.entry.number, view.subject, view.messages
    )
    return AgentTicketOut(
        ticket=_row(view.entry), subject=view.subject,
        customer=CustomerCard(linked=view.entry.ticket.linked, fields=view.customer),
        messages=_messages(as_ticket), notice=notice,
    )  # fmt: skip


@router.get("/support/tickets/{number}", response_model=AgentTicketOut, responses=NOT_FOUND)
def agent_ticket(
    uow: Uow,
    runtime: RuntimeDep,
    actor: Staff,
    number: str,
    x_access_purpose: Annotated[str | None, Header(max_length=64)] = None,
) -> AgentTicketOut:
    """Open a ticket: a guarded read for ``support`` with the ticket as reference (audited)."""
    _purpose(x_access_purpose)
    view = desk.open_for_agent(uow, runtime, actor, number)
    return _agent_out(view)


@router.post("/support/tickets/{number}/replies", response_model=AgentTicketOut)
def agent_reply(
    uow: Uow, runtime: RuntimeDep, actor: Staff, number: str, body: ReplyIn
) -> AgentTicketOut:
    """Answer the customer (they are notified by mail)."""
    written = desk.reply(uow, runtime, actor, number, body.message)
    view = desk.open_for_agent(uow, runtime, actor, number)
    return _agent_out(view, written.notice)


@router.post("/support/tickets/{number}/notes", response_model=AgentTicketOut)
def agent_note(
    uow: Uow, runtime: RuntimeDep, actor: Staff, number: str, body: ReplyIn
) -> AgentTicketOut:
    """An internal note the customer never sees."""
    written = desk.add_note(uow, runtime, actor, number, body.message)
    view = desk.open_for_agent(uow, runtime, actor, number)
    return _agent_out(view, written.notice)


@router.patch("/support/tickets/{number}", response_model=QueueRow)
def agent_update(
    uow: Uow, runtime: RuntimeDep, actor: Staff, number: str, body: AgentUpdateIn
) -> QueueRow:
    """Change status, priority and/or assignee (each change is audited on its own)."""
    entry = desk.update(
        uow, runtime, actor, number, status=body.status, priority=body.priority,
        assignee_id=body.assignee_id, reassign="assignee_id" in body.model_fields_set,
    )  # fmt: skip
    return _row(entry)
