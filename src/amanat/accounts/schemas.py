"""Accounts' request and response bodies. Passwords and codes are SecretStr-free plain
strings bounded in length; they are never echoed back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from amanat.customers.schemas import CustomerDetailsIn


class SignupIn(CustomerDetailsIn):
    password: str = Field("", max_length=1024)


class SignupOut(BaseModel):
    """The same for a new account and for details that are taken (no enumeration)."""

    email_verification: Literal["sent"] = "sent"
    message: str


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field("", max_length=320)
    password: str = Field("", max_length=1024)


class LoginOut(BaseModel):
    status: Literal["signed_in", "mfa_required"]
    reminders: list[str] = Field(default_factory=list)


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field("", max_length=32, description="Six-digit TOTP code or a recovery code")


class PhoneCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field("", max_length=40, description="The new number, as sent to PATCH /me")
    code: str = Field("", max_length=16, description="The six-digit code sent to it by SMS")


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field("", max_length=128)


class EmailIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field("", max_length=320)


class ResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field("", max_length=128)
    password: str = Field("", max_length=1024)


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field("", max_length=1024)
    new_password: str = Field("", max_length=1024)


class MfaEnrolmentOut(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg: str


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str]


class SessionOut(BaseModel):
    id: str
    created_at: datetime
    last_seen_at: datetime
    browser: str
    os: str
    device: str
    network: str
    current: bool


class ApiTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field("", max_length=200)
    scopes: list[str] = Field(default_factory=lambda: ["read"], max_length=4)
    days: int = Field(90, ge=1, le=365)


class ApiTokenCreatedOut(BaseModel):
    id: str
    token: str = Field(description="Shown once; store it now.")
    scopes: list[str]
    expires_at: datetime


class ApiTokenOut(BaseModel):
    id: str
    label: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None


class MessageOut(BaseModel):
    message: str


class ReauthIn(BaseModel):
    """The password again, and the second-factor code when one is on."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field("", max_length=1024)
    code: str = Field("", max_length=32, description="Six-digit TOTP code or a recovery code")


class PasswordIn(BaseModel):
    """The current password, to confirm a change."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field("", max_length=1024)
