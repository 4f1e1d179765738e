"""The password rule (NIST SP 800-63B), as the policy's "user responsibility" asks.

At least 12 characters (OWASP ASVS 4.0.3 2.1.1; NIST allows 8), up to 128, any characters,
no composition rules. Refused when zxcvbn scores it below 3, when it is a common password, or when it contains the
e-mail address (or its local part) or a part of the name. The reason is one sentence
the person can act on, and never repeats the password.
"""

from __future__ import annotations

import unicodedata

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128  # NIST: permit at least 64.
MIN_SCORE = 3
# zxcvbn only looks at the first characters for its estimate; longer passwords are
# checked on this prefix (their length alone makes them strong), which bounds its cost.
_ZXCVBN_PREFIX = 100


def password_problem(
    password: str, *, email: str | None = None, name: str | None = None
) -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    normalised = unicodedata.normalize("NFKC", password)
    if len(normalised) < MIN_LENGTH:
        return f"Choose a password of at least {MIN_LENGTH} characters."
    if len(normalised) > MAX_LENGTH:
        return f"Choose a password of at most {MAX_LENGTH} characters."
    folded = normalised.casefold()
    personal_parts = _personal_parts(email, name)
    if any(part in folded for part in personal_parts):
        return "Choose a password that does not contain your e-mail address or name."
    result = zxcvbn(normalised[:_ZXCVBN_PREFIX], user_inputs=sorted(personal_parts))
    warning = str(result["feedback"].get("warning") or "")
    if _is_common(result):
        return "This is a commonly used password; choose one that others are unlikely to use."
    if int(result["score"]) < MIN_SCORE:
        hint = warning.rstrip(".") + ". " if warning else ""
        return (
            f"{hint}This password is too easy to guess; add more words or make it longer."
        ).strip()
    return None


def _personal_parts(email: str | None, name: str | None) -> set[str]:
    parts: set[str] = set()
    if email:
        folded = email.casefold()
        parts.add(folded)
        local = folded.split("@", 1)[0]
        if len(local) >= 3:
            parts.add(local)
    if name:
        for word in name.casefold().split():
            if len(word) >= 3:
                parts.add(word)
    return parts


def _is_common(result: dict[str, object]) -> bool:
    sequence = result.get("sequence")
    if not isinstance(sequence, list):
        return False
    for match in sequence:
        if (
            isinstance(match, dict)
            and match.get("pattern") == "dictionary"
            and match.get("dictionary_name") == "passwords"
            and match.get("token") == result.get("password")
        ):
            return True
    return False
