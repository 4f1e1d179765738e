"""The provisioner interface a cloud controller plugs into, and the default that records.

The default ``RecordingProvisioner`` writes what it would do (create, suspend, resume,
terminate) to ``billing_provisioning_actions`` and reports success at once; a real
controller implements the same four calls against its API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from amanat.billing.models import ProvisioningAction
from amanat.core.clock import Clock
from amanat.db.uow import UnitOfWork


@dataclass(frozen=True)
class ServiceSpec:
    """What a controller needs: ids and the plan, never the customer's personal data."""

    service_id: str
    plan_code: str
    quantity: int


class ProvisioningFailed(Exception):
    """The controller could not do it; the service stays as it was."""


class Provisioner(Protocol):
    name: str

    def create(self, uow: UnitOfWork, clock: Clock, spec: ServiceSpec) -> None: ...
    def suspend(self, uow: UnitOfWork, clock: Clock, spec: ServiceSpec) -> None: ...
    def resume(self, uow: UnitOfWork, clock: Clock, spec: ServiceSpec) -> None: ...
    def terminate(self, uow: UnitOfWork, clock: Clock, spec: ServiceSpec) -> None: ...


class RecordingProvisioner:
    name = "recording"

    def _record(self, uow: UnitOfWork, clock: Clock, spec: ServiceSpec, action: str) -> None:
        uow.session.add(
            ProvisioningAction(
                service_id=spec.service_id, action=action, provisioner=self.name,
                plan_code=spec.plan_code, quantity=spec.quantity, at=clock.now(),
            )
        )  # fmt: skip

    def create(self, uow: UnitOfWork, clock: Clock, spec: ServiceSpec) -> None:
        self._record(uow, clock, spec, "create")

    def suspend(self, uow: UnitOfWork, clock: Clock, spec: ServiceSpec) -> None:
        self._record(uow, clock, spec, "suspend")

    def resume(self, uow: UnitOfWork, clock: Clock, spec: ServiceSpec) -> None:
        self._record(uow, clock, spec, "resume")

    def terminate(self, uow: UnitOfWork, clock: Clock, spec: ServiceSpec) -> None:
        self._record(uow, clock, spec, "terminate")
