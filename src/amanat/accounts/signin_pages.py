"""The sign-in steps behind the portal's and the staff console's pages.

Customers and staff sign in the same way: a password, then a second factor when the
account has one (customers) or must have one (staff), then sign-out. The two differ only
in their paths, the service that checks the password and the sign-in page's wording, so
the steps live here once and each page module declares its ``SignInFlow``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request
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
from amanat.web.render import redirect, render
from amanat.web.request import runtime_of

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


def password_step(request: Request, flow: SignInFlow, email: str, password: str) -> Response:
    """Check the password; on success set the session cookie and go on to MFA or home."""
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        outcome = flow.check_password(uow, runtime, email, password, client_info(request))
        uow.commit()
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


def mfa_step(request: Request, flow: SignInFlow, code: str) -> Response:
    """Check the second factor of a half-signed-in session; a new session id on success."""
    runtime = runtime_of(request)
    value = request.cookies.get(cookie_name(runtime, flow.kind), "")
    with runtime.uow() as uow:
        row = sessions.resolve(uow, runtime, value, flow.kind) if value else None
        if row is None or row.mfa_done:
            uow.commit()
            return redirect(flow.signin_path)
        outcome = mfa.complete_sign_in(uow, runtime, row, code)
        uow.commit()
    if outcome.error is not None:
        context: dict[str, object] = {"action": flow.mfa_path, "message": outcome.error.message}
        page = render(request, "accounts/mfa.html", context, outcome.error.status)
        return with_retry_after(page, outcome.error)
    assert outcome.token is not None
    response = redirect(flow.home_path)
    set_session_cookie(response, runtime, flow.kind, outcome.token)
    return response


def sign_out(request: Request, flow: SignInFlow) -> Response:
    runtime = runtime_of(request)
    context = authenticate(request, flow.kind)
    if context is not None and context.session_id is not None:
        with runtime.uow() as uow:
            accounts.sign_out(uow, runtime, context.actor, context.session_id)
            uow.commit()
    response = redirect(flow.signin_path)
    clear_session_cookie(response, runtime, flow.kind)
    return response
