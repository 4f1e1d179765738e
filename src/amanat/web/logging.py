"""One structured log line per request: method, route template, status, duration.

The route *template* (``/api/v1/customers/{customer_id}``) is logged, never the path or
query string, which can carry personal data (a search by e-mail, a verification token).
"""

from __future__ import annotations

import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from amanat.core.logging import get_logger

log = get_logger("amanat.http")


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            log.info(
                "request",
                extra={
                    "event": "http.request",
                    "request_id": request_id,
                    "method": scope.get("method"),
                    "route": _route_template(scope),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


def _route_template(scope: Scope) -> str:
    """The matched route's template; Starlette's router records the route in the scope."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path is not None else "<unmatched>"
