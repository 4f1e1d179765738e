"""Disclosure requests made through the real register, approved by real staff members.

The registrar is a data protection officer; the approvers are legal counsel and a second
data protection officer, three different people as the policy wants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from amanat.disclosure import service as disclosure
from amanat.disclosure.schemas import RequestIn, RequestOut
from amanat.runtime import Runtime
from tests.factories.accounts import StaffHandle, create_staff

ALL = ("identity.name", "contact.email", "contact.phone", "identity.cnic", "technical.ip")


@dataclass
class Legal:
    registrar: StaffHandle
    first: StaffHandle
    second: StaffHandle


def legal_team(runtime: Runtime) -> Legal:
    return Legal(
        create_staff(runtime, "data_protection_officer"),
        create_staff(runtime, "legal"),
        create_staff(runtime, "data_protection_officer"),
    )


def request_in(
    runtime: Runtime,
    customers: list[str],
    *,
    categories: tuple[str, ...] = ALL,
    authority: str = "fia",
    nondisclosure_until: date | None = None,
    period: tuple[date, date] | None = None,
    deadline_days: int = 30,
) -> RequestIn:
    today = runtime.clock.now().date()
    first, last = period or (today - timedelta(days=365), today)
    return RequestIn(
        authority=authority, instrument="Prevention of Electronic Crimes Act 2016, s.35",
        legal_reference="Warrant 17/2025 of the Judicial Magistrate, Islamabad",
        received_on=today.isoformat(), deadline=(today + timedelta(days=deadline_days)).isoformat(),
        period_from=first.isoformat(), period_to=last.isoformat(), categories=list(categories),
        customers=customers,
        nondisclosure_until=nondisclosure_until.isoformat() if nondisclosure_until else None,
        notes="Synthetic test request.",
    )  # fmt: skip


def register(runtime: Runtime, team: Legal, body: RequestIn) -> RequestOut:
    with runtime.uow() as uow:
        made = disclosure.register(uow, runtime, team.registrar.actor, body)
        uow.commit()
    return made


def approve_twice(runtime: Runtime, team: Legal, number: str) -> RequestOut:
    for approver in (team.first, team.second):
        with runtime.uow() as uow:
            out = disclosure.approve(uow, runtime, approver.actor, number)
            uow.commit()
    return out


def approved_request(
    runtime: Runtime, customers: list[str], team: Legal | None = None, **options: object
) -> tuple[Legal, str]:
    """A request for ``customers``, registered and approved twice; (team, its number)."""
    team = team or legal_team(runtime)
    made = register(runtime, team, request_in(runtime, customers, **options))  # type: ignore[arg-type]
    approve_twice(runtime, team, made.number)
    return team, made.number
