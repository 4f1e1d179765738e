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
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

ReferenceChecker = Callable[[Session, str, str, datetime], bool]
