"""The outbox in the staff console. The list shows no content; opening a message is a
guarded read for the message's purpose, so staff see only what their role may (mail
carrying sign-in links is for the operator's `amanat outbox show` alone)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from amanat.comms import service
from amanat.core.actor import Actor
from amanat.web.caller import page_staff
from amanat.web.render import render
from amanat.web.request import runtime_of

router = APIRouter(include_in_schema=False)
Staff = Annotated[Actor, Depends(page_staff)]


@router.get("/staff/outbox", response_class=HTMLResponse)
def outbox(request: Request, actor: Staff) -> HTMLResponse:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        entries = service.list_outbox(uow, limit=100)
    return render(request, "staff/outbox.html", {"entries": entries})


@router.get("/staff/outbox/{message_id}", response_class=HTMLResponse)
def message(request: Request, actor: Staff, message_id: str) -> HTMLResponse:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        view = service.show_message(uow, runtime, message_id, actor=actor)
        uow.commit()
    return render(request, "staff/outbox_message.html", {"message": view})
