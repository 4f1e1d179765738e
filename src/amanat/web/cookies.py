"""Session cookies: their names (``__Host-`` when cookies are secure), setting and clearing."""

from __future__ import annotations

from fastapi import Response

from amanat.runtime import Runtime


def cookie_name(runtime: Runtime, principal_kind: str) -> str:
    base = "amanat_staff" if principal_kind == "staff" else "amanat_session"
    return f"__Host-{base}" if runtime.settings.secure_cookies else base


def pre_cookie_name(runtime: Runtime) -> str:
    return "__Host-amanat_pre" if runtime.settings.secure_cookies else "amanat_pre"


def set_session_cookie(
    response: Response, runtime: Runtime, principal_kind: str, token: str
) -> None:
    """Secure, HttpOnly, SameSite=Lax, host-only, path /; a browser-session cookie (the server
    enforces idle and absolute limits)."""
    response.set_cookie(
        cookie_name(runtime, principal_kind), token, secure=runtime.settings.secure_cookies,
        httponly=True, samesite="lax", path="/",
    )  # fmt: skip


def clear_session_cookie(response: Response, runtime: Runtime, principal_kind: str) -> None:
    response.delete_cookie(
        cookie_name(runtime, principal_kind), path="/", secure=runtime.settings.secure_cookies,
        httponly=True, samesite="lax",
    )  # fmt: skip


def device_cookie_name(runtime: Runtime) -> str:
    return "__Host-amanat_device" if runtime.settings.secure_cookies else "amanat_device"


def set_device_cookie(response: Response, runtime: Runtime, proof: str | None) -> None:
    """Remember this browser for a year after a successful sign-in (Secure, HttpOnly,
    host-only): the owner signs in from it even while the account is throttled."""
    if proof:
        response.set_cookie(
            device_cookie_name(runtime), proof, max_age=365 * 24 * 3600,
            secure=runtime.settings.secure_cookies, httponly=True, samesite="lax", path="/",
        )  # fmt: skip
