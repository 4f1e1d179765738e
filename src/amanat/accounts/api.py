"""JSON API for accounts: sign-up, sign-in with MFA, the customer's own account (/me)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from amanat.accounts import mfa, phone, reauth, sessions, tokens
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
    PasswordIn,
    PhoneCodeIn,
    ReauthIn,
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
from amanat.web.caller import (
    CustomerActor,
    RecentCustomerActor,
    SessionCustomerActor,
    authenticate,
    current_session_id,
)
from amanat.web.client import client_info
from amanat.web.cookies import (
    clear_session_cookie,
    cookie_name,
    set_device_cookie,
    set_session_cookie,
)
from amanat.web.request import RuntimeDep
from amanat.web.uow import Uow

router = APIRouter(prefix="/api/v1", tags=["accounts"])
Customer = CustomerActor


SIGNUP_ACCEPTED = (
    "Thank you. We sent a message to your e-mail address: open the link in it to verify "
    "the address and finish, or to sign in if you already have an account."
)


@router.post(
    "/signup", status_code=202, response_model=SignupOut, summary="Create a customer account"
)
def signup(request: Request, body: SignupIn, uow: Uow, runtime: RuntimeDep) -> SignupOut:
    # The same answer whether the account was created or a detail was taken (its holder
    # is told by mail): the answer enumerates nothing.
    accounts.sign_up(uow, runtime, body, client_info(request))
    return SignupOut(message=SIGNUP_ACCEPTED)


@router.post(
    "/auth/verify-email", response_model=MessageOut, summary="Spend an e-mail verification link"
)
def verify_email(body: TokenIn, uow: Uow, runtime: RuntimeDep) -> MessageOut:
    accounts.verify_email(uow, runtime, body.token)
    return MessageOut(message="Your e-mail address is verified.")


@router.post("/auth/login", response_model=LoginOut, summary="Sign in with e-mail and password")
def login(request: Request, body: LoginIn, uow: Uow, runtime: RuntimeDep) -> JSONResponse:
    outcome = accounts.sign_in_customer(
        uow, runtime, body.email, body.password, client_info(request)
    )
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
    set_device_cookie(response, runtime, outcome.device_proof)
    return response


@router.post(
    "/auth/mfa", response_model=LoginOut, summary="Second step of sign-in: TOTP or recovery code"
)
def login_mfa(request: Request, body: CodeIn, uow: Uow, runtime: RuntimeDep) -> JSONResponse:
    value = request.cookies.get(cookie_name(runtime, "customer"), "")
    row = sessions.resolve(uow, runtime, value, "customer") if value else None
    if row is None or row.mfa_done:
        raise Unauthenticated("Sign in with your e-mail and password first.")
    outcome = mfa.complete_sign_in(uow, runtime, row, body.code)
    if outcome.error is not None:
        uow.commit()  # a wrong code is counted towards the lock: kept, then refused
        raise outcome.error
    assert outcome.token is not None
    response = JSONResponse(LoginOut(status="signed_in").model_dump())
    set_session_cookie(response, runtime, "customer", outcome.token)
    return response


@router.post("/auth/logout", status_code=204, summary="End this session")
def logout(request: Request, uow: Uow, runtime: RuntimeDep) -> Response:
    context = authenticate(request, "customer")
    if context is not None and context.session_id is not None:
        accounts.sign_out(uow, runtime, context.actor, context.session_id)
    response = Response(status_code=204)
    clear_session_cookie(response, runtime, "customer")
    return response


@router.post(
    "/auth/password-reset", status_code=202, response_model=MessageOut, summary="Mail a reset link"
)
def password_reset(request: Request, body: EmailIn, uow: Uow, runtime: RuntimeDep) -> MessageOut:
    accounts.request_password_reset(uow, runtime, body.email, client_info(request))
    return MessageOut(
        message="If this address has an account, we sent it a link valid for 30 minutes."
    )


@router.post(
    "/auth/password-reset/complete",
    response_model=MessageOut,
    summary="Set a new password with a reset link",
)
def password_reset_complete(body: ResetIn, uow: Uow, runtime: RuntimeDep) -> MessageOut:
    accounts.reset_password(uow, runtime, body.token, body.password)
    return MessageOut(
        message="Your password is changed; every session has ended and every API token is "
        "revoked. Sign in again."
    )


@router.post(
    "/auth/undo-email-change",
    response_model=MessageOut,
    summary="Put back the old e-mail address (link mailed to it after a change)",
)
def undo_email_change(body: TokenIn, uow: Uow, runtime: RuntimeDep) -> MessageOut:
    accounts.undo_email_change(uow, runtime, body.token)
    return MessageOut(
        message="Your old address is your sign-in e-mail again; every session has ended and "
        "every API token is revoked. Reset your password now."
    )


@router.get("/me", response_model=ProfileOut, summary="Your profile (CNIC and phone masked)")
def me(actor: Customer, uow: Uow, runtime: RuntimeDep) -> ProfileOut:
    profile = customers.read_profile(uow, runtime, actor, actor.id)
    return profile


@router.patch(
    "/me", response_model=ProfileOut, summary="Change your name, phone, address, company or NTN"
)
def update_me(actor: Customer, body: ProfileUpdateIn, uow: Uow, runtime: RuntimeDep) -> ProfileOut:
    # A new phone is sent a code, not checked against other accounts (no enumeration).
    profile = phone.update_profile(uow, runtime, actor, body)
    return profile


@router.post(
    "/me/reauth",
    status_code=204,
    summary="Enter your password (and second-factor code) again before a sensitive change",
)
def reauthenticate(
    request: Request, actor: SessionCustomerActor, body: ReauthIn, uow: Uow, runtime: RuntimeDep
) -> Response:
    error = reauth.reauthenticate(
        uow, runtime, actor, current_session_id(request), body.password, body.code,
        client_info(request),
    )  # fmt: skip
    if error is not None:
        uow.commit()  # a wrong password or code is counted towards the lock: kept, then refused
        raise error
    return Response(status_code=204)


@router.post(
    "/me/phone/confirm", response_model=ProfileOut, summary="Confirm a new phone with its code"
)
def confirm_phone(actor: Customer, body: PhoneCodeIn, uow: Uow, runtime: RuntimeDep) -> ProfileOut:
    outcome = phone.confirm_phone(uow, runtime, actor, body.phone, body.code)
    if outcome.error is not None:
        uow.commit()  # a wrong code is counted towards the phone's limit: kept, then refused
    return outcome.raise_for_failure()


@router.post(
    "/me/email",
    status_code=202,
    response_model=MessageOut,
    summary="Change your e-mail (re-verified; needs a recent re-authentication)",
)
def change_email(
    request: Request, actor: RecentCustomerActor, body: EmailIn, uow: Uow, runtime: RuntimeDep
) -> MessageOut:
    accounts.request_email_change(uow, runtime, actor, body.email, client_info(request))
    return MessageOut(
        message="We sent a link to the new address; your address changes once it is opened."
    )


@router.post(
    "/me/password",
    status_code=204,
    summary="Change your password (other sessions end, every API token is revoked)",
)
def change_password(
    request: Request, actor: Customer, body: PasswordChangeIn, uow: Uow, runtime: RuntimeDep
) -> Response:
    outcome = reauth.change_password(
        uow, runtime, actor, body.current_password, body.new_password,
        current_session_id(request), client_info(request),
    )  # fmt: skip
    if outcome.error is not None:
        uow.commit()  # a wrong current password is counted like a failed sign-in: kept, then refused
        raise outcome.error
    response = Response(status_code=204)
    if outcome.token is not None:
        set_session_cookie(response, runtime, "customer", outcome.token)
    return response


@router.get("/me/sessions", response_model=list[SessionOut], summary="Your live sessions")
def list_sessions(
    request: Request, actor: Customer, uow: Uow, runtime: RuntimeDep
) -> list[SessionOut]:
    views = sessions.list_sessions(uow, runtime, actor, current_session_id(request))
    return [SessionOut.model_validate(v, from_attributes=True) for v in views]


@router.delete("/me/sessions/{session_id}", status_code=204, summary="End one of your sessions")
def revoke_session(actor: Customer, session_id: str, uow: Uow, runtime: RuntimeDep) -> Response:
    sessions.revoke(uow, runtime, actor, session_id)
    return Response(status_code=204)


@router.post(
    "/me/sessions/revoke-others", response_model=dict[str, int], summary="End every other session"
)
def revoke_others(
    request: Request, actor: Customer, uow: Uow, runtime: RuntimeDep
) -> dict[str, int]:
    count = sessions.revoke_others(uow, runtime, actor, current_session_id(request))
    return {"ended": count}


@router.get("/me/tokens", response_model=list[ApiTokenOut], summary="Your API tokens")
def list_tokens(actor: Customer, uow: Uow, runtime: RuntimeDep) -> list[ApiTokenOut]:
    views = tokens.list_api_tokens(uow, runtime, actor)
    return [ApiTokenOut.model_validate(v, from_attributes=True) for v in views]


@router.post(
    "/me/tokens",
    status_code=201,
    response_model=ApiTokenCreatedOut,
    summary="Create an API token (shown once; needs a recent re-authentication)",
)
def create_token(
    actor: RecentCustomerActor,
    body: ApiTokenIn,
    uow: Uow,
    runtime: RuntimeDep,
) -> ApiTokenCreatedOut:
    created = tokens.create_api_token(
        uow, runtime, actor, label=body.label, scopes=body.scopes, days=body.days
    )
    return ApiTokenCreatedOut(
        id=created.id, token=created.token, scopes=created.scopes, expires_at=created.expires_at
    )


@router.delete("/me/tokens/{token_id}", status_code=204, summary="Revoke an API token")
def revoke_token(actor: Customer, token_id: str, uow: Uow, runtime: RuntimeDep) -> Response:
    tokens.revoke_api_token(uow, runtime, actor, token_id)
    return Response(status_code=204)


@router.post(
    "/me/mfa/totp",
    response_model=MfaEnrolmentOut,
    summary="Start TOTP enrolment (needs a recent re-authentication)",
)
def start_totp(actor: RecentCustomerActor, uow: Uow, runtime: RuntimeDep) -> MfaEnrolmentOut:
    enrolment = mfa.start_enrolment(uow, runtime, actor.id, "customer", "your account")
    return MfaEnrolmentOut(secret=enrolment.secret, otpauth_uri=enrolment.uri, qr_svg=enrolment.svg)


@router.post(
    "/me/mfa/totp/confirm", response_model=RecoveryCodesOut, summary="Confirm TOTP with a code"
)
def confirm_totp(
    actor: RecentCustomerActor, body: CodeIn, uow: Uow, runtime: RuntimeDep
) -> RecoveryCodesOut:
    codes = mfa.confirm_enrolment(uow, runtime, actor, body.code)
    return RecoveryCodesOut(recovery_codes=codes)


@router.post(
    "/me/mfa/recovery-codes",
    response_model=RecoveryCodesOut,
    summary="Replace your recovery codes (needs a recent re-authentication)",
)
def new_recovery_codes(
    actor: RecentCustomerActor, uow: Uow, runtime: RuntimeDep
) -> RecoveryCodesOut:
    codes = mfa.regenerate_recovery_codes(uow, runtime, actor)
    return RecoveryCodesOut(recovery_codes=codes)


@router.post(
    "/me/mfa/disable",
    status_code=204,
    summary="Turn your second factor off (password; needs a recent re-authentication)",
)
def disable_totp(
    request: Request, actor: RecentCustomerActor, body: PasswordIn, uow: Uow, runtime: RuntimeDep
) -> Response:
    error = reauth.remove_second_factor(uow, runtime, actor, body.password, client_info(request))
    if error is not None:
        uow.commit()  # a wrong password or code is counted towards the lock: kept, then refused
        raise error
    return Response(status_code=204)
