"""create_app(runtime): the HTTPS application, its routers, pages and middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from amanat import __version__, composition
from amanat.db.engine import is_reachable
from amanat.runtime import Runtime
from amanat.web.errors import install_error_handlers
from amanat.web.logging import RequestLogMiddleware
from amanat.web.origin import CookieOriginMiddleware
from amanat.web.security import SecurityHeadersMiddleware
from amanat.web.templating import STATIC, make_templates
from amanat.worker import JobRunner


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Work done once per process before the first request (not at import, not in a request).
    for task in composition.startup():
        task()
    # On the embedded SQLite default the server runs the background jobs itself (outgoing
    # mail), so one command is a working installation; on PostgreSQL `amanat worker` does.
    runtime: Runtime = app.state.runtime
    jobs = JobRunner(runtime, composition.jobs() if runtime.engine.dialect.name == "sqlite" else [])
    jobs.start()
    try:
        yield
    finally:
        jobs.stop()


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="Amanat",
        version=__version__,
        summary="Customer data platform that keeps its privacy policy's promises in code.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # Swagger UI loads script from a CDN, which the CSP forbids.
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    templates = make_templates()
    templates.env.globals["provider_name"] = runtime.policy.provider.name
    templates.env.globals["provider_service"] = runtime.policy.provider.service
    templates.env.globals["home_links"] = composition.home_links()
    templates.env.globals["portal_links"] = composition.portal_links()
    app.state.templates = templates
    app.state.resolve_caller = composition.caller_resolver()

    install_error_handlers(app)
    app.add_middleware(CookieOriginMiddleware)  # inside the security headers: its 403 gets them
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestLogMiddleware)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/healthz", tags=["operations"], summary="200 when the database answers, else 503")
    def healthz() -> JSONResponse:
        if is_reachable(runtime.engine):
            return JSONResponse({"status": "ok", "database": "reachable"})
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "home.html", {})

    for router in composition.routers():
        app.include_router(router)
    return app
