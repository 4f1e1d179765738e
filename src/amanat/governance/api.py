"""GET /api/v1/me/access-log: who accessed the signed-in customer's data, when and why."""

from __future__ import annotations

from fastapi import APIRouter

from amanat.access.schemas import AccessLogOut
from amanat.governance import service
from amanat.web.caller import CustomerActor
from amanat.web.request import RuntimeDep
from amanat.web.uow import Uow

router = APIRouter(prefix="/api/v1", tags=["your data"])


@router.get(
    "/me/access-log",
    response_model=AccessLogOut,
    summary="Every access to your data, newest first; your own reads listed apart",
)
def my_access_log(actor: CustomerActor, runtime: RuntimeDep, uow: Uow) -> AccessLogOut:
    return service.my_access_log(uow, runtime, actor)
