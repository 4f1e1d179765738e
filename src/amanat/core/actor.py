"""Who is acting: a customer, a staff member in a policy role, or Amanat running a job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ActorKind = Literal["customer", "staff", "system"]


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str
    role: str
    job: str | None = None

    @classmethod
    def customer(cls, customer_id: str) -> Actor:
        return cls("customer", customer_id, "customer")

    @classmethod
    def staff(cls, staff_id: str, role: str) -> Actor:
        return cls("staff", staff_id, role)

    @classmethod
    def system(cls, job: str) -> Actor:
        return cls("system", f"job:{job}", "system", job)

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}" if self.kind != "system" else self.id
