"""The guard's ``disclosure`` reference checker: is this request live for this read?

``legal_obligation`` names ``reference: disclosure`` in the policy, so a staff read under
it needs the number of a request (``D-1042``) for which this checker answers True:

- the request's own text (key owner: the request) is open for ``disclosure.request``
  only, whatever the request's state: the register is read and kept by the roles that
  act for it;
- a customer's data only while the request is ``approved`` (every approval the policy
  asks for is in, nobody rejected it, it has not been exported yet) and its deadline has
  not passed, the customer is in its scope and every category read is one it names.

The period is the export's to apply: it takes only records made within it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from amanat.access.references import CategoryScoped
from amanat.disclosure.models import CATEGORY, DisclosureRequest, DisclosureScope
from amanat.disclosure.parsing import parse_number


def effective_status(request: DisclosureRequest, today: date) -> str:
    """The stored state, or ``expired`` for an undecided or approved request past its
    deadline (nothing is stored for that: time alone ends it)."""
    if request.status in ("registered", "approved") and today > request.deadline:
        return "expired"
    return request.status


def _is_live(
    session: Session, customer_id: str, reference: str, now: datetime, categories: frozenset[str]
) -> bool:
    number = parse_number(reference)
    if number is None or not categories:
        return False
    request = session.scalar(select(DisclosureRequest).where(DisclosureRequest.number == number))
    if request is None:
        return False
    if customer_id == request.id:
        return categories <= {CATEGORY}
    if effective_status(request, now.date()) != "approved":
        return False
    if not categories <= set(request.categories):
        return False
    in_scope = session.scalar(
        select(DisclosureScope.id).where(
            DisclosureScope.request_id == request.id, DisclosureScope.customer_id == customer_id
        )
    )
    return in_scope is not None


disclosure_is_live = CategoryScoped(
    check=_is_live,
    live_means=(
        "an approved request, before its deadline, whose scope names this customer and "
        "these categories"
    ),
)
