"""The signed-in principal's own password and sessions, the same for customers and staff.

A customer changes them on the portal's Security page, a staff member on /staff/account;
the two pages differ in what else they show, so each kind passes the function that
renders its page (``AccountPage``) and the steps live here once. Accounts owns every
principal's credentials and sessions, so the staff member's account routes live here too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from amanat.accounts import service as accounts
from amanat.core.actor import Actor
from amanat.core.errors import AmanatError, Invalid
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.web.caller import current_session_id, page_staff
from amanat.web.client import client_info
from amanat.web.cookies import set_session_cookie
from amanat.web.csrf import require_csrf
from amanat.web.render import redirect, render
from amanat.web.request import RuntimeDep
from amanat.web.uow import Uow

AccountPage = Callable[
    [Request, UnitOfWork, Runtime, Actor, Mapping[str, object], int], HTMLResponse
]
CHANGE_DONE = (
    "Your password is changed. Every other session has ended and every API token is "
    "revoked; this browser stays signed in."
)


def change_password_step(
    request: Request,
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    page: AccountPage,
    current_password: str,
    new_password: str,
) -> HTMLResponse:
    """Change the password; the page again, with the errors or the news and a new cookie.

    A wrong current password is an outcome, not an exception: the request commits its count.
    """
    outcome = accounts.change_password(
        uow, runtime, actor, current_password, new_password, current_session_id(request),
        client_info(request),
    )  # fmt: skip
    if outcome.error is not None:
        error = outcome.error
        fields = error.fields if isinstance(error, Invalid) else {"current_password": error.message}
        return page(request, uow, runtime, actor, {"errors": fields}, error.status)
    response = page(request, uow, runtime, actor, {"message": CHANGE_DONE}, 200)
    if outcome.token is not None:
        set_session_cookie(response, runtime, actor.kind, outcome.token)
    return response


def revoke_session_step(
    request: Request,
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    page: AccountPage,
    session_id: str,
    home: str,
) -> Response:
    """End one of the caller's sessions and go back ``home``; a refusal is the page again."""
    try:
        accounts.revoke(uow, runtime, actor, session_id)
    except AmanatError as exc:
        uow.rollback()  # a refused change keeps nothing; the page below only reads
        return page(request, uow, runtime, actor, {"message": exc.message}, exc.status)
    return redirect(home)


# -- the staff member's account -----------------------------------------------------------

router = APIRouter(include_in_schema=False)
Staff = Annotated[Actor, Depends(page_staff)]
Csrf = Depends(require_csrf)
FormText = Annotated[str, Form(max_length=1024)]


def _staff_page(
    request: Request,
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    extra: Mapping[str, object],
    status: int = 200,
) -> HTMLResponse:
    views = accounts.list_sessions(uow, runtime, actor, current_session_id(request))
    return render(request, "staff/account.html", {"sessions": views, **extra}, status)


@router.get("/staff/account", response_class=HTMLResponse)
def staff_account(request: Request, actor: Staff, uow: Uow, runtime: RuntimeDep) -> HTMLResponse:
    return _staff_page(request, uow, runtime, actor, {})


@router.post("/staff/account/password", response_class=HTMLResponse, dependencies=[Csrf])
def staff_change_password(
    request: Request,
    actor: Staff,
    uow: Uow,
    runtime: RuntimeDep,
    current_password: FormText = "",
    new_password: FormText = "",
) -> HTMLResponse:
    return change_password_step(
        request, uow, runtime, actor, _staff_page, current_password, new_password
    )


@router.post("/staff/account/sessions/{session_id}/revoke", dependencies=[Csrf])
def staff_revoke_session(
    request: Request, actor: Staff, session_id: str, uow: Uow, runtime: RuntimeDep
) -> Response:
    return revoke_session_step(
        request, uow, runtime, actor, _staff_page, session_id, "/staff/account"
    )


@router.post("/staff/account/sessions/revoke-others", dependencies=[Csrf])
def staff_revoke_others(request: Request, actor: Staff, uow: Uow, runtime: RuntimeDep) -> Response:
    accounts.revoke_others(uow, runtime, actor, current_session_id(request))
    return redirect("/staff/account")
