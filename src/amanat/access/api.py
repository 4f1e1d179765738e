"""GET /api/v1/me/access-log: who accessed the signed-in customer's data, when and why."""

from __future__ import annotations

from fastapi import APIRouter, Request

from amanat.access.log import access_log
from amanat.access.schemas import AccessLogOut
from amanat.web.caller import CustomerActor
from amanat.web.request import runtime_of

router = APIRouter(prefix="/api/v1", tags=["your data"])


@router.get(
    "/me/access-log",
    response_model=AccessLogOut,
    summary="Every access to your data, newest first; your own reads listed apart",
)
def my_access_log(request: Request, actor: CustomerActor) -> AccessLogOut:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        return access_log(uow, runtime.policy, actor)
