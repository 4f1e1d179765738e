"""The staff console at /staff: choose a purpose, find a customer, see what it allows.

Server-rendered, no JavaScript. The search is a POST form, so an e-mail, phone or CNIC
typed into it never appears in a URL. The page calls the same service as the API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from amanat.console import service
from amanat.console.schemas import CustomerRecordOut, CustomerSearchIn
from amanat.core.actor import Actor
from amanat.core.errors import AmanatError
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.web.caller import StaffFor
from amanat.web.csrf import require_csrf
from amanat.web.render import render
from amanat.web.request import RuntimeDep
from amanat.web.uow import Uow

router = APIRouter(include_in_schema=False)
# The purpose is chosen in the form; the guard decides it with the record.
Staff = Annotated[Actor, Depends(StaffFor.named_per_request(page=True))]
FormText = Annotated[str, Form(max_length=500)]
KINDS = {"email": "E-mail address", "phone": "Phone number", "cnic": "CNIC"}


def _console(
    request: Request,
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    *,
    record: CustomerRecordOut | None = None,
    message: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    purposes = service.purposes_for(uow, runtime, actor)
    return render(
        request, "console/console.html",
        {"purposes": purposes, "record": record, "message": message, "kinds": KINDS,
         "values": values or {}},
        status,
    )  # fmt: skip


@router.get("/staff", response_class=HTMLResponse)
def console(request: Request, uow: Uow, runtime: RuntimeDep, actor: Staff) -> HTMLResponse:
    return _console(request, uow, runtime, actor)


@router.post(
    "/staff/customers/search", response_class=HTMLResponse, dependencies=[Depends(require_csrf)]
)
def search(
    request: Request,
    uow: Uow,
    runtime: RuntimeDep,
    actor: Staff,
    kind: FormText = "email",
    identifier: FormText = "",
    purpose: FormText = "",
    reference: FormText = "",
    reason: FormText = "",
) -> HTMLResponse:
    values = {"kind": kind, "purpose": purpose, "reference": reference}
    if kind not in KINDS:
        return _console(
            request, uow, runtime, actor, message="Choose what to search by.", values=values,
            status=422,
        )  # fmt: skip
    search_in = CustomerSearchIn.model_validate({kind: identifier.strip() or None})
    access = service.AccessRequest(purpose or None, reference.strip() or None, reason or None)
    try:
        record = service.find_customer(uow, runtime, actor, search_in, access)
    except AmanatError as exc:
        uow.rollback()  # a refused search keeps nothing; the page below only reads
        return _console(
            request, uow, runtime, actor, message=exc.message, values=values, status=exc.status
        )
    return _console(request, uow, runtime, actor, record=record, values=values)
