"""Credentials, sessions, tokens, throttling counters and security events.

A *principal* is whoever signs in: a customer or a staff member. Customers and staff
share this machinery; ``principal_kind`` says which, ``principal_id`` is the customer's
or the staff member's id and is also the key owner of every encrypted column here
(``__key_owner__``). Secrets are never stored: passwords as argon2id hashes, session
ids, API tokens, recovery codes and e-mailed link tokens as hashes; TOTP secrets and
technical data encrypted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from amanat.db.base import ID, NOT_PERSONAL, Base, UTCDateTime, new_id, personal

PRINCIPAL_KINDS = ("customer", "staff")


class Credential(Base):
    """A principal's password hash and second factor; one row per principal."""

    __tablename__ = "credentials"
    __key_owner__ = "id"

    id: Mapped[str] = mapped_column(ID, primary_key=True, info=NOT_PERSONAL)  # principal id
    principal_kind: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    password_hash: Mapped[str | None] = mapped_column(
        String(255), info=personal("account.password")
    )
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    password_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    totp_secret_ct: Mapped[bytes | None] = mapped_column(
        LargeBinary, info=personal("account.credentials")
    )
    totp_pending_ct: Mapped[bytes | None] = mapped_column(
        LargeBinary, info=personal("account.credentials")
    )
    mfa_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    # The last TOTP time step accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer, info=NOT_PERSONAL)


class RecoveryCode(Base):
    """A single-use MFA recovery code, stored as a hash."""

    __tablename__ = "recovery_codes"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    principal_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    code_hash: Mapped[str] = mapped_column(
        String(128), unique=True, info=personal("account.credentials")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)


class AuthSession(Base):
    """A server-side session. The cookie carries a random id; only its hash is here.

    ``mfa_done`` is False between a correct password and the second factor; such a
    session can do nothing but finish MFA (or enrol, for staff who have none yet).
    Technical data is collected at sign-in and updated as the session is used.
    """

    __tablename__ = "auth_sessions"
    __key_owner__ = "principal_id"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    token_hash: Mapped[str] = mapped_column(
        String(128), unique=True, info=personal("account.credentials")
    )
    principal_kind: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    principal_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    role: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    mfa_done: Mapped[bool] = mapped_column(Boolean, default=False, info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    end_reason: Mapped[str | None] = mapped_column(String(32), info=NOT_PERSONAL)
    # When the password (and second factor, if enrolled) was last entered in this session:
    # sign-in or re-authentication. Sensitive account changes need it to be recent.
    authenticated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    ip_ct: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal("technical.ip"))
    browser_ct: Mapped[bytes | None] = mapped_column(
        LargeBinary, info=personal("technical.browser")
    )
    os_ct: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal("technical.os"))
    device_ct: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal("technical.device"))
    # Keyed hash of (principal, browser family, OS, device class): "seen this device
    # before?" is one indexed lookup instead of decrypting every earlier session.
    device_key: Mapped[str | None] = mapped_column(
        String(64), index=True, info={**personal("technical.device"), "blind_index": True}
    )


class ApiToken(Base):
    """An API access token for scripts: shown once, stored hashed, scoped, expiring."""

    __tablename__ = "api_tokens"
    __key_owner__ = "principal_id"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    principal_kind: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    principal_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    role: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    token_hash: Mapped[str] = mapped_column(
        String(128), unique=True, info=personal("account.credentials")
    )
    # The label is typed by the owner and may say anything, so it is encrypted.
    label_ct: Mapped[bytes | None] = mapped_column(
        LargeBinary, info=personal("account.credentials")
    )
    scopes: Mapped[list[str]] = mapped_column(JSON, info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)


class ActionToken(Base):
    """A single-use token sent in a link: verify e-mail, reset password, staff enrolment.

    Only its hash is stored; ``payload_ct`` holds what the action needs that must not be
    in the URL (the new e-mail address of an e-mail change).
    """

    __tablename__ = "action_tokens"
    __key_owner__ = "principal_id"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    token_hash: Mapped[str] = mapped_column(
        String(128), unique=True, info=personal("account.credentials")
    )
    action: Mapped[str] = mapped_column(String(32), info=NOT_PERSONAL)
    principal_kind: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    principal_id: Mapped[str] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    payload_ct: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal("contact.email"))


class ThrottleCounter(Base):
    """Failed sign-ins per account or per network address, shared by every worker.

    ``key`` is a keyed hash (never the e-mail or address itself): ``acct:`` + the
    e-mail's blind index, or ``net:`` + a keyed hash of the network address.
    """

    __tablename__ = "throttle_counters"

    key: Mapped[str] = mapped_column(String(128), primary_key=True, info=NOT_PERSONAL)
    consecutive: Mapped[int] = mapped_column(Integer, default=0, info=NOT_PERSONAL)
    window_failures: Mapped[int] = mapped_column(Integer, default=0, info=NOT_PERSONAL)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, info=NOT_PERSONAL)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, info=NOT_PERSONAL)


class SecurityEvent(Base):
    """A failure, lock or alert for the monitoring to come; ids and keyed hashes only."""

    __tablename__ = "security_events"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=NOT_PERSONAL)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True, info=NOT_PERSONAL)
    kind: Mapped[str] = mapped_column(String(48), index=True, info=NOT_PERSONAL)
    principal_kind: Mapped[str | None] = mapped_column(String(16), info=NOT_PERSONAL)
    principal_id: Mapped[str | None] = mapped_column(ID, index=True, info=NOT_PERSONAL)
    # Keyed hashes of the sign-in name and network address: they let the monitoring
    # correlate attempts (credential stuffing, brute force) without holding either.
    subject_key: Mapped[str | None] = mapped_column(String(128), info=NOT_PERSONAL)
    network_key: Mapped[str | None] = mapped_column(String(128), index=True, info=NOT_PERSONAL)
    details: Mapped[dict[str, object]] = mapped_column(JSON, info=NOT_PERSONAL)
