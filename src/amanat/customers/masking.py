"""Masks for display: neither home locality nor sex can be read from a masked CNIC."""

from __future__ import annotations

from collections.abc import Callable


def mask_cnic(digits: str) -> str:
    """``3520212345671`` -> ``*****-***4567-*``: hides the locality (first five digits) and
    the sex digit (last), keeps four digits a person recognises."""
    if len(digits) != 13:
        return "*****-*******-*"
    return f"*****-***{digits[8:12]}-*"


def mask_phone(e164: str) -> str:
    """``+923001234567`` -> ``+92 *** ***4567``."""
    if len(e164) < 8:
        return "***"
    country = "+92" if e164.startswith("+92") else e164[:3]
    return f"{country} *** ***{e164[-4:]}"


_MASKS: dict[str, Callable[[str], str]] = {"identity.cnic": mask_cnic, "contact.phone": mask_phone}


def masked(category: str, value: str) -> str:
    """``value`` as shown where the policy masks ``category``; unchanged for a category
    with no mask (a name is either shown or not)."""
    mask = _MASKS.get(category)
    return value if mask is None else mask(value)
