"""Staff enrolment through the single-use link, and the staff member's own account at
/staff/account (password change, sessions). Sign-in at /staff/login is the accounts
domain's (amanat.accounts.pages.signin); the console itself (/staff) belongs to the
guard's pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from amanat.accounts import reauth, sessions
from amanat.core.actor import Actor
from amanat.core.errors import AmanatError, Invalid
from amanat.staff import service as staff
from amanat.web.caller import current_session_id, page_staff
from amanat.web.client import client_info
from amanat.web.cookies import set_session_cookie
from amanat.web.csrf import require_csrf
from amanat.web.render import redirect, render
from amanat.web.request import runtime_of

router = APIRouter(include_in_schema=False)
Staff = Annotated[Actor, Depends(page_staff)]
Csrf = Depends(require_csrf)
FormText = Annotated[str, Form(max_length=1024)]


def _enrol_page(
    request: Request, token: str, extra: dict[str, object], status: int = 200
) -> HTMLResponse:
    from amanat.accounts.totp import qr_data_uri

    runtime = runtime_of(request)
    try:
        with runtime.uow() as uow:
            enrolment = staff.begin_enrolment(uow, runtime, token)
            uow.commit()
    except AmanatError as exc:
        return render(
            request,
            "accounts/message.html",
            {"heading": "Enrolment", "message": exc.message},
            exc.status,
        )
    return render(
        request, "staff/enrol.html",
        {"token": token, "secret": enrolment.secret, "qr": qr_data_uri(enrolment.uri), **extra},
        status,
    )  # fmt: skip


@router.get("/staff/enrol/{token}", response_class=HTMLResponse)
def enrol_form(request: Request, token: str) -> HTMLResponse:
    return _enrol_page(request, token, {})


@router.post("/staff/enrol/{token}", response_class=HTMLResponse, dependencies=[Csrf])
def enrol(
    request: Request,
    token: str,
    password: FormText = "",
    code: Annotated[str, Form(max_length=32)] = "",
) -> HTMLResponse:
    runtime = runtime_of(request)
    try:
        with runtime.uow() as uow:
            codes = staff.complete_enrolment(uow, runtime, token, password, code)
            uow.commit()
    except Invalid as exc:
        return _enrol_page(request, token, {"errors": exc.fields or {"code": exc.message}}, 422)
    return render(request, "staff/enrolled.html", {"recovery_codes": codes})


def _account_page(
    request: Request, actor: Actor, extra: dict[str, object], status: int = 200
) -> HTMLResponse:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        views = sessions.list_sessions(uow, runtime, actor, current_session_id(request))
        uow.commit()
    return render(request, "staff/account.html", {"sessions": views, **extra}, status)


@router.get("/staff/account", response_class=HTMLResponse)
def account(request: Request, actor: Staff) -> HTMLResponse:
    return _account_page(request, actor, {})


@router.post("/staff/account/password", response_class=HTMLResponse, dependencies=[Csrf])
def change_password(
    request: Request, actor: Staff, current_password: FormText = "", new_password: FormText = ""
) -> HTMLResponse:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        outcome = reauth.change_password(
            uow, runtime, actor, current_password, new_password, current_session_id(request),
            client_info(request),
        )  # fmt: skip
        uow.commit()
    if outcome.error is not None:
        error = outcome.error
        fields = error.fields if isinstance(error, Invalid) else {"current_password": error.message}
        return _account_page(request, actor, {"errors": fields}, error.status)
    page = _account_page(
        request,
        actor,
        {"message": "Your password is changed. Every other session has ended and every API "
         "token is revoked; this browser stays signed in."},
    )  # fmt: skip
    if outcome.token is not None:
        set_session_cookie(page, runtime, "staff", outcome.token)
    return page


@router.post("/staff/account/sessions/{session_id}/revoke", dependencies=[Csrf])
def revoke_session(request: Request, actor: Staff, session_id: str) -> Response:
    runtime = runtime_of(request)
    try:
        with runtime.uow() as uow:
            sessions.revoke(uow, runtime, actor, session_id)
            uow.commit()
    except AmanatError as exc:
        return _account_page(request, actor, {"message": exc.message}, exc.status)
    return redirect("/staff/account")


@router.post("/staff/account/sessions/revoke-others", dependencies=[Csrf])
def revoke_others(request: Request, actor: Staff) -> Response:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        sessions.revoke_others(uow, runtime, actor, current_session_id(request))
        uow.commit()
    return redirect("/staff/account")
