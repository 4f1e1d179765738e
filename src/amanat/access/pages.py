"""The portal page /account/access-log: the customer's access log, server-rendered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from amanat.access.log import access_log
from amanat.core.actor import Actor
from amanat.web.caller import page_customer
from amanat.web.render import render
from amanat.web.request import runtime_of

router = APIRouter(include_in_schema=False)


@router.get("/account/access-log", response_class=HTMLResponse)
def access_log_page(
    request: Request, actor: Annotated[Actor, Depends(page_customer)]
) -> HTMLResponse:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        log = access_log(uow, runtime.policy, actor)
    return render(request, "access/access_log.html", {"log": log})
