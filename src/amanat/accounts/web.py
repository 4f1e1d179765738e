"""Small helpers shared by the accounts API and pages (request -> client info, cookies)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from amanat.accounts.useragent import ClientInfo
from amanat.runtime import Runtime


def client_info(request: Request) -> ClientInfo:
    """The network address and user-agent of this request (the raw string is parsed and
    dropped by the sessions service)."""
    host = request.client.host if request.client is not None else ""
    return ClientInfo(ip=host, user_agent=request.headers.get("user-agent", "")[:512])


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def render(
    request: Request, template: str, context: dict[str, object], status_code: int = 200
) -> HTMLResponse:
    """Render a page with its CSRF token; sets the pre-session cookie an anonymous form needs."""
    from amanat.accounts.deps import csrf_token, set_pre_session_cookie

    context = {"csrf_token": csrf_token(request), "errors": {}, "values": {}, **context}
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status_code
    )
    set_pre_session_cookie(request, response)
    return response


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)
