"""The ledger after issue: tax profiles, credit notes, officer payments, statements,
reconciliation, refunds, overdue handling and the s.165 statement, on both databases."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from amanat.access.guard import AccessDenied
from amanat.billing import catalogue, invoicing, orders, payments, reconciliation, taxprofile
from amanat.billing.catalogue import DEMO_CATALOGUE
from amanat.billing.models import Invoice, Service
from amanat.billing.overdue import run_overdue
from amanat.billing.run import run_billing
from amanat.billing.statement import withholding_statement
from amanat.cli import app as amanat_cli
from amanat.comms.models import OutboxMessage
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.core.actor import Actor
from amanat.core.clock import FixedClock
from amanat.core.errors import Invalid, NotFound
from amanat.runtime import Runtime
from tests.factories.accounts import create_customer, create_staff
from tests.factories.disclosure import Legal, approve_twice

START = datetime(2025, 8, 10, 7, 0, tzinfo=UTC)


@pytest.fixture
def billed(settings: Settings) -> Iterator[tuple[Runtime, FixedClock, str, str]]:
    """A customer with a fibre line ordered 10 August and billed for August on 2 September."""
    from amanat.install import initialise

    clock = FixedClock(START)
    runtime = build_runtime(settings, clock=clock)
    initialise(runtime)
    with runtime.uow() as uow:
        catalogue.ensure_plans(uow, runtime, DEMO_CATALOGUE)
        uow.commit()
    customer = create_customer(runtime)
    with runtime.uow() as uow:
        orders.place_order(uow, runtime, Actor.customer(customer), customer, "fibre-50", 1)
        uow.commit()
    clock.advance(timedelta(days=23))
    run_billing(runtime, "2025-08")
    with runtime.uow() as uow:
        (invoice,) = invoicing.list_invoices(uow, customer)
        number = invoice.number
    try:
        yield runtime, clock, customer, number
    finally:
        runtime.close()


def _invoice(runtime: Runtime, number: str) -> Invoice:
    with runtime.uow() as uow:
        invoice = invoicing.find_invoice(uow, number)
        uow.session.expunge(invoice)  # a detached snapshot that outlives the rollback
        return invoice


def test_itgo_listing_applies_75_percent_and_an_expired_exemption_does_not_exempt(
    billed: tuple[Runtime, FixedClock, str, str],
) -> None:
    runtime, clock, customer, number = billed
    officer = create_staff(runtime, "billing_officer")
    with runtime.uow() as uow:
        taxprofile.update_profile(
            uow, runtime, officer.actor, customer,
            {"itgo_listed": True, "itgo_checked_on": "2025-09-01"}, reference=number,
        )  # fmt: skip
        uow.commit()
    with runtime.uow() as uow, pytest.raises(Invalid, match="fields"):
        taxprofile.update_profile(
            uow, runtime, officer.actor, customer, {"filer_status": "maybe"}, reference=number
        )
    with runtime.uow() as uow, pytest.raises(AccessDenied):
        taxprofile.update_profile(
            uow, runtime, officer.actor, customer, {"itgo_listed": False}
        )  # no reference
    clock.advance(timedelta(days=30))  # 2 October
    run_billing(runtime, "2025-09")
    with runtime.uow() as uow:
        september = next(i for i in invoicing.list_invoices(uow, customer) if i.period == "2025-09")
        (line,) = invoicing.invoice_lines(uow, september.id)
        uow.session.expunge(line)
    assert line.advance_tax_row == "ait-236-itgo"
    assert line.advance_tax_paisa == round((line.net_paisa + line.sales_tax_paisa) * 0.75)
    profile = taxprofile.TaxProfileData(
        exemption=taxprofile.Exemption(kind="certificate", certificate_number="EX-1", expires_on=date(2025, 9, 30), checked_on=date(2025, 9, 1))
    )  # fmt: skip
    assert taxprofile.status_on(profile, date(2025, 9, 30)) == "exempt"
    assert taxprofile.status_on(profile, date(2025, 10, 1)) == "standard"


def test_credit_note_then_officer_payment_settles_and_reconciliation_queues_the_rest(
    billed: tuple[Runtime, FixedClock, str, str],
) -> None:
    runtime, _, customer, number = billed
    officer = create_staff(runtime, "billing_officer")
    invoice = _invoice(runtime, number)
    with runtime.uow() as uow:
        note = invoicing.issue_credit_note(uow, runtime, officer.actor, invoice.id, {1: 100_000})
        uow.commit()
        assert note.number == "CN-2025-26-000001"
        assert note.total_paisa < 0
    with runtime.uow() as uow, pytest.raises(Invalid):
        invoicing.issue_credit_note(uow, runtime, officer.actor, invoice.id, {7: None})
    after = _invoice(runtime, number)
    assert after.balance_paisa == invoice.total_paisa + note.total_paisa
    rupees = f"{after.balance_paisa // 100}.{after.balance_paisa % 100:02d}"
    statement = (
        "date,amount,reference,transaction_id\n"
        f"2025-09-05,{rupees},{after.payment_reference},HBL-1\n"
        "2025-09-05,999.00,NOT-A-REFERENCE,HBL-2\n"
    )
    with runtime.uow() as uow:
        report = reconciliation.import_statement(uow, runtime, officer.actor, "bank", statement)
        uow.commit()
    assert (report.matched, report.queued) == (1, 1)
    assert _invoice(runtime, number).status == "paid"
    with runtime.uow() as uow:
        again = reconciliation.import_statement(uow, runtime, officer.actor, "bank", statement)
        uow.commit()
        (queued,) = reconciliation.queue(uow)
        queued_id = queued.id
    assert again.skipped == 2
    with runtime.uow() as uow, pytest.raises(Invalid, match="Line 2"):
        reconciliation.import_statement(
            uow,
            runtime,
            officer.actor,
            "bank",
            "date,amount,reference,transaction_id\nyesterday,1,x,y\n",
        )
    with runtime.uow() as uow, pytest.raises(Invalid, match="header"):
        reconciliation.import_statement(uow, runtime, officer.actor, "bank", "a,b\n1,2\n")
    with runtime.uow() as uow, pytest.raises(NotFound):
        reconciliation.resolve(uow, runtime, officer.actor, queued_id, "INV-1999-00-000001")
    history = []
    with runtime.uow() as uow:
        history = [(p.method, p.status) for p, _ in payments.payment_history(uow, customer)]
        (paid,) = [p for p, _ in payments.payment_history(uow, customer)]
        refund = payments.refund_payment(uow, runtime, officer.actor, paid.id, 50_000)
        uow.commit()
    assert history == [("bank_transfer", "succeeded")]
    assert refund.status == "succeeded"
    assert _invoice(runtime, number).status == "issued"  # money went back: balance due again


def test_overdue_reminds_then_suspends_and_payment_reactivates(
    billed: tuple[Runtime, FixedClock, str, str],
) -> None:
    runtime, clock, customer, number = billed
    clock.advance(timedelta(days=14 + 1))  # a day past due
    with runtime.uow() as uow:
        first = run_overdue(uow, runtime)
        uow.commit()
    with runtime.uow() as uow:
        same_day = run_overdue(uow, runtime)
        uow.commit()
    assert (first.reminded, first.suspended, same_day.reminded) == (1, 0, 0)
    clock.advance(timedelta(days=21))
    with runtime.uow() as uow:
        late = run_overdue(uow, runtime)
        uow.commit()
        status = uow.session.scalar(select(Service.status).where(Service.customer_id == customer))
        reminders = uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "invoice_reminder")
        ).all()
    assert (late.reminded, late.suspended, status) == (1, 1, "suspended")
    assert len(reminders) == 2
    officer = create_staff(runtime, "billing_officer")
    invoice = _invoice(runtime, number)
    with runtime.uow() as uow:
        payments.record_payment(
            uow, runtime, officer.actor, number, "cash", invoice.total_paisa, "receipt 12"
        )
        uow.commit()
        assert (
            uow.session.scalar(select(Service.status).where(Service.customer_id == customer))
            == "active"
        )


def test_s165_statement_needs_legal_obligation_and_lists_the_collected_tax(
    billed: tuple[Runtime, FixedClock, str, str], settings: Settings
) -> None:
    runtime, _, customer, number = billed
    officer = create_staff(runtime, "billing_officer")
    dpo = create_staff(runtime, "data_protection_officer")
    invoice = _invoice(runtime, number)
    with runtime.uow() as uow:
        payments.record_payment(
            uow, runtime, officer.actor, number, "bank_transfer", invoice.total_paisa, "HBL-9"
        )
        uow.commit()
    with runtime.uow() as uow, pytest.raises(AccessDenied):
        withholding_statement(uow, runtime, officer.actor, "2025-Q3")
    # The first run registers the quarter's filing with FBR in the disclosure register and
    # gives nothing out; it is made once two approvers (not its registrar) approved it.
    with runtime.uow() as uow:
        first = withholding_statement(uow, runtime, dpo.actor, "2025-Q3")
        uow.commit()
    assert (first.csv, first.package, first.filing.status) == (None, None, "registered")
    assert first.filing.registered_now
    team = Legal(
        dpo, create_staff(runtime, "legal"), create_staff(runtime, "data_protection_officer")
    )
    approve_twice(runtime, team, first.filing.number)
    with runtime.uow() as uow:
        made = withholding_statement(uow, runtime, dpo.actor, "2025-Q3")
        uow.commit()
    assert made.filing.number == first.filing.number and made.csv is not None
    assert made.package is not None and made.package.customers == 1
    rows = list(csv.DictReader(io.StringIO(made.csv)))
    assert len(rows) == 1
    assert rows[0]["name"] == "Canary Testname"
    assert rows[0]["cnic"].count("-") == 2 and "*" not in rows[0]["cnic"]
    tax = invoice.advance_tax_paisa
    assert rows[0]["tax_collected_rupees"] == f"{tax // 100}.{tax % 100:02d}"
    # The CLI runs on the real clock: the officer's training must be current today.
    from amanat.access.training import record_training
    from amanat.core.clock import SystemClock

    with runtime.uow() as uow:
        record_training(uow, SystemClock(), Actor.system("tests"), dpo.id, datetime.now(UTC).date())
        uow.commit()
    env = {"AMANAT_DATA_DIR": str(settings.data_dir), "AMANAT_ENVIRONMENT": "test"}
    if settings.database_url:
        env["AMANAT_DATABASE_URL"] = settings.database_url
    package = settings.data_dir.parent / "s165.zip"
    args = ["billing", "statement", "--quarter", "2025-Q3", "--staff", dpo.email,
            "--package", str(package)]  # fmt: skip
    # Filed already: making it again is another disclosure, registered and approved anew.
    waiting = CliRunner().invoke(amanat_cli, args, env=env)
    assert waiting.exit_code == 3, waiting.output
    assert "approvers have approved it" in waiting.output
    assert not package.exists()
    with runtime.uow() as uow:
        again = withholding_statement(uow, runtime, dpo.actor, "2025-Q3").filing
        uow.commit()
    assert again.number != first.filing.number and not again.registered_now
    approve_twice(runtime, team, again.number)
    result = CliRunner().invoke(amanat_cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert "Canary Testname" in result.output and package.stat().st_mode & 0o777 == 0o600
    verified = CliRunner().invoke(amanat_cli, ["disclosure", "verify", str(package)], env=env)
    assert verified.exit_code == 0 and "intact" in verified.output, verified.output
    bad = CliRunner().invoke(
        amanat_cli, ["billing", "statement", "--quarter", "2025-Q9", "--staff", dpo.email], env=env
    )
    assert bad.exit_code == 2 and "YYYY-Qn" in bad.output
    del customer
