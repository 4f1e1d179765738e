"""The catalogue of plans (PKR, monthly, some metered) and the demo's plausible one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.billing.models import Plan
from amanat.core.actor import Actor
from amanat.core.errors import NotFound
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime


@dataclass(frozen=True)
class PlanSpec:
    code: str
    name: str
    category: str
    kind: str
    monthly_paisa: int
    one_time_paisa: int = 0
    metered: bool = False
    unit: str | None = None
    unit_paisa: int = 0
    included_units: int = 0
    max_quantity: int = 100


# Prices in paisa (Rs 1 = 100 paisa), before tax; plausible for Pakistan in 2025.
DEMO_CATALOGUE: tuple[PlanSpec, ...] = (
    PlanSpec("fibre-25", "Fibre internet 25 Mbps", "internet", "telecom", 350_000, max_quantity=5),
    PlanSpec("fibre-50", "Fibre internet 50 Mbps", "internet", "telecom", 500_000, max_quantity=5),
    PlanSpec("fibre-100", "Fibre internet 100 Mbps", "internet", "telecom", 800_000, max_quantity=5),
    PlanSpec("bandwidth-dedicated-10", "Dedicated bandwidth 10 Mbps (per Mbps above 10: metered)",
             "bandwidth", "telecom", 2_500_000, metered=True, unit="Mbps", unit_paisa=180_000,
             included_units=10, max_quantity=10),
    PlanSpec("vm-small", "Cloud server S (1 vCPU, 2 GB)", "cloud_server", "it_services", 250_000),
    PlanSpec("vm-medium", "Cloud server M (2 vCPU, 4 GB)", "cloud_server", "it_services", 480_000),
    PlanSpec("vm-large", "Cloud server L (4 vCPU, 16 GB)", "cloud_server", "it_services", 1_450_000),
    PlanSpec("storage-object", "Object storage (first 100 GB included, then per GB)", "storage",
             "it_services", 90_000, metered=True, unit="GB", unit_paisa=900, included_units=100),
    PlanSpec("backup-daily", "Daily backup (per 100 GB)", "backup", "it_services", 120_000),
    PlanSpec("router-ont", "Fibre router (ONT), one-time", "equipment", "equipment", 0,
             one_time_paisa=950_000, max_quantity=3),
)  # fmt: skip


def ensure_plans(uow: UnitOfWork, runtime: Runtime, specs: tuple[PlanSpec, ...]) -> int:
    """Add the plans whose code is not in the catalogue yet (idempotent); returns how many.

    Callers: `amanat demo` and operators' seeding. Records billing.plan_created per plan.
    """
    existing = set(uow.session.scalars(select(Plan.code)))
    added = 0
    for spec in specs:
        if spec.code in existing:
            continue
        plan = Plan(**spec.__dict__, active=True)
        uow.session.add(plan)
        uow.session.flush()
        audit.record(
            uow, runtime.clock, Event.BILLING_PLAN_CREATED, Actor.system("catalogue"),
            details={"plan": plan.id, "code": spec.code},
        )  # fmt: skip
        added += 1
    return added


def list_plans(uow: UnitOfWork) -> list[Plan]:
    """Active plans, cheapest first within each category. Anyone may call it."""
    return list(
        uow.session.scalars(
            select(Plan).where(Plan.active.is_(True)).order_by(Plan.category, Plan.monthly_paisa)
        )
    )


def plan_by_code(uow: UnitOfWork, code: str) -> Plan:
    plan = uow.session.scalar(select(Plan).where(Plan.code == code, Plan.active.is_(True)))
    if plan is None:
        raise NotFound(f"There is no plan '{code[:40]}'; see GET /api/v1/plans for the catalogue.")
    return plan
