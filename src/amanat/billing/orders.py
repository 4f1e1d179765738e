"""Orders and services (purpose ``provisioning``): order, activate, suspend, resume, end.

A customer orders for themselves; the order's installation address is written by
Amanat's provisioning job under the ``provisioning`` purpose (the customer's own role acts
only for ``self``, which does not write billing records). Orders need a verified e-mail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.billing import catalogue
from amanat.billing.common import document_number, get_customer, next_number, read_address
from amanat.billing.context import billing_context
from amanat.billing.fiscal import FiscalYear, business_date
from amanat.billing.models import Order, Plan, Service, UsageRecord
from amanat.billing.provisioner import ServiceSpec
from amanat.core.actor import Actor
from amanat.core.errors import Conflict, Forbidden, Invalid, NotFound
from amanat.db.base import new_id
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

T = "billing_services"
SITE_FIELDS = ("line1", "line2", "city", "province", "postal_code")


@dataclass(frozen=True)
class Placed:
    order: Order
    service: Service


def _site(
    runtime: Runtime, given: dict[str, Any] | None, account_address: dict[str, Any]
) -> dict[str, Any]:
    site = {k: v for k, v in (given or account_address).items() if k in SITE_FIELDS and v}
    jurisdictions = billing_context(runtime).tax_table.jurisdictions
    if site.get("province") not in jurisdictions:
        raise Invalid(
            "The installation address needs its province or territory.",
            fields={"site.province": f"Choose one of: {', '.join(jurisdictions)}."},
        )
    if not site.get("city") or not site.get("line1"):
        raise Invalid(
            "The installation address needs a street line and a city.",
            fields={"site": "Give line1 and city."},
        )
    return site


def place_order(
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    customer_id: str,
    plan_code: str,
    quantity: int,
    site: dict[str, Any] | None = None,
) -> Placed:
    """Order a plan and provision it at once (the default provisioner completes).

    Callers: the customer themselves (portal, API) or Amanat's jobs. The installation
    address defaults to the account's. Records billing.order_placed, then
    billing.service_activated. Raises Forbidden (not this customer, e-mail unverified
    while ``require_email_verification`` is on), Invalid (plan, quantity, address) and
    nothing is written when any check fails.
    """
    if actor.kind == "customer" and actor.id != customer_id:
        raise Forbidden("A customer may order only for their own account.")
    customer = get_customer(uow, customer_id)
    if not customer.is_active:
        raise Forbidden("This account is closed; it cannot order services.")
    if runtime.settings.require_email_verification and customer.email_verified_at is None:
        raise Forbidden(
            "Verify your e-mail address before ordering: open the link we sent you, or ask"
            " for a new one on your account page."
        )
    try:
        plan = catalogue.plan_by_code(uow, plan_code)
    except NotFound as exc:
        raise Invalid(
            exc.message, fields={"plan": "Choose a plan from GET /api/v1/plans."}
        ) from exc
    if not 1 <= quantity <= plan.max_quantity:
        raise Invalid(
            f"Order between 1 and {plan.max_quantity} of this plan.",
            fields={"quantity": f"Between 1 and {plan.max_quantity}."},
        )
    job = Actor.system("provisioning")
    fy = FiscalYear.of(business_date(runtime.clock.now()))
    access = runtime.guard.open(
        uow, job, customer_id, "provisioning", reads={"contact.address"}, writes={"billing.record"}
    )
    chosen = _site(runtime, site, read_address(access, customer))
    now = runtime.clock.now()
    order = Order(
        id=new_id(), number=document_number("ORD", fy, next_number(uow, "ORD", fy)),
        customer_id=customer_id, plan_id=plan.id, quantity=quantity, status="placed",
        created_at=now,
    )  # fmt: skip
    service = Service(
        id=new_id(), customer_id=customer_id, order_id=order.id, plan_id=plan.id,
        quantity=quantity, status="pending", created_at=now,
    )  # fmt: skip
    service.site_ct = access.write(T, "site_ct", service.id, "billing.record", json.dumps(chosen))
    order.service_id = service.id
    uow.session.add_all([order, service])
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.BILLING_ORDER_PLACED, actor, customer_id=customer_id,
        purpose="provisioning", reference=order.number,
        details={"order": order.id, "plan": plan.code, "quantity": quantity},
    )  # fmt: skip
    activate_service(uow, runtime, job, service.id)
    order.status = "provisioned"
    return Placed(order, service)


def _service(
    uow: UnitOfWork, service_id: str, customer_id: str | None = None
) -> tuple[Service, Plan]:
    service = uow.session.get(Service, service_id)
    if service is None or (customer_id is not None and service.customer_id != customer_id):
        raise NotFound("There is no such service.")
    plan = uow.session.get(Plan, service.plan_id)
    assert plan is not None
    return service, plan


def _spec(service: Service, plan: Plan) -> ServiceSpec:
    return ServiceSpec(service_id=service.id, plan_code=plan.code, quantity=service.quantity)


def activate_service(uow: UnitOfWork, runtime: Runtime, actor: Actor, service_id: str) -> Service:
    """Provision a pending service; billing starts today. Records billing.service_activated."""
    service, plan = _service(uow, service_id)
    if service.status != "pending":
        raise Conflict("Only a pending service can be activated.")
    billing_context(runtime).provisioner.create(uow, runtime.clock, _spec(service, plan))
    service.status = "active"
    service.starts_on = business_date(runtime.clock.now())
    audit.record(
        uow, runtime.clock, Event.BILLING_SERVICE_ACTIVATED, actor,
        customer_id=service.customer_id, purpose="provisioning", details={"service": service.id},
    )  # fmt: skip
    return service


def suspend_service(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, service_id: str, reason: str
) -> Service:
    """Suspend an active service (overdue job or billing officer). Records billing.service_suspended."""
    service, plan = _service(uow, service_id)
    if service.status != "active":
        raise Conflict("Only an active service can be suspended.")
    billing_context(runtime).provisioner.suspend(uow, runtime.clock, _spec(service, plan))
    service.status = "suspended"
    service.suspended_at = runtime.clock.now()
    audit.record(
        uow, runtime.clock, Event.BILLING_SERVICE_SUSPENDED, actor,
        customer_id=service.customer_id, details={"service": service.id, "reason": reason},
    )  # fmt: skip
    return service


def reactivate_service(uow: UnitOfWork, runtime: Runtime, actor: Actor, service_id: str) -> Service:
    """Resume a suspended service (on payment). Records billing.service_reactivated."""
    service, plan = _service(uow, service_id)
    if service.status != "suspended":
        raise Conflict("Only a suspended service can be reactivated.")
    billing_context(runtime).provisioner.resume(uow, runtime.clock, _spec(service, plan))
    service.status = "active"
    service.suspended_at = None
    audit.record(
        uow, runtime.clock, Event.BILLING_SERVICE_REACTIVATED, actor,
        customer_id=service.customer_id, details={"service": service.id},
    )  # fmt: skip
    return service


def terminate_service(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, service_id: str, customer_id: str | None = None
) -> Service:
    """End a service today; it is billed up to and including today, prorated.

    Callers: the customer (own services) or billing staff. Records
    billing.service_terminated. Raises NotFound, Conflict.
    """
    service, plan = _service(uow, service_id, customer_id)
    if service.status == "terminated":
        raise Conflict("This service has already ended.")
    billing_context(runtime).provisioner.terminate(uow, runtime.clock, _spec(service, plan))
    service.status = "terminated"
    service.ends_on = business_date(runtime.clock.now())
    audit.record(
        uow, runtime.clock, Event.BILLING_SERVICE_TERMINATED, actor,
        customer_id=service.customer_id, details={"service": service.id},
    )  # fmt: skip
    return service


def list_services(uow: UnitOfWork, customer_id: str) -> list[tuple[Service, Plan]]:
    """A customer's services with their plans (no personal fields)."""
    rows = uow.session.execute(
        select(Service, Plan).join(Plan, Plan.id == Service.plan_id)
        .where(Service.customer_id == customer_id).order_by(Service.created_at)
    ).all()  # fmt: skip
    return [(s, p) for s, p in rows]


def record_usage(
    uow: UnitOfWork, runtime: Runtime, actor: Actor, service_id: str, period: str, quantity: int
) -> UsageRecord:
    """Record metered use of a service in a period (metering job). Records billing.usage_recorded."""
    service, plan = _service(uow, service_id)
    if not plan.metered:
        raise Invalid("This plan is not metered.", fields={"service": "Not a metered plan."})
    if not 0 <= quantity <= 10**12:
        raise Invalid(
            "Usage must be a whole number of units, zero or more.",
            fields={"quantity": "0 or more."},
        )
    runtime.guard.open(uow, actor, service.customer_id, "provisioning", writes={"usage.record"})
    record = UsageRecord(
        customer_id=service.customer_id, service_id=service.id, period=period,
        quantity=quantity, recorded_at=runtime.clock.now(),
    )  # fmt: skip
    uow.session.add(record)
    uow.session.flush()
    audit.record(
        uow, runtime.clock, Event.BILLING_USAGE_RECORDED, actor, customer_id=service.customer_id,
        purpose="provisioning", categories={"usage.record"}, details={"service": service.id},
    )  # fmt: skip
    return record


def billable_dates(service: Service) -> tuple[date, date | None] | None:
    if service.starts_on is None:
        return None
    return service.starts_on, service.ends_on
