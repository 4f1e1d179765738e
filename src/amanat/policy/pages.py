"""The public privacy notice at /privacy and the machine-readable policy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from amanat.policy.notice import build_notice

router = APIRouter()


@router.get("/privacy", response_class=HTMLResponse, include_in_schema=False)
def privacy_notice(request: Request) -> HTMLResponse:
    policy = request.app.state.runtime.policy
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, "policy/privacy.html", build_notice(policy)
    )


@router.get("/api/v1/policy", tags=["policy"], summary="The policy in force, as JSON")
def policy_document(request: Request) -> dict[str, Any]:
    loaded = request.app.state.runtime.loaded_policy
    return {"sha256": loaded.sha256, "policy": loaded.policy.model_dump(mode="json")}
