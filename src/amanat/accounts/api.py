"""JSON API for accounts: sign-up, sign-in with MFA, the customer's own account (/me)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from amanat.accounts import mfa, sessions, tokens
from amanat.accounts import service as accounts
from amanat.accounts.schemas import (
    ApiTokenCreatedOut,
    ApiTokenIn,
    ApiTokenOut,
    CodeIn,
    EmailIn,
    LoginIn,
    LoginOut,
    MessageOut,
    MfaEnrolmentOut,
    PasswordChangeIn,
    RecoveryCodesOut,
    ResetIn,
    SessionOut,
    SignupIn,
    SignupOut,
    TokenIn,
)
from amanat.core.errors import Unauthenticated
from amanat.customers import service as customers
from amanat.customers.schemas import ProfileOut, ProfileUpdateIn
from amanat.web.caller import CustomerActor, authenticate, current_session_id
from amanat.web.client import client_info
from amanat.web.cookies import clear_session_cookie, cookie_name, set_session_cookie
from amanat.web.request import runtime_of

router = APIRouter(prefix="/api/v1", tags=["accounts"])
Customer = CustomerActor


@router.post(
    "/signup", status_code=201, response_model=SignupOut, summary="Create a customer account"
)
def signup(request: Request, body: SignupIn) -> SignupOut:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        outcome = accounts.sign_up(uow, runtime, body, client_info(request))
        uow.commit()
    customer_id = outcome.raise_for_failure()
    return SignupOut(
        customer_id=customer_id,
        message="Account created. We sent a link to your e-mail address; open it to verify the address.",
    )


@router.post(
    "/auth/verify-email", response_model=MessageOut, summary="Spend an e-mail verification link"
)
def verify_email(request: Request, body: TokenIn) -> MessageOut:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        accounts.verify_email(uow, runtime, body.token)
        uow.commit()
    return MessageOut(message="Your e-mail address is verified.")


@router.post("/auth/login", response_model=LoginOut, summary="Sign in with e-mail and password")
def login(request: Request, body: LoginIn) -> JSONResponse:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        outcome = accounts.sign_in_customer(
            uow, runtime, body.email, body.password, client_info(request)
        )
        uow.commit()
    if outcome.error is not None:
        headers = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else None
        return JSONResponse(
            {"error": outcome.error.code, "message": outcome.error.message},
            status_code=outcome.error.status,
            headers=headers,
        )
    assert outcome.token is not None
    status = "mfa_required" if outcome.mfa_required else "signed_in"
    response = JSONResponse(LoginOut(status=status, reminders=outcome.reminders).model_dump())
    set_session_cookie(response, runtime, "customer", outcome.token)
    return response


@router.post(
    "/auth/mfa", response_model=LoginOut, summary="Second step of sign-in: TOTP or recovery code"
)
def login_mfa(request: Request, body: CodeIn) -> JSONResponse:
    runtime = runtime_of(request)
    value = request.cookies.get(cookie_name(runtime, "customer"), "")
    with runtime.uow() as uow:
        row = sessions.resolve(uow, runtime, value, "customer") if value else None
        if row is None or row.mfa_done:
            raise Unauthenticated("Sign in with your e-mail and password first.")
        outcome = mfa.complete_sign_in(uow, runtime, row, body.code)
        uow.commit()
    outcome.raise_for_failure()
    assert outcome.token is not None
    response = JSONResponse(LoginOut(status="signed_in").model_dump())
    set_session_cookie(response, runtime, "customer", outcome.token)
    return response


@router.post("/auth/logout", status_code=204, summary="End this session")
def logout(request: Request) -> Response:
    runtime = runtime_of(request)
    context = authenticate(request, "customer")
    if context is not None and context.session_id is not None:
        with runtime.uow() as uow:
            accounts.sign_out(uow, runtime, context.actor, context.session_id)
            uow.commit()
    response = Response(status_code=204)
    clear_session_cookie(response, runtime, "customer")
    return response


@router.post(
    "/auth/password-reset", status_code=202, response_model=MessageOut, summary="Mail a reset link"
)
def password_reset(request: Request, body: EmailIn) -> MessageOut:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        accounts.request_password_reset(uow, runtime, body.email, client_info(request))
        uow.commit()
    return MessageOut(
        message="If this address has an account, we sent it a link valid for 30 minutes."
    )


@router.post(
    "/auth/password-reset/complete",
    response_model=MessageOut,
    summary="Set a new password with a reset link",
)
def password_reset_complete(request: Request, body: ResetIn) -> MessageOut:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        accounts.reset_password(uow, runtime, body.token, body.password)
        uow.commit()
    return MessageOut(
        message="Your password is changed and every session has ended; sign in again."
    )


@router.get("/me", response_model=ProfileOut, summary="Your profile (CNIC and phone masked)")
def me(request: Request, actor: Customer) -> ProfileOut:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        profile = customers.read_profile(uow, runtime, actor, actor.id)
        uow.commit()
    return profile


@router.patch(
    "/me", response_model=ProfileOut, summary="Change your name, phone, address, company or NTN"
)
def update_me(request: Request, actor: Customer, body: ProfileUpdateIn) -> ProfileOut:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        profile = customers.update_profile(uow, runtime, actor, actor.id, body)
        uow.commit()
    return profile


@router.post(
    "/me/email",
    status_code=202,
    response_model=MessageOut,
    summary="Change your e-mail (re-verified)",
)
def change_email(request: Request, actor: Customer, body: EmailIn) -> MessageOut:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        accounts.request_email_change(uow, runtime, actor, body.email)
        uow.commit()
    return MessageOut(
        message="We sent a link to the new address; your address changes once it is opened."
    )


@router.post("/me/password", status_code=204, summary="Change your password (other sessions end)")
def change_password(request: Request, actor: Customer, body: PasswordChangeIn) -> Response:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        accounts.change_password(
            uow,
            runtime,
            actor,
            body.current_password,
            body.new_password,
            current_session_id(request),
        )
        uow.commit()
    return Response(status_code=204)


@router.get("/me/sessions", response_model=list[SessionOut], summary="Your live sessions")
def list_sessions(request: Request, actor: Customer) -> list[SessionOut]:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        views = sessions.list_sessions(uow, runtime, actor, current_session_id(request))
        uow.commit()
    return [SessionOut.model_validate(v, from_attributes=True) for v in views]


@router.delete("/me/sessions/{session_id}", status_code=204, summary="End one of your sessions")
def revoke_session(request: Request, actor: Customer, session_id: str) -> Response:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        sessions.revoke(uow, runtime, actor, session_id)
        uow.commit()
    return Response(status_code=204)


@router.post(
    "/me/sessions/revoke-others", response_model=dict[str, int], summary="End every other session"
)
def revoke_others(request: Request, actor: Customer) -> dict[str, int]:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        count = sessions.revoke_others(uow, runtime, actor, current_session_id(request))
        uow.commit()
    return {"ended": count}


@router.get("/me/tokens", response_model=list[ApiTokenOut], summary="Your API tokens")
def list_tokens(request: Request, actor: Customer) -> list[ApiTokenOut]:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        views = tokens.list_api_tokens(uow, runtime, actor)
        uow.commit()
    return [ApiTokenOut.model_validate(v, from_attributes=True) for v in views]


@router.post(
    "/me/tokens",
    status_code=201,
    response_model=ApiTokenCreatedOut,
    summary="Create an API token (shown once)",
)
def create_token(request: Request, actor: Customer, body: ApiTokenIn) -> ApiTokenCreatedOut:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        created = tokens.create_api_token(
            uow, runtime, actor, label=body.label, scopes=body.scopes, days=body.days
        )
        uow.commit()
    return ApiTokenCreatedOut(
        id=created.id, token=created.token, scopes=created.scopes, expires_at=created.expires_at
    )


@router.delete("/me/tokens/{token_id}", status_code=204, summary="Revoke an API token")
def revoke_token(request: Request, actor: Customer, token_id: str) -> Response:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        tokens.revoke_api_token(uow, runtime, actor, token_id)
        uow.commit()
    return Response(status_code=204)


@router.post("/me/mfa/totp", response_model=MfaEnrolmentOut, summary="Start TOTP enrolment")
def start_totp(request: Request, actor: Customer) -> MfaEnrolmentOut:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        enrolment = mfa.start_enrolment(uow, runtime, actor.id, "customer", "your account")
        uow.commit()
    return MfaEnrolmentOut(secret=enrolment.secret, otpauth_uri=enrolment.uri, qr_svg=enrolment.svg)


@router.post(
    "/me/mfa/totp/confirm", response_model=RecoveryCodesOut, summary="Confirm TOTP with a code"
)
def confirm_totp(request: Request, actor: Customer, body: CodeIn) -> RecoveryCodesOut:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        codes = mfa.confirm_enrolment(uow, runtime, actor, body.code)
        uow.commit()
    return RecoveryCodesOut(recovery_codes=codes)


@router.post(
    "/me/mfa/recovery-codes", response_model=RecoveryCodesOut, summary="Replace your recovery codes"
)
def new_recovery_codes(request: Request, actor: Customer) -> RecoveryCodesOut:
    runtime = runtime_of(request)
    with runtime.uow() as uow:
        codes = mfa.regenerate_recovery_codes(uow, runtime, actor)
        uow.commit()
    return RecoveryCodesOut(recovery_codes=codes)
