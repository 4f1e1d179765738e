"""Issue 18: no route handler runs on the event loop.

A handler does database, key-store or password work. As ``async def`` it runs on the
event loop and stalls every other request; on SQLite the crash test saw the loop held by
a webhook waiting for the write lock that a request needing the loop held, for the whole
busy timeout (30 s) each time. Handlers are plain ``def``; a raw body or a free-form form
comes through ``RawBody`` / ``SubmittedForm`` (amanat.web.request).
"""

from __future__ import annotations

import inspect
from pathlib import Path

from fastapi.routing import APIRoute, iter_route_contexts

from amanat.app import create_app
from amanat.composition import build_runtime
from amanat.config import Settings


def test_every_route_handler_is_a_plain_function(tmp_path: Path) -> None:
    runtime = build_runtime(Settings(environment="test", data_dir=tmp_path / "data"))
    try:
        app = create_app(runtime)
        routes = [
            context.original_route
            for context in iter_route_contexts(app.routes)
            if isinstance(context.original_route, APIRoute)
        ]
    finally:
        runtime.close()
    assert len(routes) > 100  # every router's routes, not only the app's own
    on_the_loop = sorted(
        f"{sorted(route.methods)} {route.path} ({route.endpoint.__module__})"
        for route in routes
        if inspect.iscoroutinefunction(route.endpoint)
    )
    assert on_the_loop == [], on_the_loop
