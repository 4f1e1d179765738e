"""The quarterly withholding statement to FBR under s.165 (purpose ``legal_obligation``).

For each customer from whom advance tax was collected in the quarter: name, CNIC or NTN,
address, amounts billed and tax collected. Built from the same ledger as the
certificates (paid invoices by issue date, with their credit notes). Only a staff role
that may act for ``legal_obligation`` (the data protection officer, trained) can make it.

It is a disclosure like any other (the policy's ``sharing.statutory`` entry ``s165``):
the first run for a quarter registers the filing in the disclosure register, scoped to
that quarter's customers; once two approvers have approved it, the next run reads each
customer through the guard under the filing's number, and the disclosure domain packages
and signs the statement, records the export and tells the customers.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
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
from amanat.disclosure import service as disclosure
from amanat.runtime import Runtime

STATUTORY = "s165"
COLUMNS = ["name", "cnic", "ntn", "address", "invoices", "billed_rupees", "tax_collected_rupees"]


def _rupees(paisa: int) -> str:
    return f"{paisa // 100}.{paisa % 100:02d}"


def _snapshot_party(access: Access, invoices: list[Invoice]) -> dict[str, Any]:
    newest = max((i for i in invoices if i.kind == "invoice"), key=lambda i: i.issue_date)
    raw = access.read(
        "billing_invoices", "snapshot_ct", newest.id, "billing.record", newest.snapshot_ct
    )
    return dict(json.loads(raw)) if raw else {}


@dataclass(frozen=True)
class WithholdingStatement:
    """The quarter's filing in the disclosure register and, once it is approved, the
    statement (CSV) and the signed package it was given out in."""

    quarter: str
    filing: disclosure.StatutoryFiling
    csv: str | None = None
    package: disclosure.Package | None = None


def _collected(uow: UnitOfWork, first: Any, last: Any) -> dict[str, list[Invoice]]:
    """Each customer with advance tax collected in the quarter, and their ledger."""
    customers = uow.session.scalars(
        select(Invoice.customer_id).distinct().where(
            Invoice.kind == "invoice", Invoice.status == "paid",
            Invoice.issue_date >= first, Invoice.issue_date <= last,
        ).order_by(Invoice.customer_id)
    )  # fmt: skip
    found = {cid: ledger(uow, cid, first, last) for cid in customers}
    return {cid: rows for cid, rows in found.items() if sum(i.advance_tax_paisa for i in rows) > 0}


def withholding_statement(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, quarter: str
) -> WithholdingStatement:
    """The quarter's s.165 filing: registered now (waiting for approvals), waiting, or,
    once approved, made, packaged and recorded as its disclosure.

    Callers: a staff member whose role acts for ``legal_obligation`` (the CLI names them).
    Records disclosure.registered on the first run; once approved, one access per
    customer (under the filing's number), tax.withholding_statement and
    disclosure.exported. Raises Invalid (malformed quarter), AccessDenied (a role without
    legal_obligation, lapsed training), Conflict (the quarter's customers changed since
    the filing was registered).
    """
    try:
        first, last = parse_quarter(quarter)
    except ValueError as exc:
        raise Invalid(str(exc), fields={"quarter": str(exc)}) from exc
    runtime.guard.check_role(uow, actor, "legal_obligation")
    collected = _collected(uow, first, last)
    filing = disclosure.statutory_request(
        uow, runtime, actor, statutory_id=STATUTORY, period_label=quarter, period_from=first,
        period_to=last, customer_ids=list(collected),
    )  # fmt: skip
    if filing.status != "approved":
        return WithholdingStatement(quarter, filing)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    subjects: list[dict[str, Any]] = []
    for customer_id, invoices in collected.items():
        customer = get_customer(uow, customer_id)
        erased = customer.status == "erased"
        access = runtime.guard.open(
            uow, actor, customer_id, "legal_obligation",
            reads=PARTY_READS | {"billing.record"} if erased else PARTY_READS,
            reference=filing.number,
        )  # fmt: skip
        # An erased customer's details survive only in the invoices' snapshots, which the
        # legal hold keeps readable (amanat.vault.holds): the newest one in the quarter.
        party = _snapshot_party(access, invoices) if erased else read_party(access, customer)
        billed = sum(i.net_paisa + i.sales_tax_paisa for i in invoices)
        tax = sum(i.advance_tax_paisa for i in invoices)
        row = [
            party["name"], format_cnic(party["cnic"] or ""), party["ntn"] or "",
            "; ".join(address_lines(party["address"])), len(invoices),
            _rupees(billed), _rupees(tax),
        ]  # fmt: skip
        writer.writerow(row)
        subjects.append(
            {
                "customer": customer_id,
                "records": {"statement": [dict(zip(COLUMNS, row, strict=True))]},
            }
        )
    text = out.getvalue()
    package = disclosure.record_statutory_export(
        uow, runtime, actor, filing.number, subjects, {"statement.csv": text.encode("utf-8")}
    )
    audit.record(
        uow, runtime.clock, Event.TAX_WITHHOLDING_STATEMENT, actor, purpose="legal_obligation",
        reference=filing.number, details={"quarter": quarter, "customers": len(collected)},
    )  # fmt: skip
    return WithholdingStatement(quarter, filing, text, package)
