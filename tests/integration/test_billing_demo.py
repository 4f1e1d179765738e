"""The demo seeder: a catalogue, and the demo customer's services with last month's invoice."""

from __future__ import annotations

from sqlalchemy import func, select

from amanat.billing.models import Invoice, Plan, Service
from amanat.demo import seed_demo
from amanat.runtime import Runtime


def test_demo_billing_is_seeded_once(runtime: Runtime) -> None:
    lines = seed_demo(runtime)
    assert any("amanat dev psp" in line for line in lines)
    again = seed_demo(runtime)
    assert any("/billing" in line for line in again)
    with runtime.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Plan)) >= 10
        assert uow.session.scalar(select(func.count()).select_from(Service)) == 2
        totals = uow.session.scalars(select(Invoice.total_paisa)).all()
    assert len(totals) == 1
    assert totals[0] > 0
