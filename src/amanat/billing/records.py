"""What billing keeps under a legal hold, and until when it must keep it; and one
customer's billing records for a disclosure's export.

An erased customer's invoices, certificates and tax profile stay under their legal-hold
key for as long as the tax law keeps them; the retention job asks billing for the
newest such record to know when the hold ends.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import func, select

from amanat.access.guard import Access
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


def subject_billing(
    uow: UnitOfWork, access: Access, first: date, last: date
) -> dict[str, list[dict[str, Any]]]:
    """Invoices and credit notes issued, and certificates issued, on the days ``first``
    to ``last``, as far as ``access`` may read them (``billing.record``: the invoices with
    the billing details printed on them; ``tax.certificate``: the certificates); for a
    disclosure's export (``runtime.SubjectRecords``)."""
    found: dict[str, list[dict[str, Any]]] = {}
    customer_id = access.customer_id
    if "billing.record" in access.readable:
        invoices = uow.session.scalars(
            select(Invoice).where(
                Invoice.customer_id == customer_id, Invoice.issue_date >= first,
                Invoice.issue_date <= last,
            ).order_by(Invoice.issue_date, Invoice.number)
        ).all()  # fmt: skip
        found["invoices"] = [
            {
                "number": i.number, "kind": i.kind, "period": i.period,
                "issue_date": i.issue_date.isoformat(), "status": i.status,
                "total_paisa": i.total_paisa, "advance_tax_paisa": i.advance_tax_paisa,
                "billed_to": json.loads(
                    access.read(
                        "billing_invoices", "snapshot_ct", i.id, "billing.record", i.snapshot_ct
                    ) or "{}"
                ),
            }
            for i in invoices
        ]  # fmt: skip
    if "tax.certificate" in access.readable:
        certificates = uow.session.scalars(
            select(Certificate).where(
                Certificate.customer_id == customer_id, Certificate.issue_date >= first,
                Certificate.issue_date <= last,
            ).order_by(Certificate.issue_date, Certificate.number)
        ).all()  # fmt: skip
        found["certificates"] = [
            {
                "number": c.number, "fiscal_year": c.fiscal_year,
                "issue_date": c.issue_date.isoformat(), "duplicate_of": c.duplicate_of,
                "document": json.loads(
                    access.read(
                        "billing_certificates", "document_ct", c.id, "tax.certificate",
                        c.document_ct,
                    ) or "{}"
                ),
            }
            for c in certificates
        ]  # fmt: skip
    return {kind: records for kind, records in found.items() if records}
