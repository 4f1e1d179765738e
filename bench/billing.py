"""Billing benchmark: the billing run, invoice PDFs, webhooks; each beside a baseline.

    .venv/bin/python -m bench.billing                        # 100,000 services on SQLite
    .venv/bin/python -m bench.billing --services 20000       # a quicker run

Prints:
1. a billing run over N services (4 per customer: fibre, cloud server, metered storage,
   backup; one invoice per customer, every line taxed, snapshot encrypted, invoice mail
   queued in the outbox, everything audited), seconds and services/s, beside a baseline:
   SQLAlchemy Core inserting the same number of invoice and line rows with no logic, and
   the ratio (goal: the run under 60 s on SQLite for 100,000 services), the run's CPU
   time (the machine's load inflates wall time, not CPU time), and `audit verify` over
   the chain the run extended;
2. invoice PDFs per second (fpdf2) beside a one-line fpdf2 page, and the ratio;
3. webhooks per second through `handle_webhook` (HMAC check, idempotency row, payment,
   card token encrypted, invoice settled, audit, commit) beside bare HMAC verification
   plus JSON parsing of the same bodies, and the ratio.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fpdf import FPDF
from sqlalchemy import insert, select

from amanat.audit.verify import verify_chain
from amanat.billing import catalogue
from amanat.billing.context import BillingContext, set_billing_context
from amanat.billing.documents import DocumentLine, InvoiceDocument, Party, TaxLine
from amanat.billing.models import Invoice, InvoiceLine, Payment, Plan, Service
from amanat.billing.pdf import render_invoice
from amanat.billing.processor import HttpProcessor
from amanat.billing.provisioner import RecordingProvisioner
from amanat.billing.run import run_billing
from amanat.billing.service import handle_webhook
from amanat.billing.tax import load_tax_table
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.core.clock import FixedClock
from amanat.customers.models import Customer
from amanat.db.base import new_id
from amanat.install import initialise
from amanat.runtime import Runtime
from amanat.vault.signing import AuditSigner

SECRET = "whsec_bench"
PLANS = ("fibre-50", "vm-small", "storage-object", "backup-daily")
PROVINCES = ("Punjab", "Sindh", "Khyber Pakhtunkhwa", "Balochistan", "Islamabad Capital Territory")
NOW = datetime(2025, 9, 2, 6, 0, tzinfo=UTC)


def setup(runtime: Runtime, customers: int) -> None:
    """Customers (encrypted name and address), 4 services each, storage usage; via Core."""
    vault = runtime.vault
    with runtime.uow() as uow:
        catalogue.ensure_plans(uow, runtime, catalogue.DEMO_CATALOGUE)
        uow.commit()
        plans = {p.code: p.id for p in uow.session.scalars(select(Plan))}
    batch = 2_000
    for first in range(0, customers, batch):
        ids = [new_id() for _ in range(min(batch, customers - first))]
        vault.create_keys(ids)
        people, services, usage = [], [], []
        for offset, cid in enumerate(ids):
            i = first + offset
            address = {
                "line1": f"House {i}, Street 7",
                "city": "Lahore",
                "province": PROVINCES[i % 5],
            }
            people.append({
                "id": cid, "kind": "individual", "status": "active", "created_at": NOW,
                "email_verified_at": NOW,
                "name_ct": vault.encrypt(cid, "customers", "name_ct", cid, f"Canary Testname {i}"),
                "address_ct": vault.encrypt(cid, "customers", "address_ct", cid, json.dumps(address)),
                "cnic_ct": vault.encrypt(cid, "customers", "cnic_ct", cid, f"35202{i % 10_000_000:07d}1"),
                "email_ct": vault.encrypt(cid, "customers", "email_ct", cid, f"canary.{i}@example.pk"),
            })  # fmt: skip
            for code in PLANS:
                sid = new_id()
                services.append({
                    "id": sid, "customer_id": cid, "order_id": new_id(), "plan_id": plans[code],
                    "quantity": 1, "status": "active", "created_at": NOW,
                    "starts_on": date(2025, 8, 1 + i % 28), "one_time_billed": False,
                    "site_ct": vault.encrypt(cid, "billing_services", "site_ct", sid, json.dumps(address)),
                })  # fmt: skip
                if code == "storage-object":
                    usage.append({"id": new_id(), "customer_id": cid, "service_id": sid,
                                  "period": "2025-08", "quantity": 80 + i % 90, "recorded_at": NOW})  # fmt: skip
        with runtime.engine.begin() as conn:
            conn.execute(insert(Customer.__table__), people)
            conn.execute(insert(Service.__table__), services)
            from amanat.billing.models import UsageRecord

            conn.execute(insert(UsageRecord.__table__), usage)


def baseline_inserts(runtime: Runtime, invoices: int) -> float:
    """Core inserts of as many invoice and line rows as the run writes, no logic."""
    rows, lines = [], []
    for i in range(invoices):
        iid = new_id()
        rows.append({
            "id": iid, "customer_id": new_id(), "kind": "invoice", "number": f"BASE-{i:07d}",
            "fiscal_year": "2099-00", "period": "2099-01", "run_key": f"base:{i}",
            "issue_date": date(2099, 2, 1), "due_date": date(2099, 2, 15), "status": "issued",
            "net_paisa": 1, "sales_tax_paisa": 1, "advance_tax_paisa": 1, "total_paisa": 3,
            "paid_paisa": 0, "credited_paisa": 0, "payment_reference": f"B{i:010d}",
            "created_at": NOW, "reminders_sent": 0, "snapshot_ct": b"x" * 200,
        })  # fmt: skip
        for position in range(1, 5):
            lines.append({
                "id": new_id(), "invoice_id": iid, "position": position, "description": "line",
                "kind": "telecom", "quantity": 1, "net_paisa": 1, "sales_tax_row": "r",
                "sales_tax_rate": "0.195", "sales_tax_paisa": 0, "advance_tax_row": None,
                "advance_tax_rate": "0", "advance_tax_base": "gross", "advance_tax_base_paisa": 0,
                "advance_tax_paisa": 0, "total_paisa": 1,
            })  # fmt: skip
    began = time.perf_counter()
    with runtime.engine.begin() as conn:
        for start in range(0, len(rows), 2_000):
            conn.execute(insert(Invoice.__table__), rows[start : start + 2_000])
        for start in range(0, len(lines), 8_000):
            conn.execute(insert(InvoiceLine.__table__), lines[start : start + 8_000])
    return time.perf_counter() - began


def bench_run(runtime: Runtime, services: int) -> None:
    customers = services // len(PLANS)
    t0 = time.perf_counter()
    setup(runtime, customers)
    print(
        f"setup: {customers:,} customers, {customers * len(PLANS):,} services in {time.perf_counter() - t0:.1f} s"
    )
    load = os.getloadavg()[0]
    began, cpu = time.perf_counter(), time.process_time()
    report = run_billing(runtime, "2025-08")
    run, cpu = time.perf_counter() - began, time.process_time() - cpu
    assert report.issued == customers, report
    base = baseline_inserts(runtime, customers)
    print(
        f"billing run: {customers * len(PLANS):,} services, {report.issued:,} invoices in {run:.1f} s "
        f"({customers * len(PLANS) / run:,.0f} services/s; {cpu:.1f} s of CPU, load average "
        f"{load:.1f} at the start); baseline Core insert of the same rows {base:.2f} s; ratio "
        f"{run / base:.1f}x; goal < 60 s: {'met' if run < 60 else 'NOT met'}"
    )
    began = time.perf_counter()
    chain = verify_chain(runtime.engine, AuditSigner(runtime.vault).verify)
    assert chain.intact, chain
    print(
        f"audit verify after the run: intact, {chain.events:,} events, {chain.checkpoints:,} "
        f"signed checkpoints, {time.perf_counter() - began:.1f} s"
    )


def _document(lines: int) -> InvoiceDocument:
    return InvoiceDocument(
        provider="Nayatel", provider_ntn="1234567-8", number="INV-2025-26-000001", kind="invoice",
        issue_date="2025-09-01", due_date="2025-09-15", period="2025-08",
        customer=Party("Canary Testname", None, ("House 1, Street 2", "Islamabad"), "*****-***4567-*"),
        lines=tuple(DocumentLine(f"Line {i}", 1, 500_000, "19.5%", 97_500, "15%", 89_625, 687_125) for i in range(lines)),
        tax_lines=(TaxLine("Sales tax (st-ict-telecom)", "19.5%", 500_000, 97_500),),
        net_paisa=500_000, sales_tax_paisa=97_500, advance_tax_paisa=89_625, total_paisa=687_125,
        payment_reference="12500000017", rounding="Half up to the paisa, per line.",
    )  # fmt: skip


def bench_pdfs(n: int) -> None:
    document = _document(4)
    began = time.perf_counter()
    for _ in range(n):
        render_invoice(document)
    ours = (time.perf_counter() - began) / n

    def plain() -> bytes:
        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        pdf.cell(0, 6, "INV-2025-26-000001")
        return bytes(pdf.output())

    began = time.perf_counter()
    for _ in range(n):
        plain()
    base = (time.perf_counter() - began) / n
    print(
        f"invoice PDFs: {1 / ours:,.0f}/s ({ours * 1000:.2f} ms each); one-line fpdf2 page {1 / base:,.0f}/s; ratio {ours / base:.1f}x"
    )


def bench_webhooks(runtime: Runtime, n: int) -> None:
    set_billing_context(runtime, BillingContext(load_tax_table(),
                        HttpProcessor("http://127.0.0.1:9", "sk_bench", SECRET), RecordingProvisioner()))  # fmt: skip
    with runtime.uow() as uow:
        invoices = uow.session.scalars(
            select(Invoice)
            .where(Invoice.kind == "invoice", Invoice.fiscal_year != "2099-00")
            .limit(n)
        ).all()
        for invoice in invoices:
            uow.session.add(Payment(id=new_id(), customer_id=invoice.customer_id, invoice_id=invoice.id, method="card",
                                    status="initiated", amount_paisa=invoice.balance_paisa, refunded_paisa=0,
                                    processor_session=f"cs_{invoice.id}", created_at=NOW))  # fmt: skip
        bodies = [
            json.dumps({"id": f"evt_{i.id}", "type": "payment.succeeded", "created": 0, "data": {
                "session": f"cs_{i.id}", "payment": f"pay_{i.id}", "reference": i.id, "amount": i.balance_paisa,
                "currency": "PKR", "card": {"token": f"tok_{i.id}", "brand": "visa", "last4": "4242",
                                            "exp_month": 12, "exp_year": 2030}}}).encode()
            for i in invoices
        ]  # fmt: skip
        uow.commit()
    count = len(bodies)
    stamp = int(runtime.clock.now().timestamp())
    signed = []
    for body in bodies:
        mac = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        signed.append(({"psp-signature": f"t={stamp},v1={mac}"}, body))
    began = time.perf_counter()
    for headers, body in signed:
        with runtime.uow() as uow:
            assert handle_webhook(uow, runtime, headers, body, "127.0.0.1") == "applied"
            uow.commit()
    ours = (time.perf_counter() - began) / count
    began = time.perf_counter()
    for headers, body in signed:
        t, v1 = (p.split("=", 1)[1] for p in headers["psp-signature"].split(","))
        expected = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(expected, v1)
        json.loads(body)
    base = (time.perf_counter() - began) / count
    print(
        f"webhooks: {1 / ours:,.0f}/s ({ours * 1000:.2f} ms each, committed); bare HMAC check + JSON parse {1 / base:,.0f}/s; ratio {ours / base:,.0f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--pdfs", type=int, default=500)
    parser.add_argument("--webhooks", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amanat-bench-billing-") as tmp:
        os.environ.pop("AMANAT_DATABASE_URL", None)
        settings = Settings(environment="test", data_dir=Path(tmp) / "data")
        clock = FixedClock(NOW)
        runtime = build_runtime(settings, clock=clock)
        initialise(runtime)
        print(f"SQLite in {settings.data_dir} (WAL, synchronous=NORMAL)")
        bench_run(runtime, args.services)
        bench_pdfs(args.pdfs)
        clock.advance(timedelta(seconds=0))
        bench_webhooks(runtime, args.webhooks)
        runtime.close()


if __name__ == "__main__":
    main()
