"""Governance's pages: the public privacy notice at /privacy, the machine-readable policy,
and the portal page /account/access-log (the customer's access log, server-rendered)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from amanat.core.actor import Actor
from amanat.governance import service
from amanat.policy.notice import build_notice
from amanat.web.caller import page_customer
from amanat.web.render import render
from amanat.web.request import RuntimeDep
from amanat.web.uow import Uow

router = APIRouter()


@router.get("/privacy", response_class=HTMLResponse, include_in_schema=False)
def privacy_notice(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, "policy/privacy.html", build_notice(runtime.policy)
    )


@router.get("/api/v1/policy", tags=["policy"], summary="The policy in force, as JSON")
def policy_document(runtime: RuntimeDep) -> dict[str, Any]:
    loaded = runtime.loaded_policy
    return {"sha256": loaded.sha256, "policy": loaded.policy.model_dump(mode="json")}


@router.get("/account/access-log", response_class=HTMLResponse, include_in_schema=False)
def access_log_page(
    request: Request,
    actor: Annotated[Actor, Depends(page_customer)],
    runtime: RuntimeDep,
    uow: Uow,
) -> HTMLResponse:
    log = service.my_access_log(uow, runtime, actor)
    return render(request, "access/access_log.html", {"log": log})
