"""What other code may call in the accounts domain: sign-up and verification
(signup.py), sign-in and sign-out (signin.py), passwords (credentials.py), sessions,
second factors and action tokens for every principal, and who is calling (caller.py).

The modules behind these names are the domain's own; another domain imports only this
module and ``amanat.accounts.schemas``. Nothing here commits: the caller's unit of work
does, once.
"""

from __future__ import annotations

from amanat.accounts.caller import resolve_caller
from amanat.accounts.credentials import (
    clear_sign_in_limits,
    request_password_reset,
    reset_password,
    set_password,
    totp_secret,
)
from amanat.accounts.demo import DEMO_EMAIL, DEMO_PASSWORD, ensure_demo_customer
from amanat.accounts.mfa import (
    Enrolment,
    confirm_enrolment,
    pending_enrolment,
    start_enrolment,
)
from amanat.accounts.passwords import password_problem
from amanat.accounts.reauth import PasswordChanged, change_password
from amanat.accounts.sessions import (
    SessionView,
    forget_principal,
    list_sessions,
    revoke,
    revoke_others,
    subject_sessions,
)
from amanat.accounts.signin import (
    SIGNIN_FAILED,
    SignInOutcome,
    current_reminders,
    sign_in_customer,
    sign_in_principal,
    sign_out,
)
from amanat.accounts.signup import (
    SIGNUP_REFUSED,
    SignUpOutcome,
    mail_limit,
    request_email_change,
    resend_verification,
    sign_up,
    undo_email_change,
    verify_email,
)
from amanat.accounts.tokens import issue_action_token, peek_action_token, use_action_token
from amanat.accounts.totp import code_at as totp_code_at
from amanat.accounts.totp import qr_data_uri

__all__ = [
    "DEMO_EMAIL",
    "DEMO_PASSWORD",
    "SIGNIN_FAILED",
    "SIGNUP_REFUSED",
    "Enrolment",
    "PasswordChanged",
    "SessionView",
    "SignInOutcome",
    "SignUpOutcome",
    "change_password",
    "clear_sign_in_limits",
    "confirm_enrolment",
    "current_reminders",
    "ensure_demo_customer",
    "forget_principal",
    "issue_action_token",
    "list_sessions",
    "mail_limit",
    "password_problem",
    "peek_action_token",
    "pending_enrolment",
    "qr_data_uri",
    "request_email_change",
    "request_password_reset",
    "resend_verification",
    "reset_password",
    "resolve_caller",
    "revoke",
    "revoke_others",
    "set_password",
    "sign_in_customer",
    "sign_in_principal",
    "sign_out",
    "sign_up",
    "start_enrolment",
    "subject_sessions",
    "totp_code_at",
    "totp_secret",
    "undo_email_change",
    "use_action_token",
    "verify_email",
]
