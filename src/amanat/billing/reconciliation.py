"""Matching imported bank and bill-payment statements to invoices by payment reference.

A statement is CSV with a header row: ``date,amount,reference,transaction_id`` (amount in
rupees, e.g. 6871.25). A line whose reference is an invoice's payment reference (or
number) and whose invoice has a balance is recorded as a payment; anything else waits
in the reconciliation queue for a billing officer. Lines already imported (same source
and transaction id) are skipped, so importing a statement twice changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.billing.models import Invoice, StatementLine
from amanat.billing.money import parse_rupees
from amanat.billing.payments import record_payment
from amanat.core.actor import Actor
from amanat.core.errors import Conflict, Invalid, NotFound
from amanat.db.base import new_id
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

SOURCES = {"bank": "bank_transfer", "bill_payment": "bill_payment"}


@dataclass
class ImportReport:
    lines: int = 0
    matched: int = 0
    queued: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def _line_error(number: int, sentence: str) -> Invalid:
    return Invalid(f"Line {number}: {sentence}", fields={"statement": f"Line {number}."})


def _parse(text: str) -> list[tuple[date, int, str, str]]:
    """Every line of the statement, or Invalid naming the first bad one (nothing is kept)."""
    reader = csv.DictReader(io.StringIO(text))
    needed = {"date", "amount", "reference", "transaction_id"}
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        raise _line_error(1, "this is not CSV.") from exc
    if header is None or not needed <= set(header):
        raise Invalid(
            "The statement must be CSV with the header date,amount,reference,transaction_id.",
            fields={"statement": "Header date,amount,reference,transaction_id."},
        )
    parsed = []
    try:
        for number, row in enumerate(reader, start=2):
            # A short row leaves its missing columns None.
            cells = {name: (row.get(name) or "").strip() for name in needed}
            try:
                booked = date.fromisoformat(cells["date"])
            except ValueError as exc:
                raise _line_error(number, "write the date as YYYY-MM-DD.") from exc
            try:
                amount = parse_rupees(cells["amount"])
            except ValueError as exc:
                raise _line_error(number, str(exc)) from exc
            transaction = cells["transaction_id"][:64]
            if not transaction:
                raise _line_error(number, "the transaction id is missing.")
            reference = re.sub(r"[\s-]", "", cells["reference"])[:64]
            parsed.append((booked, amount, reference, transaction))
    except csv.Error as exc:
        raise _line_error(reader.line_num, "this line is not valid CSV.") from exc
    return parsed


def import_statement(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, source: str, text: str
) -> ImportReport:
    """Import a statement (billing officer); match what can be matched, queue the rest.

    All or nothing: a malformed line refuses the whole file (Invalid naming the line).
    Records billing.statement_imported, and billing.payment_recorded per match.
    """
    if source not in SOURCES:
        raise Invalid(
            "Say where the statement comes from.", fields={"source": "bank or bill_payment."}
        )
    report = ImportReport()
    for booked, amount, reference, transaction in _parse(text):
        report.lines += 1
        known = uow.session.scalar(
            select(StatementLine.id).where(
                StatementLine.source == source, StatementLine.transaction_id == transaction
            )
        )
        if known is not None:
            report.skipped += 1
            continue
        line = StatementLine(
            id=new_id(), source=source, transaction_id=transaction, booked_on=booked,
            amount_paisa=amount, reference=reference, status="unmatched", imported_at=runtime.clock.now(),
        )  # fmt: skip
        uow.session.add(line)
        invoice = uow.session.scalar(
            select(Invoice).where(
                Invoice.kind == "invoice",
                (Invoice.payment_reference == reference) | (Invoice.number == reference),
            )
        )
        if invoice is not None and invoice.balance_paisa > 0 and amount > 0:
            payment = record_payment(
                uow, runtime, actor, invoice.number, SOURCES[source], amount, transaction
            )
            line.status, line.payment_id = "matched", payment.id
            report.matched += 1
        else:
            report.queued += 1
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.BILLING_STATEMENT_IMPORTED, actor,
        details={"source": source, "lines": report.lines, "matched": report.matched, "queued": report.queued},
    )  # fmt: skip
    return report


def queue(uow: UnitOfWork) -> list[StatementLine]:
    """Statement lines waiting for a billing officer, oldest first."""
    return list(
        uow.session.scalars(
            select(StatementLine)
            .where(StatementLine.status == "unmatched")
            .order_by(StatementLine.booked_on)
        )
    )


def resolve(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, line_id: str, invoice_ref: str
) -> StatementLine:
    """Match a queued line to an invoice by hand (billing officer). Records billing.reconciled."""
    line = uow.session.get(StatementLine, line_id)
    if line is None:
        raise NotFound("There is no such statement line.")
    if line.status != "unmatched":
        raise Conflict("This statement line has already been matched.")
    payment = record_payment(
        uow,
        runtime,
        actor,
        invoice_ref.strip(),
        SOURCES[line.source],
        line.amount_paisa,
        line.transaction_id,
    )
    line.status, line.payment_id = "matched", payment.id
    audit.record(
        uow, runtime.clock, Event.BILLING_RECONCILED, actor, customer_id=payment.customer_id,
        purpose="billing", details={"line": line.id, "payment": payment.id},
    )  # fmt: skip
    return line
