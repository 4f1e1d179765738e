"""create_app(runtime): the HTTPS application, its routers, pages and middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import cast

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from amanat import __version__
from amanat.access import api as access_api
from amanat.access import pages as access_pages
from amanat.accounts import api as accounts_api
from amanat.accounts import pages as accounts_pages
from amanat.accounts import portal as accounts_portal
from amanat.accounts import useragent
from amanat.billing import api as billing_api
from amanat.billing import pages as billing_pages
from amanat.comms import pages as comms_pages
from amanat.console import api as console_api
from amanat.console import pages as console_pages
from amanat.db.engine import is_reachable
from amanat.policy import pages as policy_pages
from amanat.runtime import Runtime
from amanat.staff import api as staff_api
from amanat.staff import pages as staff_pages
from amanat.support import api as support_api
from amanat.support import pages as support_pages
from amanat.web.errors import install_error_handlers
from amanat.web.logging import RequestLogMiddleware
from amanat.web.origin import CookieOriginMiddleware
from amanat.web.security import SecurityHeadersMiddleware
from amanat.web.templating import STATIC, make_templates

# Each domain that serves HTTP adds its routers here (api.py and pages.py).
ROUTERS = (
    console_api.router,
    console_pages.router,
    access_api.router,
    access_pages.router,
    policy_pages.router,
    accounts_api.router,
    accounts_pages.router,
    accounts_portal.router,
    staff_pages.router,
    staff_api.router,
    comms_pages.router,
    billing_api.router,
    billing_pages.router,
    support_api.router,
    support_pages.router,
)


# Work done once per process when the server starts, before the first request (not at
# import, and not inside a request): each entry is a plain function.
STARTUP: tuple[Callable[[], None], ...] = (useragent.warm_up,)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    for task in STARTUP:
        task()
    yield


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
    templates.env.globals["home_links"] = [
        {"href": "/signup", "label": "Create an account"},
        {"href": "/signin", "label": "Sign in"},
    ]
    portal_links = cast(list[dict[str, str]], templates.env.globals.setdefault("portal_links", []))
    portal_links.append({"href": "/account/access-log", "label": "Who saw my data"})
    portal_links.append({"href": "/support", "label": "Support"})
    cast(list[dict[str, str]], templates.env.globals["portal_links"]).append(
        {"href": "/billing", "label": "Billing"}
    )
    app.state.templates = templates

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

    for router in ROUTERS:
        app.include_router(router)
    return app
