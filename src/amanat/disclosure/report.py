"""The public transparency report: requests by kind of authority, outcome and half-year.

Counts only, from the register's clear columns (authority, date received, state). A
cell under the policy's ``aggregates.k`` (default 10) reads "fewer than k", zero
included, so a small count never points at a case. No totals are published: a total
less the cells shown would give away a hidden cell.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from amanat.db.uow import UnitOfWork
from amanat.disclosure.checker import effective_status
from amanat.disclosure.models import DisclosureRequest
from amanat.disclosure.schemas import CellOut, HalfYearOut, TransparencyOut
from amanat.runtime import Runtime

OUTCOMES = {
    "disclosed": "Data given",
    "rejected": "Refused",
    "expired": "Lapsed unanswered",
    "pending": "Being decided",
}


def outcome(status: str) -> str:
    return "pending" if status in ("registered", "approved") else status


def transparency_report(uow: UnitOfWork, runtime: Runtime) -> TransparencyOut:
    """The report (public: reads no personal data, records nothing)."""
    k = runtime.policy.aggregates.k
    today = runtime.clock.now().date()
    counts: Counter[tuple[str, str, str]] = Counter()
    for request in uow.session.scalars(select(DisclosureRequest)):
        half = f"{request.received_on.year}-H{1 if request.received_on.month <= 6 else 2}"
        status = outcome(effective_status(request, today))
        counts[(half, request.authority, status)] += 1
    authorities = runtime.policy.sharing.authorities
    halves = sorted({half for half, _, _ in counts}, reverse=True)
    return TransparencyOut(
        k=k,
        outcomes=dict(OUTCOMES),
        half_years=[
            HalfYearOut(
                half_year=half,
                cells=[
                    CellOut.of(a.id, a.title, o, counts[(half, a.id, o)], k)
                    for a in authorities
                    for o in OUTCOMES
                ],
            )
            for half in halves
        ],
    )
