"""The texts of account mail. Links carry single-use tokens only, never personal data.

Mail to an address not yet verified (sign-up, an e-mail change) carries no text the
customer typed (not even the name), so nobody can make Amanat mail their words to a
stranger's address.
"""

from __future__ import annotations

from amanat.runtime import Runtime


def link(runtime: Runtime, path: str) -> str:
    return runtime.settings.resolved_public_url + path


def verify_email(runtime: Runtime, token: str) -> tuple[str, str]:
    url = link(runtime, f"/account/verify/{token}")
    return (
        "Confirm your e-mail address",
        "Hello,\n\nPlease confirm your e-mail address by opening this link within two "
        f"days:\n\n{url}\n\nIf you did not create an account, ignore this message.\n",
    )


def change_email(runtime: Runtime, token: str) -> tuple[str, str]:
    url = link(runtime, f"/account/verify/{token}")
    return (
        "Confirm your new e-mail address",
        "Hello,\n\nYou asked to use this address for your account. Confirm it by "
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


_NOT_YOU = (
    "If this was not you, reset your password now (this ends every session and API token) "
    "and check the Security page:\n\n{reset}\n"
)
NOTICES = {
    "password_changed": (
        "Your password was changed",
        "The password of your account was just changed. Every other session and every API "
        "token has ended.",
    ),
    "password_reset_done": (
        "Your password was reset",
        "The password of your account was just reset with a link we e-mailed. Every session "
        "and every API token has ended.",
    ),
    "mfa_enabled": (
        "A second factor was turned on",
        "A second factor (an authenticator app) was just turned on for your account.",
    ),
    "mfa_disabled": (
        "Your second factor was turned off",
        "The second factor of your account was just turned off.",
    ),
    "recovery_codes_replaced": (
        "Your recovery codes were replaced",
        "New recovery codes were just made for your account; the old ones no longer work.",
    ),
    "api_token_created": (
        "A new API token was created",
        "A new API token was just created for your account.",
    ),
}


def notice(runtime: Runtime, name: str, kind: str) -> tuple[str, str]:
    """A security notice to the account's verified address (``kind`` from NOTICES)."""
    subject, what = NOTICES[kind]
    reset = link(runtime, "/account/reset")
    return (
        subject,
        f"Hello {name},\n\n{what}\n\nIf this was you, there is nothing to do. "
        + _NOT_YOU.format(reset=reset),
    )


def email_changed(runtime: Runtime, name: str, token: str) -> tuple[str, str]:
    """To the old address after an e-mail change, with the single-use link that undoes it."""
    url = link(runtime, f"/account/undo-email/{token}")
    return (
        "Your sign-in e-mail address was changed",
        f"Hello {name},\n\nThe sign-in e-mail address of your account was just changed away "
        "from this address.\n\nIf this was you, there is nothing to do. If not, open this link "
        f"within 30 days to put this address back and end every session and API token:\n\n{url}"
        "\n\nThen reset your password.\n",
    )
