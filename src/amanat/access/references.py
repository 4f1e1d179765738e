"""Reference checkers: the guard's answer to "is this case live for this customer?".

A purpose the policy marks with ``reference: ticket`` (or ``invoice``, ``order``) is
opened by staff only with a reference that exists, belongs to the customer whose data is
read and is still open. Each domain that owns such records declares one checker in its
``Domain`` (``reference_checkers={"ticket": ticket_is_live}``); ``amanat.composition``
gathers them and ``build_runtime`` gives them to the guard.

A checker is ``fn(session, customer_id, reference, now) -> bool``: read-only, it answers
True only for a live reference of that customer at ``now`` (the guard's clock), and must
not raise on malformed input. What "live" means per kind is in docs/security.md ("What
makes a reference live"). The guard fails closed: a purpose whose reference kind has no
checker is refused.

Tests (or an operator's plug-in) add checkers at run time with
``Guard.register_reference_checker``.

A register whose cases cover only some categories of a customer's data (a disclosure
request names the categories it may disclose) wraps its checker in ``CategoryScoped``:
the guard then also passes the categories read and written, and a call without them
answers False (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

ReferenceChecker = Callable[[Session, str, str, datetime], bool]
ScopedCheck = Callable[[Session, str, str, datetime, frozenset[str]], bool]


@dataclass(frozen=True)
class CategoryScoped:
    """A reference checker that also decides the categories: ``check(session, customer_id,
    reference, now, categories)``. ``live_means`` completes the refusal "The <kind> given
    is not ..." (e.g. "an approved request covering this customer and these categories").
    """

    check: ScopedCheck
    live_means: str

    def __call__(self, session: Session, customer_id: str, reference: str, now: datetime) -> bool:
        return False  # never without the categories: the guard calls ``check``
