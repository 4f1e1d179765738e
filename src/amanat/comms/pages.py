"""The outbox in the staff console, for the roles the policy gives ``communications``.
The list shows no content; opening a message is a guarded read under the purpose of
what it carries (a support answer for ``support`` with its ticket, an invoice for
``billing`` with the invoice number, given in the form), so staff see only what their
role may (mail carrying sign-in links is for the operator's `amanat outbox show` alone)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from amanat.comms import service
from amanat.core.actor import Actor
from amanat.core.errors import Forbidden
from amanat.web.caller import StaffFor
from amanat.web.render import render
from amanat.web.request import RuntimeDep
from amanat.web.uow import Uow

router = APIRouter(include_in_schema=False)
# Listing mail is for the roles the policy gives the communications purpose.
Staff = Annotated[Actor, Depends(StaffFor("communications", page=True))]


@router.get("/staff/outbox", response_class=HTMLResponse)
def outbox(request: Request, actor: Staff, uow: Uow) -> HTMLResponse:
    entries = service.list_outbox(uow, limit=100)
    return render(request, "staff/outbox.html", {"entries": entries})


@router.get("/staff/outbox/{message_id}", response_class=HTMLResponse)
def message(
    request: Request,
    actor: Staff,
    uow: Uow,
    runtime: RuntimeDep,
    message_id: Annotated[str, Path(max_length=32)],
    reference: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    """``reference``: the ticket or invoice number the message's purpose needs (not
    personal data: a case number, as in the audit log)."""
    try:
        view = service.show_message(
            uow, runtime, message_id, actor=actor, reference=reference.strip() or None
        )
    except Forbidden as refused:  # the guard's AccessDenied
        uow.rollback()  # as before: nothing of the refused read is kept
        context: dict[str, object] = {
            "message_id": message_id,
            "refusal": refused.message,
            "reference": reference,
        }
        return render(request, "staff/outbox_message.html", context, refused.status)
    return render(request, "staff/outbox_message.html", {"message": view})
