"""Sign-in pages for every principal: the portal's (/signin) and the staff console's
(/staff/login), each with its second-factor step, and sign-out.

Customers and staff sign in the same way: a password, then a second factor when the
account has one (customers) or must have one (staff), then sign-out. The two differ only
in their paths, the service that checks the password and the sign-in page's wording, so
the steps live here once and each kind of principal has its ``SignInFlow``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from amanat.accounts import mfa, sessions
from amanat.accounts import service as accounts
from amanat.accounts.service import SignInOutcome
from amanat.core.errors import AmanatError, TooManyRequests
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.web.caller import authenticate
from amanat.web.client import ClientInfo, client_info
from amanat.web.cookies import (
    clear_session_cookie,
    cookie_name,
    set_device_cookie,
    set_session_cookie,
)
from amanat.web.csrf import require_csrf
from amanat.web.render import redirect, render
from amanat.web.request import RuntimeDep
from amanat.web.uow import Uow

PasswordCheck = Callable[[UnitOfWork, Runtime, str, str, ClientInfo], SignInOutcome]


@dataclass(frozen=True)
class SignInFlow:
    kind: str  # the session's principal kind: "customer" or "staff"
    signin_path: str
    mfa_path: str
    home_path: str
    check_password: PasswordCheck
    page: dict[str, object] = field(default_factory=dict)  # wording of accounts/signin.html


def with_retry_after(page: HTMLResponse, error: AmanatError) -> HTMLResponse:
    """Pass a refusal's wait on as the Retry-After header of the page that shows it."""
    if isinstance(error, TooManyRequests) and error.retry_after:
        page.headers["Retry-After"] = str(error.retry_after)
    return page


def signin_form(request: Request, flow: SignInFlow) -> HTMLResponse:
    return render(request, "accounts/signin.html", dict(flow.page))


def password_step(
    request: Request,
    uow: UnitOfWork,
    runtime: Runtime,
    flow: SignInFlow,
    email: str,
    password: str,
) -> Response:
    """Check the password; on success set the session cookie and go on to MFA or home.

    A failure is a page, not an exception: the failure counters it changed are committed
    with the request's unit of work."""
    outcome = flow.check_password(uow, runtime, email, password, client_info(request))
    if outcome.error is not None:
        context = {**flow.page, "message": outcome.error.message, "values": {"email": email}}
        page = render(request, "accounts/signin.html", context, outcome.error.status)
        if outcome.retry_after:
            page.headers["Retry-After"] = str(outcome.retry_after)
        return page
    assert outcome.token is not None
    response = redirect(flow.mfa_path if outcome.mfa_required else flow.home_path)
    set_session_cookie(response, runtime, flow.kind, outcome.token)
    set_device_cookie(response, runtime, outcome.device_proof)
    return response


def mfa_form(request: Request, flow: SignInFlow) -> Response:
    context = authenticate(request, flow.kind)
    if context is None:
        return redirect(flow.signin_path)
    if context.mfa_done:
        return redirect(flow.home_path)
    return render(request, "accounts/mfa.html", {"action": flow.mfa_path})


def mfa_step(
    request: Request, uow: UnitOfWork, runtime: Runtime, flow: SignInFlow, code: str
) -> Response:
    """Check the second factor of a half-signed-in session; a new session id on success.

    A wrong code is a page, not an exception: its counter is committed with the request."""
    value = request.cookies.get(cookie_name(runtime, flow.kind), "")
    row = sessions.resolve(uow, runtime, value, flow.kind) if value else None
    if row is None or row.mfa_done:
        return redirect(flow.signin_path)
    outcome = mfa.complete_sign_in(uow, runtime, row, code)
    if outcome.error is not None:
        context: dict[str, object] = {"action": flow.mfa_path, "message": outcome.error.message}
        page = render(request, "accounts/mfa.html", context, outcome.error.status)
        return with_retry_after(page, outcome.error)
    assert outcome.token is not None
    response = redirect(flow.home_path)
    set_session_cookie(response, runtime, flow.kind, outcome.token)
    return response


def sign_out(request: Request, uow: UnitOfWork, runtime: Runtime, flow: SignInFlow) -> Response:
    context = authenticate(request, flow.kind)
    if context is not None and context.session_id is not None:
        accounts.sign_out(uow, runtime, context.actor, context.session_id)
    response = redirect(flow.signin_path)
    clear_session_cookie(response, runtime, flow.kind)
    return response


# -- the routes ---------------------------------------------------------------------------

router = APIRouter(include_in_schema=False)
Csrf = Depends(require_csrf)
FormText = Annotated[str, Form(max_length=1024)]
CodeText = Annotated[str, Form(max_length=32)]


def _sign_in_staff(
    uow: UnitOfWork, runtime: Runtime, email: str, password: str, client: ClientInfo
) -> SignInOutcome:
    # Staff are found by the staff domain; accounts owns the sign-in itself.
    from amanat.staff import service as staff

    return staff.sign_in_staff(uow, runtime, email, password, client)


CUSTOMER_SIGN_IN = SignInFlow(
    kind="customer",
    signin_path="/signin",
    mfa_path="/signin/mfa",
    home_path="/account",
    check_password=accounts.sign_in_customer,
)
STAFF_SIGN_IN = SignInFlow(
    kind="staff",
    signin_path="/staff/login",
    mfa_path="/staff/login/mfa",
    home_path="/staff",
    check_password=_sign_in_staff,
    page={"action": "/staff/login", "heading": "Staff sign-in", "staff": True},
)


@router.get("/signin", response_class=HTMLResponse)
def customer_signin_form(request: Request) -> HTMLResponse:
    return signin_form(request, CUSTOMER_SIGN_IN)


@router.post("/signin", response_class=HTMLResponse, dependencies=[Csrf])
def customer_signin(
    request: Request, uow: Uow, runtime: RuntimeDep, email: FormText = "", password: FormText = ""
) -> Response:
    return password_step(request, uow, runtime, CUSTOMER_SIGN_IN, email, password)


@router.get("/signin/mfa", response_class=HTMLResponse)
def customer_mfa_form(request: Request) -> Response:
    return mfa_form(request, CUSTOMER_SIGN_IN)


@router.post("/signin/mfa", response_class=HTMLResponse, dependencies=[Csrf])
def customer_mfa_submit(
    request: Request, uow: Uow, runtime: RuntimeDep, code: CodeText = ""
) -> Response:
    return mfa_step(request, uow, runtime, CUSTOMER_SIGN_IN, code)


@router.post("/signout", dependencies=[Csrf])
def customer_signout(request: Request, uow: Uow, runtime: RuntimeDep) -> Response:
    return sign_out(request, uow, runtime, CUSTOMER_SIGN_IN)


@router.get("/staff/login", response_class=HTMLResponse)
def staff_login_form(request: Request) -> HTMLResponse:
    return signin_form(request, STAFF_SIGN_IN)


@router.post("/staff/login", response_class=HTMLResponse, dependencies=[Csrf])
def staff_login(
    request: Request, uow: Uow, runtime: RuntimeDep, email: FormText = "", password: FormText = ""
) -> Response:
    return password_step(request, uow, runtime, STAFF_SIGN_IN, email, password)


@router.get("/staff/login/mfa", response_class=HTMLResponse)
def staff_mfa_form(request: Request) -> Response:
    return mfa_form(request, STAFF_SIGN_IN)


@router.post("/staff/login/mfa", response_class=HTMLResponse, dependencies=[Csrf])
def staff_mfa_submit(
    request: Request, uow: Uow, runtime: RuntimeDep, code: CodeText = ""
) -> Response:
    return mfa_step(request, uow, runtime, STAFF_SIGN_IN, code)


@router.post("/staff/signout", dependencies=[Csrf])
def staff_signout(request: Request, uow: Uow, runtime: RuntimeDep) -> Response:
    return sign_out(request, uow, runtime, STAFF_SIGN_IN)
