"""The quarterly withholding statement to FBR under s.165 (purpose ``legal_obligation``).

For each customer from whom advance tax was collected in the quarter: name, CNIC or NTN,
address, amounts billed and tax collected. Built from the same ledger as the
certificates (paid invoices by issue date, with their credit notes). Only a staff role
that may act for ``legal_obligation`` (the data protection officer, trained) can make it.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select

from amanat.access.guard import Access
from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.billing.certificates import ledger
from amanat.billing.common import PARTY_READS, address_lines, format_cnic, get_customer, read_party
from amanat.billing.fiscal import parse_quarter
from amanat.billing.models import Invoice
from amanat.core.actor import Actor
from amanat.core.errors import Invalid
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

COLUMNS = ["name", "cnic", "ntn", "address", "invoices", "billed_rupees", "tax_collected_rupees"]


def _rupees(paisa: int) -> str:
    return f"{paisa // 100}.{paisa % 100:02d}"


def _snapshot_party(access: Access, invoices: list[Invoice]) -> dict[str, Any]:
    newest = max((i for i in invoices if i.kind == "invoice"), key=lambda i: i.issue_date)
    raw = access.read(
        "billing_invoices", "snapshot_ct", newest.id, "billing.record", newest.snapshot_ct
    )
    return dict(json.loads(raw)) if raw else {}


def withholding_statement(uow: UnitOfWork, runtime: Runtime, actor: Actor, quarter: str) -> str:
    """The statement as CSV. Records tax.withholding_statement (and one access per customer).

    Raises Invalid (malformed quarter), AccessDenied (a role without legal_obligation, or
    lapsed training).
    """
    try:
        first, last = parse_quarter(quarter)
    except ValueError as exc:
        raise Invalid(str(exc), fields={"quarter": str(exc)}) from exc
    customers = list(
        uow.session.scalars(
            select(Invoice.customer_id).distinct().where(
                Invoice.kind == "invoice", Invoice.status == "paid",
                Invoice.issue_date >= first, Invoice.issue_date <= last,
            ).order_by(Invoice.customer_id)
        )
    )  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for customer_id in customers:
        invoices = ledger(uow, customer_id, first, last)
        tax = sum(i.advance_tax_paisa for i in invoices)
        if tax <= 0:
            continue
        customer = get_customer(uow, customer_id)
        erased = customer.status == "erased"
        access = runtime.guard.open(
            uow, actor, customer_id, "legal_obligation",
            reads=PARTY_READS | {"billing.record"} if erased else PARTY_READS,
            reference=f"s165-{quarter}",
        )  # fmt: skip
        # An erased customer's details survive only in the invoices' snapshots, which the
        # legal hold keeps readable (amanat.vault.holds): the newest one in the quarter.
        party = _snapshot_party(access, invoices) if erased else read_party(access, customer)
        billed = sum(i.net_paisa + i.sales_tax_paisa for i in invoices)
        writer.writerow([
            party["name"], format_cnic(party["cnic"] or ""), party["ntn"] or "",
            "; ".join(address_lines(party["address"])), len(invoices),
            _rupees(billed), _rupees(tax),
        ])  # fmt: skip
    audit.record(
        uow, runtime.clock, Event.TAX_WITHHOLDING_STATEMENT, actor, purpose="legal_obligation",
        details={"quarter": quarter, "customers": len(customers)},
    )  # fmt: skip
    return out.getvalue()
