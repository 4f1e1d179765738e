"""Staff enrolment through the single-use link. Sign-in at /staff/login and the staff
member's own account at /staff/account (password, sessions) are the accounts domain's
(amanat.accounts.pages.signin, amanat.accounts.pages.own_account), which owns every
principal's credentials; the console itself (/staff) belongs to the guard's pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from amanat.accounts import service as accounts
from amanat.core.errors import AmanatError, Invalid
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.staff import service as staff
from amanat.web.csrf import require_csrf
from amanat.web.render import render
from amanat.web.request import RuntimeDep
from amanat.web.uow import Uow

router = APIRouter(include_in_schema=False)
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
