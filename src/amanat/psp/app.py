"""The sandbox processor's HTTP surface: merchant API, hosted payment page, sandbox tools.

Merchant API (``Authorization: Bearer <api key>``):
    POST /v1/checkout/sessions   {amount, currency, reference, description, success_url, cancel_url}
    GET  /v1/checkout/sessions/{id}
    POST /v1/refunds             {payment, amount}
    GET  /v1/events              every event with its delivery attempts
    POST /v1/events/{id}/redeliver
Hosted page (the payer's browser): GET/POST /pay/{session id}.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Form, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from amanat.psp.cards import CardRejected, decide
from amanat.psp.delivery import Deliverer
from amanat.psp.store import Event, Payment, Session, Store, new_id

HERE = Path(__file__).parent
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' http: https:; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@dataclass(frozen=True)
class PspConfig:
    api_key: str
    merchant_name: str = "Amanat sandbox merchant"


class CheckoutIn(BaseModel):
    amount: int = Field(gt=0, le=10**12, description="Amount in the currency's minor unit.")
    currency: str = Field("PKR", pattern="^[A-Z]{3}$")
    reference: str = Field(min_length=1, max_length=64)
    description: str = Field("", max_length=200)
    success_url: str = Field(pattern="^https?://", max_length=500)
    cancel_url: str = Field(pattern="^https?://", max_length=500)


class RefundIn(BaseModel):
    payment: str = Field(min_length=1, max_length=64)
    amount: int = Field(gt=0, le=10**12)


def _session_json(session: Session, base: str) -> dict[str, Any]:
    return {
        "id": session.id,
        "url": f"{base}/pay/{session.id}",
        "status": session.status,
        "amount": session.amount,
        "currency": session.currency,
        "reference": session.reference,
        "payment": session.payment_id,
    }


def _payment_data(session: Session, payment: Payment) -> dict[str, Any]:
    return {
        "session": session.id,
        "payment": payment.id,
        "reference": payment.reference,
        "amount": payment.amount,
        "currency": payment.currency,
        "status": payment.status,
        "failure_reason": payment.failure_reason,
        "card": payment.card,
    }


def create_psp_app(config: PspConfig, deliverer: Deliverer, store: Store | None = None) -> FastAPI:
    state = store or Store()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.autoescape = True
    app = FastAPI(title="Sandbox payment processor", docs_url=None, redoc_url=None)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.state.store = state
    app.state.deliverer = deliverer

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    def merchant(authorization: Annotated[str, Header()] = "") -> None:
        token = authorization.removeprefix("Bearer ").strip()
        if not hmac.compare_digest(token.encode(), config.api_key.encode()):
            raise HTTPException(401, "Send the API key as `Authorization: Bearer <key>`.")

    _merchant_routes(app, state, deliverer, Depends(merchant))
    _payer_routes(app, state, deliverer, config, templates)
    return app


def _merchant_routes(app: FastAPI, state: Store, deliverer: Deliverer, auth: Any) -> None:
    @app.post("/v1/checkout/sessions", status_code=201, dependencies=[auth])
    def create_session(body: CheckoutIn, request: Request) -> dict[str, Any]:
        session = Session(
            new_id("cs"), body.amount, body.currency, body.reference, body.description,
            body.success_url, body.cancel_url,
        )  # fmt: skip
        with state.lock:
            state.sessions[session.id] = session
        return _session_json(session, str(request.base_url).rstrip("/"))

    @app.get("/v1/checkout/sessions/{session_id}", dependencies=[auth])
    def get_session(session_id: str, request: Request) -> dict[str, Any]:
        session = state.sessions.get(session_id)
        if session is None:
            raise HTTPException(404, "No such checkout session.")
        return _session_json(session, str(request.base_url).rstrip("/"))

    @app.post("/v1/refunds", status_code=201, dependencies=[auth])
    def refund(body: RefundIn) -> dict[str, Any]:
        with state.lock:
            payment = state.payments.get(body.payment)
            if payment is None or payment.status != "succeeded":
                raise HTTPException(404, "No succeeded payment with this id.")
            if payment.refunded + body.amount > payment.amount:
                raise HTTPException(409, "A refund cannot exceed what is left of the payment.")
            payment.refunded += body.amount
            refund_id = new_id("re")
            event = state.add_event(
                "refund.succeeded",
                {"refund": refund_id, "payment": payment.id, "reference": payment.reference,
                 "amount": body.amount, "currency": payment.currency},
            )  # fmt: skip
        deliverer.enqueue([event])
        return {
            "id": refund_id,
            "payment": payment.id,
            "amount": body.amount,
            "status": "succeeded",
        }

    @app.get("/v1/events", dependencies=[auth])
    def list_events() -> list[dict[str, Any]]:
        with state.lock:
            return [e.payload() | {"deliveries": list(e.deliveries)} for e in state.events.values()]

    @app.post("/v1/events/{event_id}/redeliver", status_code=202, dependencies=[auth])
    def redeliver(event_id: str) -> dict[str, str]:
        event = state.events.get(event_id)
        if event is None:
            raise HTTPException(404, "No such event.")
        deliverer.enqueue([event])
        return {"id": event.id, "status": "queued"}

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "pending_webhooks": deliverer.pending(),
                             "time": int(time.time())})  # fmt: skip


def _payer_routes(
    app: FastAPI, state: Store, deliverer: Deliverer, config: PspConfig, templates: Jinja2Templates
) -> None:

    def _page(request: Request, session: Session, error: str | None, status: int) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            "pay.html",
            {"session": session, "merchant": config.merchant_name, "error": error,
             "amount": f"{session.currency} {session.amount / 100:,.2f}"},
            status_code=status,
        )  # fmt: skip

    @app.get("/pay/{session_id}", response_class=HTMLResponse)
    def pay_page(session_id: str, request: Request) -> Response:
        session = state.sessions.get(session_id)
        if session is None:
            return HTMLResponse("<h1>This payment link is not valid.</h1>", status_code=404)
        if session.status != "open":
            return RedirectResponse(_with_session(session.success_url, session.id), 303)
        return _page(request, session, None, 200)

    @app.post("/pay/{session_id}", response_class=HTMLResponse)
    def pay(
        session_id: str,
        request: Request,
        number: Annotated[str, Form(max_length=40)],
        exp_month: Annotated[int, Form()],
        exp_year: Annotated[int, Form()],
        cvc: Annotated[str, Form(max_length=4)],
    ) -> Response:
        session = state.sessions.get(session_id)
        if session is None:
            return HTMLResponse("<h1>This payment link is not valid.</h1>", status_code=404)
        if session.status != "open":
            return RedirectResponse(_with_session(session.success_url, session.id), 303)
        now = datetime.now(UTC)
        year = exp_year + 2000 if exp_year < 100 else exp_year
        try:
            outcome = decide(number, exp_month, year, cvc, (now.year, now.month))
        except CardRejected as exc:
            return _page(request, session, str(exc), 400)
        del number, cvc  # the sandbox keeps no card number or code, not even in memory
        card = {"brand": outcome.brand, "last4": outcome.last4, "exp_month": exp_month,
                "exp_year": year}  # fmt: skip
        if outcome.approved:
            card["token"] = new_id("tok")
        with state.lock:
            session.attempts += 1
            payment = Payment(
                new_id("pay"), session.id, session.amount, session.currency, session.reference,
                "succeeded" if outcome.approved else "failed", outcome.reason, card,
            )  # fmt: skip
            state.payments[payment.id] = payment
            events: list[Event] = [
                state.add_event("payment.pending", _payment_data(session, payment) | {"status": "pending"}),
                state.add_event(f"payment.{payment.status}", _payment_data(session, payment)),
            ]  # fmt: skip
            if outcome.approved:
                session.status = "complete"
                session.payment_id = payment.id
        deliverer.enqueue(events)
        if outcome.approved:
            return RedirectResponse(_with_session(session.success_url, session.id), 303)
        return _page(request, session, f"The card was declined ({outcome.reason}).", 402)


def _with_session(url: str, session_id: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'session': session_id})}"
