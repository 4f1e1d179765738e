"""The texts of account mail. Links carry single-use tokens only, never personal data."""

from __future__ import annotations

from amanat.runtime import Runtime


def link(runtime: Runtime, path: str) -> str:
    return runtime.settings.resolved_public_url + path


def verify_email(runtime: Runtime, name: str, token: str) -> tuple[str, str]:
    url = link(runtime, f"/account/verify/{token}")
    return (
        "Confirm your e-mail address",
        f"Hello {name},\n\nPlease confirm your e-mail address by opening this link within two "
        f"days:\n\n{url}\n\nIf you did not create an account, ignore this message.\n",
    )


def change_email(runtime: Runtime, name: str, token: str) -> tuple[str, str]:
    url = link(runtime, f"/account/verify/{token}")
    return (
        "Confirm your new e-mail address",
        f"Hello {name},\n\nYou asked to use this address for your account. Confirm it by "
        f"opening this link within two days:\n\n{url}\n\nUntil then your old address stays "
        "in use. If this was not you, ignore this message.\n",
    )


def reset_password(runtime: Runtime, name: str, token: str) -> tuple[str, str]:
    url = link(runtime, f"/account/reset/{token}")
    return (
        "Reset your password",
        f"Hello {name},\n\nSomeone (we hope you) asked to reset your password. Open this link "
        f"within 30 minutes to choose a new one:\n\n{url}\n\nSetting a new password signs out "
        "every session. If this was not you, ignore this message; your password stays as it is.\n",
    )


def new_device(
    runtime: Runtime, name: str, browser: str, os_family: str, device: str
) -> tuple[str, str]:
    return (
        "New sign-in to your account",
        f"Hello {name},\n\nYour account was just signed in to from {browser} on {os_family} "
        f"({device}), which we had not seen before.\n\nIf this was you, there is nothing to do. "
        "If not, change your password and end the other sessions on the Security page:\n\n"
        f"{link(runtime, '/account/security')}\n",
    )


def password_reminder(runtime: Runtime, name: str, reason: str) -> tuple[str, str]:
    return (
        "A reminder to update your password",
        f"Hello {name},\n\n{reason} You are not required to change it, but we recommend "
        "choosing a new, unique password and turning on a second factor:\n\n"
        f"{link(runtime, '/account/security')}\n",
    )


def signup_attempt(runtime: Runtime, name: str, what: str = "e-mail address") -> tuple[str, str]:
    """``what`` names the owner's own detail that was typed: e-mail address, phone number, CNIC."""
    return (
        "Someone tried to sign up with your address",
        f"Hello {name},\n\nSomeone tried to create a new account with your {what}, "
        "which already has an account. If it was you, sign in or reset your password:\n\n"
        f"{link(runtime, '/signin')}\n",
    )
