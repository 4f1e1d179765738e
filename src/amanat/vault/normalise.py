"""One spelling per value: what the blind index is computed over and what is stored.

Every accepted spelling of the same e-mail, phone or CNIC normalises to the same string,
so that an exact-match lookup through the blind index finds it however it was typed.
Each function raises ``ValueError`` with one sentence a person can act on; the sentence
never repeats the value (it may be personal data and error messages end up in logs).
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

_CNIC_DASHED = re.compile(r"[0-9]{5}-[0-9]{7}-[0-9]")
_CNIC_BARE = re.compile(r"[0-9]{13}")
_MAX_INPUT = 320  # RFC 5321's limit for an address; nothing we normalise is longer
# Scripts that one language writes together count as one (Japanese, Korean, Chinese).
_SCRIPT_FAMILIES = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK", "CJK": "CJK"}
# Letters of other scripts that look like Latin ones; a local part made only of these
# (say "рор", all Cyrillic) reads as a Latin name it is not.
_LATIN_LOOKALIKES = frozenset("аеорсухіјѕԁһӏԛԝкοαειυνκρχ")
MIXED_SCRIPTS = (
    "Write the part before the @ in one alphabet, without letters that only look Latin "
    "(such as a Cyrillic а among Latin letters): such an address can pass for someone else's."
)


def normalise_email(text: str) -> str:
    """The address checked for syntax (no DNS lookup), in one spelling: Unicode NFKC
    (full-width and compatibility letters become the plain ones), the local part
    case-folded, the domain in its lower-case IDNA (``xn--``) form.

    Case-folding the local part too is a choice: RFC 5321 lets a server treat it as
    case-sensitive, but no mail provider our customers use does, and two accounts that
    differ only in case would be a support and security hazard. For the same reason a
    local part that mixes scripts (``раul``: Cyrillic "р" and "а" among Latin letters),
    or that is made only of non-Latin letters that look Latin, is refused: it would be a
    separate account that reads like someone else's.
    """
    candidate = unicodedata.normalize("NFKC", text).strip()
    if not candidate:
        raise ValueError("Enter an e-mail address, like name@example.pk.")
    if len(candidate) > _MAX_INPUT:
        raise ValueError("That e-mail address is too long; enter at most 320 characters.")
    try:
        checked = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(
            "Enter a valid e-mail address, like name@example.pk (one @, a domain with a dot, "
            "no spaces)."
        ) from exc
    local = unicodedata.normalize("NFKC", checked.local_part.casefold())
    if _looks_like_another_script(local):
        raise ValueError(MIXED_SCRIPTS)
    domain = (checked.ascii_domain or checked.domain).casefold()
    return f"{local}@{domain}"


def _script(char: str) -> str | None:
    """The script of a letter (the first word of its Unicode name), None for anything
    else: digits, dots and marks go with any script."""
    if not unicodedata.category(char).startswith("L"):
        return None
    word = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
    return _SCRIPT_FAMILIES.get(word, word)


def _looks_like_another_script(local: str) -> bool:
    scripts = {script for char in local if (script := _script(char)) is not None}
    if len(scripts) > 1:
        return True
    letters = [char for char in local if _script(char) is not None]
    return scripts != {"LATIN"} and bool(letters) and all(c in _LATIN_LOOKALIKES for c in letters)


def normalise_phone(text: str, region: str = "PK") -> str:
    """The number in E.164 (``+923001234567``), read as a ``region`` number unless it has a
    country code: Pakistani mobiles (03xx ...) and landlines with their area code
    (042 ..., 051 ...) are accepted in any common spelling, as is any valid international
    number written with ``+`` or ``00``.
    """
    candidate = text.strip()
    if not candidate:
        raise ValueError("Enter a phone number, like 0300 1234567 or +92 300 1234567.")
    if len(candidate) > 40:
        raise ValueError("That phone number is too long; enter the digits with the area code.")
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    try:
        parsed = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(
            "Enter a phone number with its area code, like 0300 1234567, 042 35761234 or "
            "+92 300 1234567."
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(
            "That is not a valid phone number: enter a mobile like 0300 1234567 or a landline "
            "with its area code like 042 35761234; use +country code for numbers abroad."
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_cnic(text: str) -> str:
    """The 13 digits of a CNIC written as ``NNNNN-NNNNNNN-N`` or as 13 bare digits."""
    candidate = text.strip()
    if _CNIC_DASHED.fullmatch(candidate):
        return candidate.replace("-", "")
    compact = candidate.replace(" ", "")
    if _CNIC_BARE.fullmatch(compact):
        return compact
    raise ValueError("Enter the CNIC as 13 digits, with or without dashes, like 35202-1234567-1.")
