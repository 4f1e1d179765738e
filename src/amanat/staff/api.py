"""A staff member's own account over the API: change the password, see and end sessions.

Only the caller's own credentials and sessions: nothing here reads a customer. The
session list reads technical data for ``account_management`` through the guard (the
network address is not shown to staff).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from amanat.accounts import service as accounts
from amanat.accounts.schemas import PasswordChangeIn, SessionOut
from amanat.web.caller import StaffActor, current_session_id
from amanat.web.client import client_info
from amanat.web.cookies import set_session_cookie
from amanat.web.request import RuntimeDep
from amanat.web.uow import Uow

router = APIRouter(prefix="/api/v1/staff/me", tags=["staff: own account"])
Staff = StaffActor


@router.post(
    "/password",
    status_code=204,
    summary="Change your password (other sessions end, every API token is revoked)",
)
def change_password(
    request: Request, actor: Staff, body: PasswordChangeIn, uow: Uow, runtime: RuntimeDep
) -> Response:
    outcome = accounts.change_password(
        uow, runtime, actor, body.current_password, body.new_password,
        current_session_id(request), client_info(request),
    )  # fmt: skip
    if outcome.error is not None:
        uow.commit()  # a wrong current password is counted like a failed sign-in: kept, then refused
        raise outcome.error
    response = Response(status_code=204)
    if outcome.token is not None:
        set_session_cookie(response, runtime, "staff", outcome.token)
    return response


@router.get("/sessions", response_model=list[SessionOut], summary="Your live sessions")
def list_sessions(
    request: Request, actor: Staff, uow: Uow, runtime: RuntimeDep
) -> list[SessionOut]:
    views = accounts.list_sessions(uow, runtime, actor, current_session_id(request))
    return [SessionOut.model_validate(v, from_attributes=True) for v in views]


@router.delete("/sessions/{session_id}", status_code=204, summary="End one of your sessions")
def revoke_session(actor: Staff, session_id: str, uow: Uow, runtime: RuntimeDep) -> Response:
    accounts.revoke(uow, runtime, actor, session_id)
    return Response(status_code=204)


@router.post(
    "/sessions/revoke-others", response_model=dict[str, int], summary="End every other session"
)
def revoke_others(request: Request, actor: Staff, uow: Uow, runtime: RuntimeDep) -> dict[str, int]:
    count = accounts.revoke_others(uow, runtime, actor, current_session_id(request))
    return {"ended": count}
