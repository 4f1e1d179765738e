"""Staff enrolment through the single-use link, and the staff member's own account at
/staff/account (password change, sessions). Sign-in at /staff/login is the accounts
domain's (amanat.accounts.pages.signin); the console itself (/staff) belongs to the
guard's pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from amanat.accounts import service as accounts
from amanat.core.actor import Actor
from amanat.core.errors import AmanatError, Invalid
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.staff import service as staff
from amanat.web.caller import current_session_id, page_staff
from amanat.web.client import client_info
from amanat.web.cookies import set_session_cookie
from amanat.web.csrf import require_csrf
from amanat.web.render import redirect, render
from amanat.web.request import RuntimeDep
from amanat.web.uow import Uow

router = APIRouter(include_in_schema=False)
Staff = Annotated[Actor, Depends(page_staff)]
Csrf = Depends(require_csrf)
FormText = Annotated[str, Form(max_length=1024)]


def _enrol_page(
    request: Request,
    uow: UnitOfWork,
    runtime: Runtime,
    token: str,
    extra: dict[str, object],
    status: int = 200,
) -> HTMLResponse:
    try:
        enrolment = staff.begin_enrolment(uow, runtime, token)
    except AmanatError as exc:
        uow.rollback()  # a refused link keeps nothing
        return render(
            request,
            "accounts/message.html",
            {"heading": "Enrolment", "message": exc.message},
            exc.status,
        )
    return render(
        request, "staff/enrol.html",
        {"token": token, "secret": enrolment.secret, "qr": accounts.qr_data_uri(enrolment.uri),
         **extra},
        status,
    )  # fmt: skip


@router.get("/staff/enrol/{token}", response_class=HTMLResponse)
def enrol_form(request: Request, token: str, uow: Uow, runtime: RuntimeDep) -> HTMLResponse:
    return _enrol_page(request, uow, runtime, token, {})


@router.post("/staff/enrol/{token}", response_class=HTMLResponse, dependencies=[Csrf])
def enrol(
    request: Request,
    token: str,
    uow: Uow,
    runtime: RuntimeDep,
    password: FormText = "",
    code: Annotated[str, Form(max_length=32)] = "",
) -> HTMLResponse:
    try:
        codes = staff.complete_enrolment(uow, runtime, token, password, code)
    except Invalid as exc:
        uow.rollback()  # a refused enrolment keeps nothing; the page shows the link again
        errors: dict[str, object] = {"errors": exc.fields or {"code": exc.message}}
        return _enrol_page(request, uow, runtime, token, errors, 422)
    return render(request, "staff/enrolled.html", {"recovery_codes": codes})


def _account_page(
    request: Request,
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    extra: dict[str, object],
    status: int = 200,
) -> HTMLResponse:
    views = accounts.list_sessions(uow, runtime, actor, current_session_id(request))
    return render(request, "staff/account.html", {"sessions": views, **extra}, status)


@router.get("/staff/account", response_class=HTMLResponse)
def account(request: Request, actor: Staff, uow: Uow, runtime: RuntimeDep) -> HTMLResponse:
    return _account_page(request, uow, runtime, actor, {})


@router.post("/staff/account/password", response_class=HTMLResponse, dependencies=[Csrf])
def change_password(
    request: Request,
    actor: Staff,
    uow: Uow,
    runtime: RuntimeDep,
    current_password: FormText = "",
    new_password: FormText = "",
) -> HTMLResponse:
    # A failure is a page, not an exception: its counters are committed with the request.
    outcome = accounts.change_password(
        uow, runtime, actor, current_password, new_password, current_session_id(request),
        client_info(request),
    )  # fmt: skip
    if outcome.error is not None:
        error = outcome.error
        fields = error.fields if isinstance(error, Invalid) else {"current_password": error.message}
        return _account_page(request, uow, runtime, actor, {"errors": fields}, error.status)
    page = _account_page(
        request, uow, runtime, actor,
        {"message": "Your password is changed. Every other session has ended and every API "
         "token is revoked; this browser stays signed in."},
    )  # fmt: skip
    if outcome.token is not None:
        set_session_cookie(page, runtime, "staff", outcome.token)
    return page


@router.post("/staff/account/sessions/{session_id}/revoke", dependencies=[Csrf])
def revoke_session(
    request: Request, actor: Staff, session_id: str, uow: Uow, runtime: RuntimeDep
) -> Response:
    try:
        accounts.revoke(uow, runtime, actor, session_id)
    except AmanatError as exc:
        uow.rollback()  # nothing of a refused revocation is kept
        return _account_page(request, uow, runtime, actor, {"message": exc.message}, exc.status)
    return redirect("/staff/account")


@router.post("/staff/account/sessions/revoke-others", dependencies=[Csrf])
def revoke_others(request: Request, actor: Staff, uow: Uow, runtime: RuntimeDep) -> Response:
    accounts.revoke_others(uow, runtime, actor, current_session_id(request))
    return redirect("/staff/account")
