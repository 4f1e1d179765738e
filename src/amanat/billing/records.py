"""What billing keeps under a legal hold, and until when it must keep it.

An erased customer's invoices, certificates and tax profile stay under their legal-hold
key for as long as the tax law keeps them; the retention job asks billing for the
newest such record to know when the hold ends.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from amanat.billing.fiscal import FiscalYear
from amanat.billing.models import Certificate, Invoice, TaxProfile
from amanat.db.uow import UnitOfWork


def newest_held_record(uow: UnitOfWork, customer_id: str) -> date | None:
    """The date of the customer's newest record under a legal hold, or None if none.

    Invoices and credit notes by issue date, certificates by the last day of the fiscal
    year they certify, the tax profile by its last change: the tax year each belongs to.
    Reads ids and dates only (no personal data, no guard).
    """
    session = uow.session
    found: list[date] = []
    invoiced = session.scalar(
        select(func.max(Invoice.issue_date)).where(Invoice.customer_id == customer_id)
    )
    if invoiced is not None:
        found.append(invoiced)
    certified = session.scalar(
        select(func.max(Certificate.fiscal_year)).where(Certificate.customer_id == customer_id)
    )
    if certified is not None:
        found.append(FiscalYear.parse(certified).last_day)
    profiled = session.scalar(
        select(TaxProfile.updated_at).where(TaxProfile.customer_id == customer_id)
    )
    if profiled is not None:
        found.append(profiled.date())
    return max(found, default=None)
