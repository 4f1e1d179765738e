"""Portal pages after sign-in: overview, profile, security (password, MFA, sessions,
API tokens). Each POST checks CSRF, calls one service verb and redirects or re-renders
with the errors next to their fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from amanat.accounts import mfa, phone, reauth, sessions, tokens, totp
from amanat.accounts import service as accounts
from amanat.accounts.pages.own_account import change_password_step, revoke_session_step
from amanat.accounts.pages.signup import form_values
from amanat.core.actor import Actor
from amanat.core.errors import AmanatError, Forbidden, Invalid, TooManyRequests
from amanat.customers import service as customers
from amanat.customers.schemas import AddressIn, ProfileUpdateIn
from amanat.customers.service import PROVINCES
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.web.caller import check_recent_auth, current_session_id, page_customer
from amanat.web.client import client_info
from amanat.web.csrf import require_csrf
from amanat.web.render import redirect, render
from amanat.web.request import RuntimeDep, SubmittedForm
from amanat.web.uow import Uow

router = APIRouter(include_in_schema=False)
Customer = Annotated[Actor, Depends(page_customer)]
Csrf = Depends(require_csrf)
FormText = Annotated[str, Form(max_length=1024)]


@router.get("/account", response_class=HTMLResponse)
def overview(request: Request, actor: Customer, uow: Uow, runtime: RuntimeDep) -> HTMLResponse:
    profile = customers.read_profile(uow, runtime, actor, actor.id)
    enrolled = mfa.is_enrolled(uow, actor.id)
    reminders = accounts.current_reminders(uow, runtime, actor)
    return render(
        request,
        "portal/overview.html",
        {"profile": profile, "mfa_enabled": enrolled, "reminders": reminders},
    )


@router.post("/account/verify/resend", dependencies=[Csrf])
def resend(request: Request, actor: Customer, uow: Uow, runtime: RuntimeDep) -> Response:
    accounts.resend_verification(uow, runtime, actor, client_info(request))
    return redirect("/account")


def _profile_page(
    request: Request,
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    extra: Mapping[str, object],
    status: int = 200,
) -> HTMLResponse:
    profile = customers.read_profile(uow, runtime, actor, actor.id)
    return render(
        request,
        "portal/profile.html",
        {"profile": profile, "provinces": PROVINCES, **extra},
        status,
    )


@router.get("/account/profile", response_class=HTMLResponse)
def profile(request: Request, actor: Customer, uow: Uow, runtime: RuntimeDep) -> HTMLResponse:
    return _profile_page(request, uow, runtime, actor, {})


@router.post("/account/profile", response_class=HTMLResponse, dependencies=[Csrf])
def update_profile(
    request: Request, submitted: SubmittedForm, actor: Customer, uow: Uow, runtime: RuntimeDep
) -> HTMLResponse:
    form = {k: v for k, v in submitted.items() if isinstance(v, str)}
    address = {k.split(".", 1)[1]: v for k, v in form.items() if k.startswith("address.")}
    try:
        update = ProfileUpdateIn(
            name=form.get("name"),
            phone=form.get("phone") or None,
            address=AddressIn.model_validate(address) if address else None,
            company=form.get("company"),
            ntn=form.get("ntn"),
        )
        saved = phone.update_profile(uow, runtime, actor, update)
    except Invalid as exc:
        uow.rollback()  # a refused change keeps nothing; the page below only reads
        errors = {"errors": exc.fields, "values": form_values(form)}
        return _profile_page(request, uow, runtime, actor, errors, 422)
    except ValueError:
        uow.rollback()  # a refused change keeps nothing; the page below only reads
        errors = {"errors": {"name": "Some fields are too long; shorten them."}}
        return _profile_page(request, uow, runtime, actor, errors, 422)
    message = "Your details are saved."
    extra: dict[str, object] = {}
    if saved.phone_verification == "sent":
        message += (
            " We sent a code by SMS to the new number; the number changes once you enter"
            " the code below."
        )
        extra["values"] = {"pending_phone": form.get("phone", "")}
    return _profile_page(request, uow, runtime, actor, {"message": message, **extra})


@router.post("/account/phone/confirm", response_class=HTMLResponse, dependencies=[Csrf])
def confirm_phone(
    request: Request,
    actor: Customer,
    uow: Uow,
    runtime: RuntimeDep,
    pending_phone: Annotated[str, Form(max_length=40)] = "",
    code: Annotated[str, Form(max_length=16)] = "",
) -> HTMLResponse:
    # A wrong code is an outcome, not an exception: the request commits its count.
    outcome = phone.confirm_phone(uow, runtime, actor, pending_phone, code)
    error = outcome.error
    if error is not None:
        # The form's number field is ``pending_phone`` (``phone`` is the profile form's).
        fields = error.fields if isinstance(error, Invalid) else {"phone": error.message}
        errors = {("pending_phone" if k == "phone" else k): v for k, v in fields.items()}
        values = {"pending_phone": pending_phone}
        context = {"errors": errors, "values": values}
        return _profile_page(request, uow, runtime, actor, context, error.status)
    confirmed = {"message": "Your new phone number is confirmed."}
    return _profile_page(request, uow, runtime, actor, confirmed)


def _reauth_refusal(request: Request) -> str | None:
    """Why a sensitive change must wait for the password again, or None when it may go on."""
    try:
        check_recent_auth(request)
    except Forbidden as exc:
        return exc.message + " Use the form at the top of the Security page."
    return None


@router.post("/account/email", response_class=HTMLResponse, dependencies=[Csrf])
def change_email(
    request: Request, actor: Customer, uow: Uow, runtime: RuntimeDep, email: FormText = ""
) -> HTMLResponse:
    refusal = _reauth_refusal(request)
    if refusal is not None:
        return _profile_page(request, uow, runtime, actor, {"errors": {"email": refusal}}, 403)
    try:
        accounts.request_email_change(uow, runtime, actor, email, client_info(request))
    except Invalid as exc:
        uow.rollback()  # a refused change keeps nothing; the page below only reads
        return _profile_page(request, uow, runtime, actor, {"errors": exc.fields}, 422)
    except TooManyRequests as exc:
        uow.rollback()  # a refused change keeps nothing; the page below only reads
        errors = {"errors": {"email": exc.message}}
        return _profile_page(request, uow, runtime, actor, errors, exc.status)
    return _profile_page(
        request,
        uow,
        runtime,
        actor,
        {"message": "We sent a link to the new address; it becomes your address when you open it."},
    )


def _security_page(
    request: Request,
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    extra: Mapping[str, object],
    status: int = 200,
) -> HTMLResponse:
    enrolled = mfa.is_enrolled(uow, actor.id)
    enrolment = None if enrolled else mfa.pending_enrolment(uow, runtime, actor.id, "your account")
    context: dict[str, object] = {
        "mfa_enabled": enrolled,
        "enrolment": enrolment,
        "enrolment_qr": totp.qr_data_uri(enrolment.uri) if enrolment else "",
        "recovery_left": mfa.recovery_codes_left(uow, actor.id),
        "sessions": sessions.list_sessions(uow, runtime, actor, current_session_id(request)),
        "api_tokens": tokens.list_api_tokens(uow, runtime, actor),
        "reauth_minutes": runtime.settings.reauth_minutes,
        "reauth_fresh": _reauth_refusal(request) is None,
    }
    return render(request, "portal/security.html", {**context, **extra}, status)


@router.get("/account/security", response_class=HTMLResponse)
def security(request: Request, actor: Customer, uow: Uow, runtime: RuntimeDep) -> HTMLResponse:
    return _security_page(request, uow, runtime, actor, {})


@router.post("/account/security/reauth", response_class=HTMLResponse, dependencies=[Csrf])
def reauthenticate(
    request: Request,
    actor: Customer,
    uow: Uow,
    runtime: RuntimeDep,
    password: FormText = "",
    code: Annotated[str, Form(max_length=32)] = "",
) -> HTMLResponse:
    # A wrong password or code is an outcome, not an exception: the request commits its count.
    error = reauth.reauthenticate(
        uow, runtime, actor, current_session_id(request), password, code, client_info(request)
    )
    if error is not None:
        fields = error.fields if isinstance(error, Invalid) else {"password": error.message}
        return _security_page(request, uow, runtime, actor, {"errors": fields}, error.status)
    request.state.auth = _fresh(request, runtime)
    return _security_page(
        request,
        uow,
        runtime,
        actor,
        {"message": f"Thank you. For {runtime.settings.reauth_minutes} minutes you can change "
         "your e-mail, second factor, recovery codes and API tokens."},
    )  # fmt: skip


def _fresh(request: Request, runtime: Runtime) -> object:
    """The request's caller, now counted as just authenticated (for the page it renders)."""
    return replace(request.state.auth, authenticated_at=runtime.clock.now())


@router.post("/account/security/password", response_class=HTMLResponse, dependencies=[Csrf])
def change_password(
    request: Request,
    actor: Customer,
    uow: Uow,
    runtime: RuntimeDep,
    current_password: FormText = "",
    new_password: FormText = "",
) -> HTMLResponse:
    return change_password_step(
        request, uow, runtime, actor, _security_page, current_password, new_password
    )


@router.post("/account/security/mfa/start", response_class=HTMLResponse, dependencies=[Csrf])
def mfa_start(request: Request, actor: Customer, uow: Uow, runtime: RuntimeDep) -> Response:
    refusal = _reauth_refusal(request)
    if refusal is not None:
        return _security_page(request, uow, runtime, actor, {"message": refusal}, 403)
    if not mfa.is_enrolled(uow, actor.id):
        mfa.start_enrolment(uow, runtime, actor.id, "customer", "your account")
    return redirect("/account/security")


@router.post("/account/security/mfa/confirm", response_class=HTMLResponse, dependencies=[Csrf])
def mfa_confirm(
    request: Request,
    actor: Customer,
    uow: Uow,
    runtime: RuntimeDep,
    code: Annotated[str, Form(max_length=32)] = "",
) -> HTMLResponse:
    refusal = _reauth_refusal(request)
    if refusal is not None:
        return _security_page(request, uow, runtime, actor, {"message": refusal}, 403)
    try:
        codes = mfa.confirm_enrolment(uow, runtime, actor, code)
    except Invalid as exc:
        uow.rollback()  # a refused change keeps nothing; the page below only reads
        errors = {"errors": exc.fields or {"code": exc.message}}
        return _security_page(request, uow, runtime, actor, errors, 422)
    done = {"recovery_codes": codes, "message": "Your second factor is on."}
    return _security_page(request, uow, runtime, actor, done)


@router.post("/account/security/mfa/disable", response_class=HTMLResponse, dependencies=[Csrf])
def mfa_disable(
    request: Request, actor: Customer, uow: Uow, runtime: RuntimeDep, password: FormText = ""
) -> HTMLResponse:
    refusal = _reauth_refusal(request)
    if refusal is not None:
        return _security_page(request, uow, runtime, actor, {"message": refusal}, 403)
    try:
        # A wrong password is returned, not raised: the request commits its count.
        error = reauth.remove_second_factor(uow, runtime, actor, password, client_info(request))
    except AmanatError as exc:
        uow.rollback()  # a refused change keeps nothing; the page below only reads
        return _security_page(request, uow, runtime, actor, {"message": exc.message}, exc.status)
    if error is not None:
        fields = error.fields if isinstance(error, Invalid) else {"password": error.message}
        return _security_page(request, uow, runtime, actor, {"errors": fields}, error.status)
    return _security_page(request, uow, runtime, actor, {"message": "Your second factor is off."})


@router.post("/account/security/recovery-codes", response_class=HTMLResponse, dependencies=[Csrf])
def recovery_codes(
    request: Request, actor: Customer, uow: Uow, runtime: RuntimeDep
) -> HTMLResponse:
    refusal = _reauth_refusal(request)
    if refusal is not None:
        return _security_page(request, uow, runtime, actor, {"message": refusal}, 403)
    try:
        codes = mfa.regenerate_recovery_codes(uow, runtime, actor)
    except AmanatError as exc:
        uow.rollback()  # a refused change keeps nothing; the page below only reads
        return _security_page(request, uow, runtime, actor, {"message": exc.message}, exc.status)
    return _security_page(request, uow, runtime, actor, {"recovery_codes": codes})


@router.post("/account/security/sessions/{session_id}/revoke", dependencies=[Csrf])
def revoke_session(
    request: Request, actor: Customer, uow: Uow, runtime: RuntimeDep, session_id: str
) -> Response:
    return revoke_session_step(
        request, uow, runtime, actor, _security_page, session_id, "/account/security"
    )


@router.post("/account/security/sessions/revoke-others", dependencies=[Csrf])
def revoke_others(request: Request, actor: Customer, uow: Uow, runtime: RuntimeDep) -> Response:
    sessions.revoke_others(uow, runtime, actor, current_session_id(request))
    return redirect("/account/security")


@router.post("/account/security/tokens", response_class=HTMLResponse, dependencies=[Csrf])
def create_token(
    request: Request, form: SubmittedForm, actor: Customer, uow: Uow, runtime: RuntimeDep
) -> HTMLResponse:
    refusal = _reauth_refusal(request)
    if refusal is not None:
        return _security_page(request, uow, runtime, actor, {"message": refusal}, 403)
    label = form.get("label")
    days_text = form.get("days")
    scopes = [s for s in form.getlist("scopes") if isinstance(s, str)]
    try:
        days = int(days_text) if isinstance(days_text, str) and days_text.strip().isdigit() else 0
        created = tokens.create_api_token(
            uow,
            runtime,
            actor,
            label=label if isinstance(label, str) else "",
            scopes=scopes,
            days=days,
        )
    except Invalid as exc:
        uow.rollback()  # a refused change keeps nothing; the page below only reads
        return _security_page(request, uow, runtime, actor, {"errors": exc.fields}, 422)
    return _security_page(request, uow, runtime, actor, {"new_token": created.token})


@router.post("/account/security/tokens/{token_id}/revoke", dependencies=[Csrf])
def revoke_token(
    request: Request, actor: Customer, uow: Uow, runtime: RuntimeDep, token_id: str
) -> Response:
    try:
        tokens.revoke_api_token(uow, runtime, actor, token_id)
    except AmanatError as exc:
        uow.rollback()  # a refused change keeps nothing; the page below only reads
        return _security_page(request, uow, runtime, actor, {"message": exc.message}, exc.status)
    return redirect("/account/security")
