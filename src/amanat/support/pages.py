"""Support pages: the customer's tickets in the portal (/support) and the agent desk in
the staff console (/staff/support). Plain forms, no JavaScript; every POST carries the
CSRF token. Each route parses, calls one service function and renders or redirects."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from amanat.core.actor import Actor
from amanat.core.errors import Invalid
from amanat.support import desk
from amanat.support import service as tickets
from amanat.support.models import CATEGORIES, PRIORITIES, STATUSES
from amanat.support.redaction import CARD_WARNING
from amanat.web.caller import StaffFor, page_customer
from amanat.web.csrf import require_csrf
from amanat.web.render import redirect, render
from amanat.web.request import RuntimeDep
from amanat.web.uow import Uow

router = APIRouter(include_in_schema=False)
Customer = Annotated[Actor, Depends(page_customer)]
Staff = Annotated[Actor, Depends(StaffFor("support", page=True))]
Csrf = Depends(require_csrf)
# Generous ceilings for a form body; the service states the real limits.
Text = Annotated[str, Form(max_length=200_000)]
Short = Annotated[str, Form(max_length=64)]


def _notice(flag: str | None) -> str | None:
    return CARD_WARNING if flag == "card" else None


def _after(location: str, cards: int) -> Response:
    return redirect(f"{location}?notice=card" if cards else location)


@router.get("/support", response_class=HTMLResponse)
def my_tickets(request: Request, uow: Uow, runtime: RuntimeDep, actor: Customer) -> HTMLResponse:
    views = tickets.list_customer_tickets(uow, runtime, actor)
    return render(request, "support/list.html", {"tickets": views})


@router.get("/support/new", response_class=HTMLResponse)
def new_ticket_form(request: Request, actor: Customer) -> HTMLResponse:
    return render(
        request, "support/new.html",
        {"categories": CATEGORIES, "limits": _limits()},
    )  # fmt: skip


def _limits() -> dict[str, int]:
    return {"subject": tickets.MAX_SUBJECT_CHARS, "message": tickets.MAX_MESSAGE_CHARS}


@router.post("/support/new", response_class=HTMLResponse, dependencies=[Csrf])
def new_ticket(
    request: Request,
    uow: Uow,
    runtime: RuntimeDep,
    actor: Customer,
    subject: Text = "",
    category: Short = "other",
    message: Text = "",
) -> Response:
    try:
        written = tickets.open_ticket(
            uow, runtime, actor, subject=subject, category=category, message=message,
            channel="portal",
        )  # fmt: skip
    except Invalid as problem:
        uow.rollback()  # nothing of a refused ticket is kept
        return render(
            request, "support/new.html",
            {"categories": CATEGORIES, "limits": _limits(),
             "message": problem.message, "errors": problem.fields,
             "values": {"subject": subject[:1000], "category": category,
                        "message": message[: tickets.MAX_MESSAGE_CHARS * 2]}},
            422,
        )  # fmt: skip
    number = tickets.format_number(written.ticket.number)
    return _after(f"/support/{number}", written.cards_redacted)


@router.get("/support/{number}", response_class=HTMLResponse)
def my_ticket(
    request: Request,
    uow: Uow,
    runtime: RuntimeDep,
    actor: Customer,
    number: str,
    notice: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    view = tickets.show_customer_ticket(uow, runtime, actor, number)
    return render(
        request, "support/ticket.html",
        {"view": view, "notice": _notice(notice),
         "limits": _limits()},
    )  # fmt: skip


@router.post("/support/{number}/reply", response_class=HTMLResponse, dependencies=[Csrf])
def my_reply(
    uow: Uow, runtime: RuntimeDep, actor: Customer, number: str, message: Text = ""
) -> Response:
    written = tickets.reply_as_customer(uow, runtime, actor, number, message, "portal")
    return _after(
        f"/support/{tickets.format_number(written.ticket.number)}", written.cards_redacted
    )


@router.post("/support/{number}/close", response_class=HTMLResponse, dependencies=[Csrf])
def my_close(uow: Uow, runtime: RuntimeDep, actor: Customer, number: str) -> Response:
    ticket = tickets.close_as_customer(uow, runtime, actor, number)
    return redirect(f"/support/{tickets.format_number(ticket.number)}")


# -- Agent desk --------------------------------------------------------------------------


def _optional(value: str | None) -> str | None:
    return value or None


@router.get("/staff/support", response_class=HTMLResponse)
def desk_queue(
    request: Request,
    uow: Uow,
    runtime: RuntimeDep,
    actor: Staff,
    status: Annotated[str | None, Query(max_length=32)] = None,
    priority: Annotated[str | None, Query(max_length=16)] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    assignee: Annotated[str | None, Query(max_length=32)] = None,
    older_than_hours: Annotated[str | None, Query(max_length=12)] = None,
) -> HTMLResponse:
    try:
        hours = float(older_than_hours) if older_than_hours else None
    except ValueError:
        raise Invalid(
            "Age must be a number of hours.", fields={"older_than_hours": "A number."}
        ) from None
    selection = desk.QueueFilter(
        _optional(status), _optional(priority), _optional(category), _optional(assignee), hours
    )
    entries = desk.queue(uow, runtime, actor, selection)
    return render(
        request, "support/queue.html",
        {"entries": entries, "filter": selection, "statuses": STATUSES,
         "priorities": PRIORITIES, "categories": CATEGORIES, "me": actor.id},
    )  # fmt: skip


@router.get("/staff/support/{number}", response_class=HTMLResponse)
def desk_ticket(
    request: Request,
    uow: Uow,
    runtime: RuntimeDep,
    actor: Staff,
    number: str,
    notice: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    view = desk.open_for_agent(uow, runtime, actor, number)
    return render(
        request, "support/desk_ticket.html",
        {"view": view, "notice": _notice(notice), "statuses": STATUSES,
         "priorities": PRIORITIES, "me": actor.id, "limits": _limits()},
    )  # fmt: skip


@router.post("/staff/support/{number}/reply", response_class=HTMLResponse, dependencies=[Csrf])
def desk_reply(
    uow: Uow, runtime: RuntimeDep, actor: Staff, number: str, message: Text = ""
) -> Response:
    written = desk.reply(uow, runtime, actor, number, message)
    return _after(
        f"/staff/support/{tickets.format_number(written.ticket.number)}", written.cards_redacted
    )


@router.post("/staff/support/{number}/note", response_class=HTMLResponse, dependencies=[Csrf])
def desk_note(
    uow: Uow, runtime: RuntimeDep, actor: Staff, number: str, note: Text = ""
) -> Response:
    written = desk.add_note(uow, runtime, actor, number, note)
    return _after(
        f"/staff/support/{tickets.format_number(written.ticket.number)}", written.cards_redacted
    )


@router.post("/staff/support/{number}/update", response_class=HTMLResponse, dependencies=[Csrf])
def desk_update(
    uow: Uow,
    runtime: RuntimeDep,
    actor: Staff,
    number: str,
    status: Short = "",
    priority: Short = "",
    assignee_id: Short = "-",
) -> Response:
    entry = desk.update(
        uow, runtime, actor, number, status=status or None, priority=priority or None,
        assignee_id=assignee_id or None, reassign=assignee_id != "-",
    )  # fmt: skip
    # A closed ticket is no longer a live reference: back to the queue.
    closed = entry.ticket.status == "closed"
    return redirect("/staff/support" if closed else f"/staff/support/{entry.number}")
