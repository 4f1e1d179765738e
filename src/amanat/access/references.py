"""Reference checkers: the guard's registry of "is this case live for this customer?".

A purpose the policy marks with ``reference: ticket`` (or ``invoice``, ``order``) is
opened by staff only with a reference that exists, belongs to the customer whose data is
read and is still open. Each domain that owns such records registers one checker here,
with a one-line edit to ``REFERENCE_CHECKERS``:

    ("ticket", "amanat.support.service:ticket_is_live"),

A checker is ``fn(session, customer_id, reference, now) -> bool``: read-only, it answers
True only for a live reference of that customer at ``now`` (the guard's clock), and must
not raise on malformed input. What "live" means per kind is in docs/security.md ("What
makes a reference live"). The guard fails closed: a purpose whose reference kind has no
checker is refused.

Tests (or an operator's plug-in) add checkers at run time with
``Guard.register_reference_checker``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from typing import cast

from sqlalchemy.orm import Session

ReferenceChecker = Callable[[Session, str, str, datetime], bool]

# (reference kind, "module:function"), one line per checker.
REFERENCE_CHECKERS: tuple[tuple[str, str], ...] = (
    ("invoice", "amanat.billing.references:invoice_is_live"),
    ("order", "amanat.billing.references:order_is_live"),
    ("ticket", "amanat.support.service:ticket_is_live"),
)


def load_reference_checkers(
    entries: tuple[tuple[str, str], ...] = REFERENCE_CHECKERS,
) -> dict[str, ReferenceChecker]:
    """Import the registered checkers (called when the guard is built, never at import)."""
    checkers: dict[str, ReferenceChecker] = {}
    for kind, target in entries:
        module_name, _, function_name = target.partition(":")
        module = importlib.import_module(module_name)
        checkers[kind] = cast(ReferenceChecker, getattr(module, function_name))
    return checkers
