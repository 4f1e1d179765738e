"""Legal hold versus crypto-shredding (issue 7, s.174): an erased customer's invoices and
certificates stay readable under their hold key until the hold ends, then go too."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from amanat.audit.models import AuditEvent
from amanat.billing import catalogue, certificates, invoicing, orders, payments
from amanat.billing.catalogue import DEMO_CATALOGUE
from amanat.billing.models import Certificate, Invoice
from amanat.billing.run import run_billing
from amanat.billing.statement import withholding_statement
from amanat.cli import app as amanat_cli
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.core.actor import Actor
from amanat.core.clock import FixedClock
from amanat.customers import service as customers
from amanat.customers.models import Customer
from amanat.governance.service import replay_erasures, rotate_customer_keys
from amanat.retention.service import expire_legal_holds
from amanat.runtime import Runtime
from amanat.vault import keystore_jobs
from amanat.vault.api import KeyDestroyed
from amanat.vault.holds import hold_owner
from amanat.vault.models import ErasureLedger
from tests.factories.accounts import StaffHandle, create_customer, create_staff
from tests.factories.disclosure import Legal, approve_twice, approved_request

START = datetime(2025, 8, 10, 7, 0, tzinfo=UTC)
# The invoice is issued on 2 September 2025 (tax year 2025-26, ending 30 June 2026):
# s.174 keeps it six years after that, until 1 July 2032.
HOLD_ENDS = datetime(2032, 7, 1, tzinfo=UTC)
BILLING = Actor.system("billing")
TAX = Actor.system("tax_certificates")


@dataclass
class Held:
    runtime: Runtime
    clock: FixedClock
    customer: str
    invoice: Invoice
    certificate: Certificate
    dpo: StaffHandle
    # What a database backup taken before the erasure holds of the customer's row.
    kept: dict[str, bytes]


@pytest.fixture
def held(settings: Settings) -> Iterator[Held]:
    """A customer billed for August 2025, paid, with their 2025-26 advance tax certificate."""
    from amanat.install import initialise

    clock = FixedClock(START)
    runtime = build_runtime(settings, clock=clock)
    initialise(runtime)
    try:
        with runtime.uow() as uow:
            catalogue.ensure_plans(uow, runtime, DEMO_CATALOGUE)
            uow.commit()
        customer = create_customer(runtime, cnic="35202-1234567-1")
        officer = create_staff(runtime, "billing_officer")
        dpo = create_staff(runtime, "data_protection_officer")
        with runtime.uow() as uow:
            orders.place_order(uow, runtime, Actor.customer(customer), customer, "fibre-50", 1)
            uow.commit()
        clock.advance(timedelta(days=23))
        run_billing(runtime, "2025-08")
        with runtime.uow() as uow:
            (invoice,) = invoicing.list_invoices(uow, customer)
            payments.record_payment(
                uow, runtime, officer.actor, invoice.number, "bank_transfer",
                invoice.total_paisa, "HBL-7",
            )  # fmt: skip
            uow.commit()
        with runtime.uow() as uow:
            cert = certificates.request_certificate(
                uow, runtime, Actor.customer(customer), customer, "2025-26"
            )
            uow.commit()
        with runtime.uow() as uow:
            row = uow.session.get(Customer, customer)
            assert row is not None
            kept = {c: bytes(getattr(row, c)) for c in ("name_ct", "cnic_ct", "phone_ct")}
            invoice = uow.session.get_one(Invoice, invoice.id)
            cert = uow.session.get_one(Certificate, cert.id)
            uow.session.expunge_all()
        yield Held(runtime, clock, customer, invoice, cert, dpo, kept)
    finally:
        runtime.close()


def _erase(h: Held) -> None:
    with h.runtime.uow() as uow:
        customers.erase_customer(uow, h.runtime, h.dpo.actor, h.customer)
        uow.commit()
    h.runtime.vault.clear_cache()  # read as a fresh process would, from the key store


def _snapshot(
    h: Held, actor: Actor, purpose: str, reference: str | None = None
) -> dict[str, object]:
    with h.runtime.uow() as uow:
        access = h.runtime.guard.open(
            uow, actor, h.customer, purpose, reads={"billing.record"}, reference=reference
        )
        raw = access.read(
            "billing_invoices", "snapshot_ct", h.invoice.id, "billing.record",
            h.invoice.snapshot_ct,
        )  # fmt: skip
        uow.commit()
    assert raw is not None
    return dict(json.loads(raw))


def _certificate_pdf(h: Held) -> bytes:
    with h.runtime.uow() as uow:
        _, pdf = certificates.certificate_pdf(uow, h.runtime, TAX, h.certificate.id)
        uow.commit()
    return pdf


def _verify(h: Held) -> dict[str, object]:
    with h.runtime.uow() as uow:
        answer = certificates.verify(
            uow, h.runtime, h.certificate.verification_code, "203.0.113.0/24",
            {"tax": str(h.certificate.advance_tax_paisa)},
        )  # fmt: skip
        uow.commit()
    return answer


def _read_customer_field(h: Held, column: str, category: str, request: str) -> str | None:
    with h.runtime.uow() as uow:
        access = h.runtime.guard.open(
            uow, h.dpo.actor, h.customer, "legal_obligation", reads={category}, reference=request
        )
        return access.read("customers", column, h.customer, category, h.kept[column])


def _backup(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def test_held_records_use_a_second_key_that_erasure_spares_until_the_hold_ends(
    held: Held,
) -> None:
    h, vault = held, held.runtime.vault
    store = vault.keystore
    # The vault chose the key from the policy: snapshot and certificate under the hold key.
    hold_key = vault.key_id_of(h.invoice.snapshot_ct)
    assert hold_key is not None and hold_key == vault.key_id_of(h.certificate.document_ct)
    assert hold_key != vault.key_id_of(h.kept["name_ct"])
    owner_row = store.key_by_id(hold_key)
    assert owner_row is not None and owner_row.customer_id == hold_owner(h.customer)

    # A live account's hold key is never touched by the retention job.
    before = expire_legal_holds(h.runtime)
    assert (before.expired, before.still_held, before.live_accounts) == (0, 0, 1)

    _erase(h)
    # The legal obligation reads under an approved disclosure request naming the customer.
    team, request = approved_request(
        h.runtime, [h.customer], period=(date(2025, 7, 1), date(2025, 9, 30)),
        categories=("identity.name", "identity.cnic", "contact.phone", "billing.record"),
    )  # fmt: skip
    # Ordinary fields: gone for good, backups of the database included.
    for column, category in (("name_ct", "identity.name"), ("cnic_ct", "identity.cnic"),
                             ("phone_ct", "contact.phone")):  # fmt: skip
        with pytest.raises(KeyDestroyed):
            _read_customer_field(h, column, category, request)
    # Held records: readable for billing, tax certificates and the legal obligation.
    assert _snapshot(h, BILLING, "billing")["name"] == "Canary Testname"
    assert _snapshot(h, h.dpo.actor, "legal_obligation", request)["cnic"] == "3520212345671"
    assert _certificate_pdf(h).startswith(b"%PDF")
    answer = _verify(h)
    assert answer["genuine"] is True and answer["initials"] == "C. T."
    # The s.165 statement is a filing in the disclosure register: made once approved.
    with h.runtime.uow() as uow:
        filing = withholding_statement(uow, h.runtime, h.dpo.actor, "2025-Q3").filing
        uow.commit()
    approve_twice(h.runtime, Legal(h.dpo, team.first, team.second), filing.number)
    with h.runtime.uow() as uow:
        text = withholding_statement(uow, h.runtime, h.dpo.actor, "2025-Q3").csv
        uow.commit()
    assert text is not None
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["name"] == "Canary Testname" and row["cnic"] == "35202-1234567-1"
    assert row["address"]  # from the invoice's snapshot, not the cleared customer row

    # The job on the day before the hold ends keeps it, and says until when.
    h.clock.advance(HOLD_ENDS - timedelta(seconds=1) - h.clock.now())
    waiting = expire_legal_holds(h.runtime)
    assert (waiting.expired, waiting.still_held, waiting.next_expiry) == (0, 1, HOLD_ENDS)
    assert _snapshot(h, BILLING, "billing")["name"] == "Canary Testname"

    key_store = h.runtime.settings.resolved_key_dir / "keystore.db"
    _backup(key_store, key_store.with_suffix(".before-expiry"))
    h.clock.advance(timedelta(seconds=1))
    done = expire_legal_holds(h.runtime)
    assert (done.expired, done.expired_ids) == (1, [h.customer])
    vault.clear_cache()
    with pytest.raises(KeyDestroyed):
        _snapshot(h, BILLING, "billing")
    with pytest.raises(KeyDestroyed):
        _certificate_pdf(h)
    assert hold_owner(h.customer) in store.ledger()
    with h.runtime.uow() as uow:
        assert uow.session.get(ErasureLedger, hold_owner(h.customer)) is not None
        details = uow.session.scalars(
            select(AuditEvent.details).where(AuditEvent.code == "vault.legal_hold_expired")
        ).all()
    assert [json.loads(d) for d in details] == [{"hold_ended": "2032-07-01"}]
    assert expire_legal_holds(h.runtime).expired == 0  # idempotent

    # Restoring the key store from before the expiry brings the hold key back; the
    # replay of the erasure ledger (part of `amanat init`) destroys it again.
    vault.close()
    _backup(key_store.with_suffix(".before-expiry"), key_store)
    vault.clear_cache()
    assert _snapshot(h, BILLING, "billing")["name"] == "Canary Testname"
    report = replay_erasures(h.runtime)
    assert report.keys_destroyed_again == [hold_owner(h.customer)]
    vault.clear_cache()
    with pytest.raises(KeyDestroyed):
        _snapshot(h, BILLING, "billing")
    with pytest.raises(KeyDestroyed):  # and the customer's own key stayed destroyed
        vault.decrypt(h.customer, "customers", "name_ct", h.customer, h.kept["name_ct"])


def test_customer_key_rotation_renews_both_keys_and_the_cli_reports_holds(
    held: Held, settings: Settings
) -> None:
    h, vault = held, held.runtime.vault
    old_hold = vault.key_id_of(h.invoice.snapshot_ct)
    old_own = vault.key_id_of(h.kept["name_ct"])
    rotate_customer_keys(h.runtime, wait=False)
    with h.runtime.uow() as uow:
        invoice = uow.session.get_one(Invoice, h.invoice.id)
        name_ct = uow.session.get_one(Customer, h.customer).name_ct
        uow.session.expunge_all()
    assert name_ct is not None
    new_hold, new_own = vault.key_id_of(invoice.snapshot_ct), vault.key_id_of(name_ct)
    assert new_hold not in (None, old_hold) and new_own not in (None, old_own, new_hold)
    row = vault.keystore.key_by_id(new_hold or 0)
    assert row is not None and (row.customer_id, row.generation) == (hold_owner(h.customer), 2)
    h.invoice = invoice
    assert _snapshot(h, BILLING, "billing")["name"] == "Canary Testname"

    # Once no key cache can still hold the old keys, the job deletes them and ends.
    h.clock.advance(timedelta(minutes=2))
    finished = rotate_customer_keys(h.runtime)
    assert keystore_jobs.job(vault.keystore, "customer-keys") is None
    assert finished.keys_deleted >= 2  # the staff members' old keys went too
    assert vault.keystore.key_by_id(old_hold or 0) is None
    assert vault.keystore.key_by_id(old_own or 0) is None

    _erase(h)
    # After erasure, a rotation still renews the hold key (never the destroyed one).
    h.clock.advance(timedelta(minutes=2))
    rotate_customer_keys(h.runtime, wait=False)
    with h.runtime.uow() as uow:
        h.invoice = uow.session.get_one(Invoice, h.invoice.id)
        uow.session.expunge_all()
    vault.clear_cache()
    assert vault.key_id_of(h.invoice.snapshot_ct) not in (old_hold, new_hold)
    assert _snapshot(h, BILLING, "billing")["name"] == "Canary Testname"
    assert [k.customer_id for k in vault.keystore.keys_of(h.customer)] == []

    # `amanat retention run` on today's clock: the hold (until 2032) stands.
    env = {"AMANAT_DATA_DIR": str(settings.data_dir), "AMANAT_ENVIRONMENT": "test"}
    if settings.database_url:
        env["AMANAT_DATABASE_URL"] = settings.database_url
    result = CliRunner().invoke(amanat_cli, ["retention", "run"], env=env)
    assert result.exit_code == 0, result.output
    assert "0 legal hold(s) expired" in result.output
    assert "1 erased customer(s) still under a hold (the next ends 2032-07-01)" in result.output
