"""The disclosure register's JSON API (staff acting for ``legal_obligation``) and the
public transparency report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from amanat.core.actor import Actor
from amanat.disclosure import service
from amanat.disclosure.schemas import (
    RejectIn,
    RequestDetailOut,
    RequestIn,
    RequestOut,
    TransparencyOut,
)
from amanat.web.caller import StaffFor
from amanat.web.request import RuntimeDep
from amanat.web.uow import Uow

router = APIRouter(prefix="/api/v1", tags=["staff: disclosure"])
Legal = Annotated[Actor, Depends(StaffFor("legal_obligation"))]
Number = Annotated[str, Path(max_length=16, description="The register's number, like D-1001.")]


@router.get("/disclosure/requests", response_model=list[RequestOut], summary="The register")
def list_requests(uow: Uow, runtime: RuntimeDep, actor: Legal) -> list[RequestOut]:
    return service.list_requests(uow, runtime, actor)


@router.post(
    "/disclosure/requests", response_model=RequestOut, status_code=201,
    summary="Register a request an authority sent",
)  # fmt: skip
def register(uow: Uow, runtime: RuntimeDep, actor: Legal, body: RequestIn) -> RequestOut:
    return service.register(uow, runtime, actor, body)


@router.get(
    "/disclosure/requests/{number}", response_model=RequestDetailOut,
    summary="One request with its text, scope and decisions (audited)",
)  # fmt: skip
def show(uow: Uow, runtime: RuntimeDep, actor: Legal, number: Number) -> RequestDetailOut:
    return service.request_detail(uow, runtime, actor, number)


@router.post(
    "/disclosure/requests/{number}/approve", response_model=RequestOut,
    summary="Approve (an approver who did not register it)",
)  # fmt: skip
def approve(uow: Uow, runtime: RuntimeDep, actor: Legal, number: Number) -> RequestOut:
    return service.approve(uow, runtime, actor, number)


@router.post(
    "/disclosure/requests/{number}/reject", response_model=RequestOut,
    summary="Reject with a written reason",
)  # fmt: skip
def reject(
    uow: Uow, runtime: RuntimeDep, actor: Legal, number: Number, body: RejectIn
) -> RequestOut:
    return service.reject(uow, runtime, actor, number, body.reason)


@router.post(
    "/disclosure/requests/{number}/export",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "The signed package."}},
    summary="Export an approved request as a signed package (once)",
)
def export(uow: Uow, runtime: RuntimeDep, actor: Legal, number: Number) -> Response:
    package = service.export_request(uow, runtime, actor, number)
    return Response(
        package.content,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{package.filename}"'},
    )


@router.get(
    "/transparency", response_model=TransparencyOut, tags=["public"],
    summary="Requests by kind of authority, outcome and half-year; small counts hidden",
)  # fmt: skip
def transparency(uow: Uow, runtime: RuntimeDep) -> TransparencyOut:
    return service.transparency_report(uow, runtime)
