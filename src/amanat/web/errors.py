"""Map errors to responses: JSON under /api, a page elsewhere; never a traceback."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from amanat.core.errors import AmanatError, TooManyRequests
from amanat.core.logging import get_logger
from amanat.web.openapi import document_error_responses

log = get_logger("amanat.errors")

# The database went away (a restart, a failover, the network) or is too busy to answer:
# a passing condition, not a bug. The connection pool checks connections before use
# (pool_pre_ping), so the first request after the database is back succeeds again.
DATABASE_AWAY = (OperationalError, InterfaceError, PoolTimeout)
DATABASE_AWAY_MESSAGE = "The database is not answering right now; try again in a minute."
DATABASE_RETRY_SECONDS = 10


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", ""
    )


def error_response(
    request: Request, status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> Response:
    if _wants_json(request):
        body: dict[str, Any] = {"error": code, "message": message}
        if fields:
            body["fields"] = fields
        return JSONResponse(body, status_code=status)
    templates = request.app.state.templates
    response: Response = templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "message": message, "fields": fields or {}},
        status_code=status,
    )
    return response


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "request"


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to one shape, and publish that shape in the OpenAPI document."""
    document_error_responses(app)

    @app.exception_handler(AmanatError)
    async def amanat_error(request: Request, exc: AmanatError) -> Response:
        status = exc.status if exc.status < 500 else 503
        response = error_response(request, status, exc.code, exc.message, exc.fields)
        if isinstance(exc, TooManyRequests) and exc.retry_after:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    async def database_away(request: Request, exc: Exception) -> Response:
        # The class and SQLSTATE only: a driver's message may quote statement parameters.
        sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
        log.warning(
            "database unavailable",
            extra={"event": "db.unavailable", "error": type(exc).__name__, "code": sqlstate},
        )
        response = error_response(request, 503, "unavailable", DATABASE_AWAY_MESSAGE)
        response.headers["Retry-After"] = str(DATABASE_RETRY_SECONDS)
        return response

    for away in DATABASE_AWAY:
        app.add_exception_handler(away, database_away)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        fields: dict[str, str] = {}
        for error in exc.errors():
            # Pydantic's message, never the input value (which may be personal data).
            fields.setdefault(_field_name(tuple(error.get("loc", ()))), str(error.get("msg")))
        return error_response(
            request, 422, "invalid", "Some fields need fixing; see each field.", fields
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {
            404: "There is nothing at this address.",
            405: "This address does not accept that method.",
        }
        message = messages.get(exc.status_code, str(exc.detail))
        response = error_response(request, exc.status_code, "http_error", message)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unhandled error", exc_info=exc, extra={"event": "http.unhandled"})
        return error_response(
            request, 500, "internal", "Something went wrong on our side; it has been logged."
        )
