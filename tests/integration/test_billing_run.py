"""Orders, services and the billing run on SQLite and PostgreSQL: idempotent, race-safe."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from amanat.audit.models import AuditEvent
from amanat.billing import catalogue, orders
from amanat.billing.catalogue import DEMO_CATALOGUE
from amanat.billing.invoicing import invoice_lines, list_invoices
from amanat.billing.models import DocumentCounter, Invoice, ProvisioningAction
from amanat.billing.run import run_billing
from amanat.comms.models import OutboxMessage
from amanat.composition import build_runtime
from amanat.config import AuditSettings, Settings
from amanat.core.actor import Actor
from amanat.core.clock import FixedClock
from amanat.core.errors import Forbidden, Invalid
from amanat.runtime import Runtime
from tests.factories.accounts import create_customer

ORDER_DAY = datetime(2025, 8, 10, 7, 0, tzinfo=UTC)


@pytest.fixture
def clocked(settings: Settings) -> Iterator[tuple[Runtime, FixedClock]]:
    """An initialised installation whose clock the test moves; the catalogue loaded."""
    from amanat.install import initialise

    clock = FixedClock(ORDER_DAY)
    runtime = build_runtime(settings, clock=clock)
    initialise(runtime)
    with runtime.uow() as uow:
        catalogue.ensure_plans(uow, runtime, DEMO_CATALOGUE)
        uow.commit()
    try:
        yield runtime, clock
    finally:
        runtime.close()


def order(runtime: Runtime, customer_id: str, plan: str, quantity: int = 1) -> str:
    with runtime.uow() as uow:
        placed = orders.place_order(
            uow, runtime, Actor.customer(customer_id), customer_id, plan, quantity
        )
        uow.commit()
        return placed.service.id


def test_order_provisions_and_the_run_bills_prorated_with_taxes(
    clocked: tuple[Runtime, FixedClock],
) -> None:
    runtime, clock = clocked
    customer = create_customer(runtime)
    order(runtime, customer, "fibre-50")
    order(runtime, customer, "vm-small", 2)
    order(runtime, customer, "router-ont")
    with runtime.uow() as uow:
        actions = uow.session.scalars(select(ProvisioningAction.action)).all()
        assert sorted(actions) == ["create", "create", "create"]
    clock.advance(timedelta(days=23))  # 2 September
    report = run_billing(runtime, "2025-08")
    assert (report.customers, report.issued) == (1, 1)
    with runtime.uow() as uow:
        (invoice,) = list_invoices(uow, customer)
        by_kind = {line.kind: line for line in invoice_lines(uow, invoice.id)}
        lines = [by_kind["telecom"], by_kind["it_services"], by_kind["equipment"]]
        assert invoice.number == "INV-2025-26-000001"
        assert invoice.fiscal_year == "2025-26"
        # 22 of 31 days of Rs 5,000 (fibre) and of 2 × Rs 2,500 (servers); router once.
        nets = [line.net_paisa for line in lines]
        assert nets == [354_839, 354_839, 950_000]
        assert [line.sales_tax_row for line in lines] == [
            "st-ict-telecom",
            "st-ict-it",
            "st-equipment-18",
        ]
        assert lines[0].sales_tax_paisa == 69_194  # 19.5 % of 354,839 = 69,193.6
        assert lines[0].advance_tax_paisa == 63_605  # 15 % of 424,033 = 63,604.95
        assert lines[1].advance_tax_paisa == 0  # s.236 is on internet bills only
        assert invoice.total_paisa == sum(line.total_paisa for line in lines)
        assert invoice.payment_reference.isdigit()
        mails = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invoice"))
        assert len(list(mails)) == 1
        # The snapshot is ciphertext: the customer's name is not in it.
        assert b"Canary" not in invoice.snapshot_ct
        codes = set(uow.session.scalars(select(AuditEvent.code)))
        assert {"billing.order_placed", "billing.invoice_issued", "billing.run_completed"} <= codes
    again = run_billing(runtime, "2025-08")
    assert (again.issued, again.already_billed) == (0, 1)


def test_next_month_bills_the_whole_month_and_the_router_only_once(
    clocked: tuple[Runtime, FixedClock],
) -> None:
    runtime, clock = clocked
    customer = create_customer(runtime)
    order(runtime, customer, "router-ont")
    service = order(runtime, customer, "fibre-25")
    clock.advance(timedelta(days=40))  # 19 September
    run_billing(runtime, "2025-08")
    with runtime.uow() as uow:
        orders.terminate_service(uow, runtime, Actor.customer(customer), service, customer)
        uow.commit()
    clock.advance(timedelta(days=20))  # 9 October: September has ended
    run_billing(runtime, "2025-09")
    with runtime.uow() as uow:
        september = next(i for i in list_invoices(uow, customer) if i.period == "2025-09")
        lines = invoice_lines(uow, september.id)
        # Fibre ended on 19 September: 19 of 30 days of Rs 3,500. No router line again.
        assert [line.net_paisa for line in lines] == [221_667]
        assert september.number == "INV-2025-26-000002"


def test_orders_are_refused_clearly(clocked: tuple[Runtime, FixedClock]) -> None:
    runtime, _ = clocked
    unverified = create_customer(runtime, verified=False)
    verified = create_customer(runtime)
    with runtime.uow() as uow:
        with pytest.raises(Forbidden, match="Verify your e-mail"):
            orders.place_order(uow, runtime, Actor.customer(unverified), unverified, "fibre-25", 1)
        with pytest.raises(Invalid, match="no plan"):
            orders.place_order(uow, runtime, Actor.customer(verified), verified, "gold-plan", 1)
        for quantity in (0, -1, 10**9):
            with pytest.raises(Invalid, match="between 1 and"):
                orders.place_order(
                    uow, runtime, Actor.customer(verified), verified, "fibre-25", quantity
                )
        with pytest.raises(Forbidden):
            orders.place_order(uow, runtime, Actor.customer(verified), unverified, "fibre-25", 1)
        with pytest.raises(Invalid, match="province"):
            orders.place_order(
                uow, runtime, Actor.customer(verified), verified, "fibre-25", 1,
                site={"line1": "1 Road", "city": "Nowhere", "province": "Atlantis"},
            )  # fmt: skip


def test_unfinished_or_malformed_periods_are_refused(clocked: tuple[Runtime, FixedClock]) -> None:
    runtime, _ = clocked
    with pytest.raises(Invalid, match="has not ended"):
        run_billing(runtime, "2025-08")
    with pytest.raises(Invalid, match="YYYY-MM"):
        run_billing(runtime, "August")


def test_concurrent_runs_bill_each_customer_once_with_gapless_numbers(
    clocked: tuple[Runtime, FixedClock],
) -> None:
    runtime, clock = clocked
    customers = [create_customer(runtime) for _ in range(6)]
    for customer in customers:
        order(runtime, customer, "fibre-25")
    clock.advance(timedelta(days=30))
    reports = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            reports.append(run_billing(runtime, "2025-08", batch_size=2, notify=False))
        except BaseException as exc:  # noqa: BLE001 -- surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.issued for r in reports) == 6
    with runtime.uow() as uow:
        numbers = sorted(uow.session.scalars(select(Invoice.number)))
        owners = list(uow.session.scalars(select(Invoice.customer_id)))
        last_invoice = uow.session.scalar(
            select(DocumentCounter.last_number).where(DocumentCounter.series == "INV")
        )
    assert numbers == [f"INV-2025-26-{n:06d}" for n in range(1, 7)]
    assert sorted(owners) == sorted(customers)
    # No losing run took a number it then rolled back: the next invoice is number 7.
    assert last_invoice == 6


def test_a_batched_run_audits_every_invoice_on_an_intact_chain(settings: Settings) -> None:
    """Per invoice: the billing access, the invoice, the mail's access and the mail, each
    one event, appended in batches (with signed checkpoints falling inside them)."""
    from amanat.audit.verify import verify_chain
    from amanat.install import initialise
    from amanat.vault.signing import AuditSigner

    clock = FixedClock(ORDER_DAY)
    runtime = build_runtime(
        settings.model_copy(update={"audit": AuditSettings(checkpoint_every=7)}), clock=clock
    )
    try:
        initialise(runtime)
        with runtime.uow() as uow:
            catalogue.ensure_plans(uow, runtime, DEMO_CATALOGUE)
            uow.commit()
        customers = [create_customer(runtime) for _ in range(5)]
        for customer in customers:
            order(runtime, customer, "fibre-25")
            order(runtime, customer, "router-ont")
        clock.advance(timedelta(days=30))
        report = run_billing(runtime, "2025-08", batch_size=2)
        assert report.issued == 5
        with runtime.uow() as uow:
            events = uow.session.execute(
                select(AuditEvent.code, AuditEvent.purpose, AuditEvent.customer_id).where(
                    AuditEvent.actor_id == "job:billing_run"
                )
            ).all()
            mails = uow.session.scalars(
                select(OutboxMessage.customer_id).where(OutboxMessage.kind == "invoice")
            ).all()
            invoices = uow.session.scalars(select(Invoice.id)).all()
        for customer in customers:
            mine = sorted((code, purpose) for code, purpose, who in events if who == customer)
            assert mine == [
                ("access.granted", "billing"),
                ("access.granted", "service_updates"),
                ("billing.invoice_issued", "billing"),
                ("comms.queued", "service_updates"),
            ]
        assert sorted(mails) == sorted(customers)
        assert len(invoices) == 5
        report_chain = verify_chain(runtime.engine, AuditSigner(runtime.vault).verify)
        assert report_chain.intact, report_chain
        assert report_chain.checkpoints >= report_chain.events // 7
        # The router's one-time charge was marked billed: September bills only fibre.
        clock.advance(timedelta(days=30))
        run_billing(runtime, "2025-09", batch_size=2, notify=False)
        with runtime.uow() as uow:
            september = [i for i in list_invoices(uow, customers[0]) if i.period == "2025-09"]
            kinds = [line.kind for line in invoice_lines(uow, september[0].id)]
        assert kinds == ["telecom"]
    finally:
        runtime.close()
