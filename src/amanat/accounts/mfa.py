"""The second factor: TOTP enrolment, the sign-in step, and recovery codes.

Enrolment stores the new secret encrypted as pending; it becomes the factor only once a
code from it is entered. Ten recovery codes are then shown once and stored as keyed
hashes; each works once. A TOTP code is never accepted twice (the last step is kept).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from amanat.accounts import notices, sessions, totp
from amanat.accounts.models import AuthSession, Credential, RecoveryCode
from amanat.accounts.security import mfa_key, record_security_event
from amanat.accounts.throttle import Throttle, throttle_for
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.core.errors import AmanatError, Conflict, Invalid, Unauthenticated
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

T = "credentials"
RECOVERY_CODES = 10
CODE_WRONG = (
    "That code is not right; enter the current six-digit code from your app, or a recovery code."
)
# More wrong codes than this in one session end it: the password must be entered again.
MAX_CODE_FAILURES = 5


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    svg: str


@dataclass
class MfaOutcome:
    error: AmanatError | None = None
    token: str | None = None

    def raise_for_failure(self) -> None:
        if self.error is not None:
            raise self.error


def _open(uow: UnitOfWork, runtime: Runtime, principal_id: str, *, read: bool, write: bool):  # type: ignore[no-untyped-def]
    return runtime.guard.open(
        uow, Actor.system("accounts"), principal_id, "account_management",
        reads={"account.credentials"} if read else set(),
        writes={"account.credentials"} if write else set(),
    )  # fmt: skip


def start_enrolment(
    uow: UnitOfWork, runtime: Runtime, principal_id: str, principal_kind: str, label: str
) -> Enrolment:
    """Make a new pending TOTP secret (replacing an unconfirmed one) and its QR code.

    Callers: the signed-in customer's security page, a staff member's enrolment page.
    Nothing is enabled until ``confirm_enrolment``.
    """
    credential = uow.session.get(Credential, principal_id)
    if credential is None:
        credential = Credential(id=principal_id, principal_kind=principal_kind)
        uow.session.add(credential)
    secret = totp.new_secret()
    access = _open(uow, runtime, principal_id, read=False, write=True)
    credential.totp_pending_ct = access.write(
        T, "totp_pending_ct", principal_id, "account.credentials", secret
    )
    uow.session.flush()
    uri = totp.provisioning_uri(secret, label, runtime.policy.provider.name)
    return Enrolment(secret=secret, uri=uri, svg=totp.qr_svg(uri))


def pending_enrolment(
    uow: UnitOfWork, runtime: Runtime, principal_id: str, label: str
) -> Enrolment | None:
    """The enrolment already started (to show the same QR code again), if any."""
    credential = uow.session.get(Credential, principal_id)
    if credential is None or credential.totp_pending_ct is None:
        return None
    access = _open(uow, runtime, principal_id, read=True, write=False)
    secret = access.read(
        T, "totp_pending_ct", principal_id, "account.credentials", credential.totp_pending_ct
    )
    if not secret:
        return None
    uri = totp.provisioning_uri(secret, label, runtime.policy.provider.name)
    return Enrolment(secret=secret, uri=uri, svg=totp.qr_svg(uri))


def confirm_enrolment(uow: UnitOfWork, runtime: Runtime, actor: Actor, code: str) -> list[str]:
    """Turn the pending secret into the second factor when ``code`` matches it; returns the
    ten recovery codes (shown once).

    Callers: the principal enrolling. Records account.mfa_enabled. Raises Invalid when
    no enrolment is pending or the code does not match.
    """
    credential = uow.session.get(Credential, actor.id)
    if credential is None or credential.totp_pending_ct is None:
        raise Invalid("Start the set-up again: there is no second factor waiting for a code.")
    access = _open(uow, runtime, actor.id, read=True, write=True)
    secret = (
        access.read(
            T, "totp_pending_ct", actor.id, "account.credentials", credential.totp_pending_ct
        )
        or ""
    )
    step = totp.matching_step(secret, code, runtime.clock.now().timestamp())
    if step is None:
        raise Invalid(
            "Some fields need fixing; see each field.",
            fields={"code": "That code does not match; enter the six digits your app shows now."},
        )
    credential.totp_secret_ct = access.write(
        T, "totp_secret_ct", actor.id, "account.credentials", secret
    )
    credential.totp_pending_ct = None
    credential.totp_last_step = step
    credential.mfa_enabled_at = runtime.clock.now()
    codes = _new_recovery_codes(uow, runtime, actor.id)
    audit.record(
        uow, runtime.clock, Event.ACCOUNT_MFA_ENABLED, actor,
        customer_id=actor.id if actor.kind == "customer" else None,
        categories={"account.credentials"},
    )  # fmt: skip
    notices.notify(uow, runtime, actor, "mfa_enabled")
    return codes


def regenerate_recovery_codes(uow: UnitOfWork, runtime: Runtime, actor: Actor) -> list[str]:
    """Replace every recovery code with ten new ones and tell the owner by mail.

    Callers: a session with a recent re-authentication (the route checks it). Records
    account.recovery_codes_replaced. Raises Conflict when no second factor is on.
    """
    credential = uow.session.get(Credential, actor.id)
    if credential is None or credential.mfa_enabled_at is None:
        raise Conflict("Turn on the second factor first; recovery codes belong to it.")
    codes = _new_recovery_codes(uow, runtime, actor.id)
    audit.record(
        uow, runtime.clock, Event.ACCOUNT_RECOVERY_CODES_REPLACED, actor,
        customer_id=actor.id if actor.kind == "customer" else None,
    )  # fmt: skip
    notices.notify(uow, runtime, actor, "recovery_codes_replaced")
    return codes


def disable_mfa(uow: UnitOfWork, runtime: Runtime, actor: Actor) -> None:
    """Turn the second factor off (customers only; staff must keep theirs) and tell the owner.

    Callers: ``reauth.remove_second_factor`` only, after the password was checked through
    the sign-in counters. Records account.mfa_disabled. Raises Conflict for staff when
    MFA is mandatory, or when no second factor is on.
    """
    if actor.kind == "staff" and runtime.settings.require_staff_mfa:
        raise Conflict("Staff accounts must keep their second factor.")
    credential = uow.session.get(Credential, actor.id)
    if credential is None or credential.mfa_enabled_at is None:
        raise Conflict("There is no second factor to turn off.")
    credential.totp_secret_ct = None
    credential.totp_pending_ct = None
    credential.mfa_enabled_at = None
    credential.totp_last_step = None
    uow.session.execute(delete(RecoveryCode).where(RecoveryCode.principal_id == actor.id))
    audit.record(
        uow, runtime.clock, Event.ACCOUNT_MFA_DISABLED, actor,
        customer_id=actor.id if actor.kind == "customer" else None,
    )  # fmt: skip
    notices.notify(uow, runtime, actor, "mfa_disabled")


def _new_recovery_codes(uow: UnitOfWork, runtime: Runtime, principal_id: str) -> list[str]:
    uow.session.execute(delete(RecoveryCode).where(RecoveryCode.principal_id == principal_id))
    now = runtime.clock.now()
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = runtime.vault.random_token(8).replace("-", "x").replace("_", "y").lower()[:10]
        code = f"{raw[:5]}-{raw[5:10]}"
        codes.append(code)
        uow.session.add(
            RecoveryCode(
                principal_id=principal_id, code_hash=_code_hash(runtime, code), created_at=now
            )
        )
    uow.session.flush()
    return codes


def _code_hash(runtime: Runtime, code: str) -> str:
    return runtime.vault.hash_token("recovery|" + code.strip().lower().replace(" ", ""))


def is_enrolled(uow: UnitOfWork, principal_id: str) -> bool:
    credential = uow.session.get(Credential, principal_id)
    return credential is not None and credential.mfa_enabled_at is not None


def recovery_codes_left(uow: UnitOfWork, principal_id: str) -> int:
    rows = uow.session.scalars(
        select(RecoveryCode.id).where(
            RecoveryCode.principal_id == principal_id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    return len(rows)


def complete_sign_in(uow: UnitOfWork, runtime: Runtime, row: AuthSession, code: str) -> MfaOutcome:
    """The second step of sign-in: a TOTP code or a recovery code; the session gets a new id.

    Callers: the holder of a session waiting for its second factor. Records
    account.mfa_passed; a wrong code is a security event, and after five the session
    ends. Wrong codes are also counted per account across sign-ins (growing delays, a
    15-minute lock from the tenth, a lock only a password reset opens from the hundredth;
    see ``throttle``), so a known password buys no fresh guesses. Outcome errors:
    Unauthenticated, TooManyRequests (with ``retry_after``).
    """
    actor = (
        Actor.customer(row.principal_id)
        if row.principal_kind == "customer"
        else Actor.staff(row.principal_id, row.role)
    )
    throttle = throttle_for(runtime) if runtime.settings.throttling else None
    key = mfa_key(row.principal_kind, row.principal_id)
    failures_before = 0
    if throttle is not None:
        refusal, failures_before = throttle.check(uow, runtime.clock.now(), [key], kind="mfa")
        if refusal is not None:
            record_security_event(
                uow, runtime, "mfa.refused", principal_kind=row.principal_kind,
                principal_id=row.principal_id, subject_key=key, details={"session": row.id},
            )  # fmt: skip
            return MfaOutcome(error=refusal.error())
    credential = uow.session.get(Credential, row.principal_id)
    if credential is None or credential.totp_secret_ct is None:
        return MfaOutcome(
            error=Unauthenticated("This account has no second factor; sign in again.")
        )
    used = _accept(uow, runtime, credential, code)
    accepted = used is not None
    if not accepted:
        failures = _count_code_failure(uow, runtime, row)
        if throttle is not None:
            _count_account_code_failure(
                uow, runtime, throttle, row.principal_kind, row.principal_id, key
            )
        if failures >= MAX_CODE_FAILURES:
            sessions.end_session(uow, runtime, actor, row, "mfa_failed")
            return MfaOutcome(
                error=Unauthenticated("Too many wrong codes; sign in again with your password.")
            )
        return MfaOutcome(error=Unauthenticated(CODE_WRONG))
    if failures_before:
        throttle_for(runtime).record_success(uow, key)
    token = sessions.rotate(uow, runtime, row, mfa_done=True)
    audit.record(
        uow, runtime.clock, Event.ACCOUNT_MFA_PASSED, actor,
        customer_id=row.principal_id if row.principal_kind == "customer" else None,
        details={"session": row.id, "method": used},
    )  # fmt: skip
    return MfaOutcome(token=token)


def _accept(uow: UnitOfWork, runtime: Runtime, credential: Credential, code: str) -> str | None:
    """How ``code`` is accepted and spent ("totp" or "recovery_code"), or None."""
    principal_id = credential.id
    access = _open(uow, runtime, principal_id, read=True, write=False)
    secret = (
        access.read(
            T, "totp_secret_ct", principal_id, "account.credentials", credential.totp_secret_ct
        )
        or ""
    )
    step = totp.matching_step(secret, code, runtime.clock.now().timestamp())
    if step is not None and (credential.totp_last_step is None or step > credential.totp_last_step):
        credential.totp_last_step = step
        return "totp"
    recovery = uow.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.principal_id == principal_id,
            RecoveryCode.code_hash == _code_hash(runtime, code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if recovery is not None:
        recovery.used_at = runtime.clock.now()
        return "recovery_code"
    return None


def check_code(
    uow: UnitOfWork, runtime: Runtime, principal_kind: str, principal_id: str, code: str
) -> AmanatError | None:
    """Check a second-factor code entered again (re-authentication) with the sign-in
    step's per-account counters, so it is no code oracle; None when accepted.

    Callers: ``reauth`` only. A wrong code is a security event (mfa.failed) and counts
    towards the account's delays and locks. Errors (returned; the caller commits the
    counters first): Invalid naming the ``code`` field, TooManyRequests.
    """
    throttle = throttle_for(runtime) if runtime.settings.throttling else None
    key = mfa_key(principal_kind, principal_id)
    failures_before = 0
    if throttle is not None:
        refusal, failures_before = throttle.check(uow, runtime.clock.now(), [key], kind="mfa")
        if refusal is not None:
            record_security_event(
                uow, runtime, "mfa.refused", principal_kind=principal_kind,
                principal_id=principal_id, subject_key=key,
            )  # fmt: skip
            return refusal.error()
    credential = uow.session.get(Credential, principal_id)
    accepted = (
        credential is not None
        and credential.totp_secret_ct is not None
        and _accept(uow, runtime, credential, code) is not None
    )
    if accepted:
        if throttle is not None and failures_before:
            throttle.record_success(uow, key)
        return None
    record_security_event(
        uow, runtime, "mfa.failed", principal_kind=principal_kind, principal_id=principal_id
    )
    if throttle is not None:
        _count_account_code_failure(uow, runtime, throttle, principal_kind, principal_id, key)
    return Invalid("Some fields need fixing; see each field.", fields={"code": CODE_WRONG})


def _count_account_code_failure(
    uow: UnitOfWork,
    runtime: Runtime,
    throttle: Throttle,
    principal_kind: str,
    principal_id: str,
    key: str,
) -> None:
    result = throttle.record_code_failure(uow, runtime.clock.now(), key)
    for locked, kind in (
        (result.account_locked, "mfa.account_locked"),
        (result.hard_locked, "mfa.account_hard_locked"),
    ):
        if locked:
            record_security_event(
                uow, runtime, kind, principal_kind=principal_kind, principal_id=principal_id,
                subject_key=key,
            )  # fmt: skip


def _count_code_failure(uow: UnitOfWork, runtime: Runtime, row: AuthSession) -> int:
    record_security_event(
        uow, runtime, "mfa.failed", principal_kind=row.principal_kind, principal_id=row.principal_id,
        details={"session": row.id},
    )  # fmt: skip
    from amanat.accounts.models import SecurityEvent

    rows = uow.session.scalars(
        select(SecurityEvent.id).where(
            SecurityEvent.kind == "mfa.failed", SecurityEvent.principal_id == row.principal_id,
            SecurityEvent.at >= row.created_at,
        )
    ).all()  # fmt: skip
    return len(rows)
