"""Staff sign-in at /staff/login (password, then TOTP: mandatory), enrolment through the
single-use link, sign-out. The console itself (/staff) belongs to the guard's pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from amanat.accounts import mfa, sessions
from amanat.accounts import service as accounts
from amanat.accounts.deps import (
    authenticate,
    clear_session_cookie,
    cookie_name,
    require_csrf,
    set_session_cookie,
)
from amanat.accounts.pages import with_retry_after
from amanat.accounts.web import client_info, redirect, render, runtime_of
from amanat.core.errors import AmanatError, Invalid
from amanat.staff import service as staff

router = APIRouter(include_in_schema=False)
Csrf = Depends(require_csrf)
FormText = Annotated[str, Form(max_length=1024)]


@router.get("/staff/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return render(
        request, "accounts/signin.html",
        {"action": "/staff/login", "heading": "Staff sign-in", "staff": True},
    )  # fmt: skip


@router.post("/staff/login", response_class=HTMLResponse, dependencies=[Csrf])
def login(request: Request, email: FormText = "", password: FormText = "") -> Response:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        outcome = staff.sign_in_staff(uow, runtime, email, password, client_info(request))
        uow.commit()
    if outcome.error is not None:
        page = render(
            request, "accounts/signin.html",
            {"action": "/staff/login", "heading": "Staff sign-in", "staff": True,
             "message": outcome.error.message, "values": {"email": email}},
            outcome.error.status,
        )  # fmt: skip
        if outcome.retry_after:
            page.headers["Retry-After"] = str(outcome.retry_after)
        return page
    assert outcome.token is not None
    response = redirect("/staff/login/mfa" if outcome.mfa_required else "/staff")
    set_session_cookie(response, runtime, "staff", outcome.token)
    return response


@router.get("/staff/login/mfa", response_class=HTMLResponse)
def mfa_form(request: Request) -> Response:
    context = authenticate(request, "staff")
    if context is None:
        return redirect("/staff/login")
    if context.mfa_done:
        return redirect("/staff")
    return render(request, "accounts/mfa.html", {"action": "/staff/login/mfa"})


@router.post("/staff/login/mfa", response_class=HTMLResponse, dependencies=[Csrf])
def mfa_submit(request: Request, code: Annotated[str, Form(max_length=32)] = "") -> Response:
    runtime = runtime_of(request)
    value = request.cookies.get(cookie_name(runtime, "staff"), "")
    with runtime.uow() as uow:
        row = sessions.resolve(uow, runtime, value, "staff") if value else None
        if row is None or row.mfa_done:
            uow.commit()
            return redirect("/staff/login")
        outcome = mfa.complete_sign_in(uow, runtime, row, code)
        uow.commit()
    if outcome.error is not None:
        page = render(
            request, "accounts/mfa.html",
            {"action": "/staff/login/mfa", "message": outcome.error.message}, outcome.error.status,
        )  # fmt: skip
        return with_retry_after(page, outcome.error)
    assert outcome.token is not None
    response = redirect("/staff")
    set_session_cookie(response, runtime, "staff", outcome.token)
    return response


@router.post("/staff/signout", dependencies=[Csrf])
def signout(request: Request) -> Response:
    runtime = runtime_of(request)
    context = authenticate(request, "staff")
    if context is not None and context.session_id is not None:
        with runtime.uow() as uow:
            accounts.sign_out(uow, runtime, context.actor, context.session_id)
            uow.commit()
    response = redirect("/staff/login")
    clear_session_cookie(response, runtime, "staff")
    return response


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
