"""Disclosure pages: the register in the staff console (``legal_obligation``) and the
public transparency report at /transparency.

Server-rendered, no JavaScript; every POST carries the CSRF token and calls one service
function. A refused verb rolls back and shows its sentence on the page it came from.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from amanat.core.actor import Actor
from amanat.core.errors import AmanatError
from amanat.db.uow import UnitOfWork
from amanat.disclosure import service
from amanat.disclosure.schemas import RequestIn
from amanat.runtime import Runtime
from amanat.web.caller import StaffFor
from amanat.web.csrf import require_csrf
from amanat.web.render import redirect, render
from amanat.web.request import RuntimeDep
from amanat.web.uow import Uow

router = APIRouter(include_in_schema=False)
Legal = Annotated[Actor, Depends(StaffFor("legal_obligation", page=True))]
Csrf = Depends(require_csrf)
Short = Annotated[str, Form(max_length=300)]
Day = Annotated[str, Form(max_length=10)]
Number = Annotated[str, Path(max_length=16)]
Long = Annotated[str, Form(max_length=60_000)]
MAX_CATEGORIES = 50


def _register_page(
    request: Request,
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    *,
    message: str | None = None,
    values: dict[str, object] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context: dict[str, object] = {
        "requests": service.list_requests(uow, runtime, actor),
        "authorities": service.authorities(runtime),
        "categories": service.disclosable(runtime),
        "titles": {c.id: c.title for c in runtime.policy.categories},
        "message": message, "values": values or {},
    }  # fmt: skip
    return render(request, "disclosure/register.html", context, status)


def _detail_page(
    request: Request,
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    number: Number,
    *,
    message: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    detail = service.request_detail(uow, runtime, actor, number)
    titles = {c.id: c.title for c in runtime.policy.categories}
    context: dict[str, object] = {"r": detail, "titles": titles, "message": message}
    return render(request, "disclosure/request.html", context, status)


@router.get("/staff/disclosure", response_class=HTMLResponse)
def register_page(request: Request, uow: Uow, runtime: RuntimeDep, actor: Legal) -> HTMLResponse:
    return _register_page(request, uow, runtime, actor)


@router.post(
    "/staff/disclosure", response_class=HTMLResponse, dependencies=[Csrf], response_model=None
)
def register(
    request: Request,
    uow: Uow,
    runtime: RuntimeDep,
    actor: Legal,
    authority: Short = "",
    instrument: Short = "",
    legal_reference: Short = "",
    received_on: Day = "",
    deadline: Day = "",
    period_from: Day = "",
    period_to: Day = "",
    nondisclosure_until: Day = "",
    customers: Long = "",
    notes: Long = "",
    categories: Annotated[list[str], Form()] = [],  # noqa: B006 -- FastAPI copies defaults
) -> Response:
    values: dict[str, object] = {
        "authority": authority, "instrument": instrument, "legal_reference": legal_reference,
        "received_on": received_on, "deadline": deadline, "period_from": period_from,
        "period_to": period_to, "nondisclosure_until": nondisclosure_until,
        "customers": customers, "notes": notes, "categories": categories,
    }  # fmt: skip
    try:
        data = RequestIn(
            authority=authority, instrument=instrument, legal_reference=legal_reference,
            received_on=received_on, deadline=deadline, period_from=period_from,
            period_to=period_to, categories=categories[:MAX_CATEGORIES],
            customers=customers.splitlines(), nondisclosure_until=nondisclosure_until or None,
            notes=notes,
        )  # fmt: skip
    except ValidationError:
        return _register_page(
            request, uow, runtime, actor, values=values, status=422,
            message="Some fields are too long: at most 1,000 customer lines of 320 characters, and 5,000 characters of notes.",
        )  # fmt: skip
    try:
        created = service.register(uow, runtime, actor, data)
    except AmanatError as exc:
        uow.rollback()
        return _register_page(
            request, uow, runtime, actor, message=exc.message, values=values,
            status=exc.status if exc.status < 500 else 503,
        )  # fmt: skip
    return redirect(f"/staff/disclosure/{created.number}")


@router.get("/staff/disclosure/{number}", response_class=HTMLResponse)
def show(
    request: Request, uow: Uow, runtime: RuntimeDep, actor: Legal, number: Number
) -> HTMLResponse:
    try:
        return _detail_page(request, uow, runtime, actor, number)
    except AmanatError as exc:
        uow.rollback()
        return _register_page(request, uow, runtime, actor, message=exc.message, status=exc.status)


def _after(
    request: Request,
    uow: UnitOfWork,
    runtime: Runtime,
    actor: Actor,
    number: Number,
    exc: AmanatError,
) -> HTMLResponse:
    """A refused decision or export: nothing of it stays; the request's page says why."""
    uow.rollback()
    status = exc.status if exc.status < 500 else 503
    try:
        return _detail_page(
            request, uow, runtime, actor, number, message=exc.message, status=status
        )
    except AmanatError as again:
        uow.rollback()
        return _register_page(request, uow, runtime, actor, message=again.message, status=status)


@router.post("/staff/disclosure/{number}/approve", dependencies=[Csrf], response_model=None)
def approve(
    request: Request, uow: Uow, runtime: RuntimeDep, actor: Legal, number: Number
) -> Response:
    try:
        service.approve(uow, runtime, actor, number)
    except AmanatError as exc:
        return _after(request, uow, runtime, actor, number, exc)
    return redirect(f"/staff/disclosure/{number}")


@router.post("/staff/disclosure/{number}/reject", dependencies=[Csrf], response_model=None)
def reject(
    request: Request,
    uow: Uow,
    runtime: RuntimeDep,
    actor: Legal,
    number: Number,
    reason: Short = "",
) -> Response:
    try:
        service.reject(uow, runtime, actor, number, reason)
    except AmanatError as exc:
        return _after(request, uow, runtime, actor, number, exc)
    return redirect(f"/staff/disclosure/{number}")


@router.post("/staff/disclosure/{number}/export", dependencies=[Csrf], response_model=None)
def export(
    request: Request, uow: Uow, runtime: RuntimeDep, actor: Legal, number: Number
) -> Response:
    try:
        package = service.export_request(uow, runtime, actor, number)
    except AmanatError as exc:
        return _after(request, uow, runtime, actor, number, exc)
    return Response(
        package.content,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{package.filename}"'},
    )


@router.get("/transparency", response_class=HTMLResponse)
def transparency(request: Request, uow: Uow, runtime: RuntimeDep) -> HTMLResponse:
    report = service.transparency_report(uow, runtime)
    return render(request, "disclosure/transparency.html", {"report": report})
