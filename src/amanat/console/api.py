"""The staff customer API: GET /api/v1/customers/{id}, POST search, the caller's purposes.

The purpose is named in ``X-Access-Purpose``; ``X-Access-Reference`` carries a ticket,
invoice or order number where the purpose needs one; ``X-Access-Reason`` the written
reason for break-glass access.

Searching is ``POST /api/v1/customers/search`` with a JSON body, and only that: an
e-mail, phone or CNIC in a URL is kept by proxies, browser history and other people's
logs, so there is no GET form (``GET /api/v1/customers`` answers 405).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query

from amanat.console import service
from amanat.console.schemas import CustomerRecordOut, CustomerSearchIn, PurposesOut
from amanat.core.actor import Actor
from amanat.web.caller import StaffFor
from amanat.web.request import RuntimeDep
from amanat.web.uow import Uow

router = APIRouter(prefix="/api/v1", tags=["staff: customers"])
# The purpose is named in X-Access-Purpose; the guard decides it with the record.
Staff = Annotated[Actor, Depends(StaffFor.named_per_request())]
Purpose = Annotated[
    str | None,
    Header(alias="X-Access-Purpose", max_length=64, description="The purpose of this read."),
]
Reference = Annotated[
    str | None,
    Header(
        alias="X-Access-Reference",
        max_length=64,
        description="Ticket, invoice or order number, where the purpose needs one.",
    ),
]
Reason = Annotated[
    str | None,
    Header(
        alias="X-Access-Reason", max_length=500, description="Written reason (break-glass only)."
    ),
]
Categories = Annotated[
    str | None,
    Query(
        max_length=1000,
        description="Comma-separated categories to read; default all the purpose reads.",
    ),
]


def _request(
    purpose: str | None, reference: str | None, reason: str | None, categories: str | None = None
) -> service.AccessRequest:
    wanted = (
        None
        if categories is None
        else frozenset(c.strip() for c in categories.split(",") if c.strip())
    )
    return service.AccessRequest(purpose, reference or None, reason, wanted)


@router.get(
    "/access/purposes",
    response_model=PurposesOut,
    summary="The purposes open to you and exactly what each may see",
)
def my_purposes(uow: Uow, runtime: RuntimeDep, actor: Staff) -> PurposesOut:
    return service.purposes_for(uow, runtime, actor)


@router.post(
    "/customers/search",
    response_model=CustomerRecordOut,
    summary="Find a customer by exact e-mail, phone or CNIC (in the body, never the URL)",
)
def search_customers(
    uow: Uow,
    runtime: RuntimeDep,
    body: CustomerSearchIn,
    actor: Staff,
    purpose: Purpose = None,
    reference: Reference = None,
    reason: Reason = None,
) -> CustomerRecordOut:
    return service.find_customer(uow, runtime, actor, body, _request(purpose, reference, reason))


@router.get(
    "/customers/{customer_id}",
    response_model=CustomerRecordOut,
    summary="One customer, as the named purpose may see them",
)
def read_customer(
    uow: Uow,
    runtime: RuntimeDep,
    customer_id: Annotated[str, Path(max_length=32)],
    actor: Staff,
    purpose: Purpose = None,
    reference: Reference = None,
    reason: Reason = None,
    categories: Categories = None,
) -> CustomerRecordOut:
    return service.read_customer(
        uow, runtime, actor, customer_id, _request(purpose, reference, reason, categories)
    )
