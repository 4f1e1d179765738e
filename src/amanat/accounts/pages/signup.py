"""Portal pages before sign-in: sign-up, e-mail verification (and its undo), password reset.

Server-rendered, usable without JavaScript; every form carries a CSRF token; errors are
shown next to their field; passwords are never put back into a form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from amanat.accounts import service as accounts
from amanat.accounts.pages.signin import with_retry_after
from amanat.accounts.schemas import SignupIn
from amanat.accounts.tokens import peek_action_token
from amanat.core.errors import AmanatError, Invalid, TooManyRequests
from amanat.customers.service import PROVINCES
from amanat.web.client import client_info
from amanat.web.cookies import clear_session_cookie
from amanat.web.csrf import require_csrf
from amanat.web.render import render
from amanat.web.request import RuntimeDep, SubmittedForm
from amanat.web.uow import Uow

router = APIRouter(include_in_schema=False)
Csrf = Depends(require_csrf)
FormText = Annotated[str, Form(max_length=1024)]


def form_values(form: dict[str, str]) -> dict[str, str]:
    """What to put back into a re-shown form: everything but passwords and the CSRF token."""
    return {k: v for k, v in form.items() if "password" not in k and k != "csrf_token"}


def _signup_body(form: dict[str, str]) -> dict[str, object]:
    address = {k.split(".", 1)[1]: v for k, v in form.items() if k.startswith("address.")}
    body: dict[str, object] = {
        k: v for k, v in form.items() if "." not in k and k not in {"csrf_token"}
    }
    body["address"] = address
    if body.get("kind") != "business":
        body.pop("company", None)
        body.pop("ntn", None)
    return body


@router.get("/signup", response_class=HTMLResponse)
def signup_form(request: Request) -> HTMLResponse:
    return render(request, "accounts/signup.html", {"provinces": PROVINCES})


@router.post("/signup", response_class=HTMLResponse, dependencies=[Csrf])
def signup(
    request: Request, submitted: SubmittedForm, uow: Uow, runtime: RuntimeDep
) -> HTMLResponse:
    form = {k: v for k, v in submitted.items() if isinstance(v, str)}
    context: dict[str, object] = {"provinces": PROVINCES, "values": form_values(form)}
    try:
        body = SignupIn.model_validate(_signup_body(form))
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]): str(e["msg"]) for e in exc.errors()}
        return render(request, "accounts/signup.html", {**context, "errors": fields}, 422)
    try:
        accounts.sign_up(uow, runtime, body, client_info(request))
    except Invalid as exc:
        uow.rollback()  # a refused sign-up keeps nothing
        return render(
            request,
            "accounts/signup.html",
            {**context, "errors": exc.fields, "message": exc.message},
            422,
        )
    except AmanatError as exc:
        uow.rollback()  # a refused sign-up keeps nothing
        return with_retry_after(
            render(
                request, "accounts/signup.html", {**context, "message": exc.message}, exc.status
            ),
            exc,
        )
    # The same page whether the account was created or a detail was taken.
    return render(
        request, "accounts/message.html",
        {"heading": "Check your e-mail", "next_href": "/signin", "next_label": "Sign in",
         "message": "Thank you. We sent a message to your e-mail address: open the link in it to verify the address and finish, or to sign in if you already have an account."},
        202,
    )  # fmt: skip


@router.get("/account/verify/{token}", response_class=HTMLResponse)
def verify_form(request: Request, token: str, uow: Uow, runtime: RuntimeDep) -> HTMLResponse:
    # A GET only shows a button: mail scanners that follow links must not spend them.
    valid = any(peek_action_token(uow, runtime, a, token) for a in ("verify_email", "change_email"))
    return render(
        request, "accounts/verify.html", {"valid": valid, "token": token if valid else ""}
    )


@router.post("/account/verify", response_class=HTMLResponse, dependencies=[Csrf])
def verify(request: Request, uow: Uow, runtime: RuntimeDep, token: FormText = "") -> HTMLResponse:
    try:
        accounts.verify_email(uow, runtime, token)
    except AmanatError as exc:
        uow.rollback()  # a refused request keeps nothing
        return render(
            request,
            "accounts/message.html",
            {"heading": "Not verified", "message": exc.message},
            exc.status,
        )
    return render(
        request, "accounts/message.html",
        {"heading": "E-mail address verified", "message": "Thank you: your e-mail address is verified.",
         "next_href": "/account", "next_label": "Go to your account"},
    )  # fmt: skip


@router.get("/account/undo-email/{token}", response_class=HTMLResponse)
def undo_email_form(request: Request, token: str, uow: Uow, runtime: RuntimeDep) -> HTMLResponse:
    # A GET only shows a button: mail scanners that follow links must not spend them.
    valid = peek_action_token(uow, runtime, "undo_email_change", token) is not None
    return render(
        request, "accounts/undo_email.html", {"valid": valid, "token": token if valid else ""}
    )


@router.post("/account/undo-email", response_class=HTMLResponse, dependencies=[Csrf])
def undo_email(
    request: Request, uow: Uow, runtime: RuntimeDep, token: FormText = ""
) -> HTMLResponse:
    try:
        accounts.undo_email_change(uow, runtime, token)
    except AmanatError as exc:
        uow.rollback()  # a refused request keeps nothing
        return render(
            request,
            "accounts/message.html",
            {"heading": "Not changed back", "message": exc.message},
            exc.status,
        )
    response = render(
        request, "accounts/message.html",
        {"heading": "Your address is back",
         "message": "This address is your sign-in e-mail again; every session has ended and every API token is revoked. Reset your password now.",
         "next_href": "/account/reset", "next_label": "Reset your password"},
    )  # fmt: skip
    clear_session_cookie(response, runtime, "customer")
    return response


@router.get("/account/reset", response_class=HTMLResponse)
def reset_request_form(request: Request) -> HTMLResponse:
    return render(request, "accounts/reset_request.html", {})


@router.post("/account/reset", response_class=HTMLResponse, dependencies=[Csrf])
def reset_request(
    request: Request, uow: Uow, runtime: RuntimeDep, email: FormText = ""
) -> HTMLResponse:
    try:
        accounts.request_password_reset(uow, runtime, email, client_info(request))
    except Invalid as exc:
        uow.rollback()  # a refused request keeps nothing
        return render(
            request,
            "accounts/reset_request.html",
            {"errors": exc.fields, "values": {"email": email}},
            422,
        )
    except TooManyRequests as exc:
        uow.rollback()  # a refused request keeps nothing
        page = render(
            request,
            "accounts/reset_request.html",
            {"message": exc.message, "values": {"email": email}},
            exc.status,
        )
        return with_retry_after(page, exc)
    return render(
        request, "accounts/message.html",
        {"heading": "Check your e-mail", "message": "If this address has an account, we sent it a link valid for 30 minutes."},
    )  # fmt: skip


@router.get("/account/reset/{token}", response_class=HTMLResponse)
def reset_form(request: Request, token: str, uow: Uow, runtime: RuntimeDep) -> HTMLResponse:
    valid = peek_action_token(uow, runtime, "reset_password", token) is not None
    return render(request, "accounts/reset.html", {"valid": valid, "token": token if valid else ""})


@router.post("/account/reset/{token}", response_class=HTMLResponse, dependencies=[Csrf])
def reset(
    request: Request, uow: Uow, runtime: RuntimeDep, token: str, password: FormText = ""
) -> Response:
    try:
        accounts.reset_password(uow, runtime, token, password)
    except Invalid as exc:
        uow.rollback()  # a refused request keeps nothing
        valid = "token" not in exc.fields
        return render(
            request,
            "accounts/reset.html",
            {"valid": valid, "token": token, "errors": exc.fields},
            422,
        )
    response = render(
        request, "accounts/message.html",
        {"heading": "Password changed", "message": "Your password is changed; every session has ended and every API token is revoked.",
         "next_href": "/signin", "next_label": "Sign in"},
    )  # fmt: skip
    clear_session_cookie(response, runtime, "customer")
    return response
