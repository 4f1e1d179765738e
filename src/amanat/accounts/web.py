"""Small helpers shared by the accounts API and pages (request -> client info, cookies)."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from amanat.accounts.useragent import ClientInfo
from amanat.runtime import Runtime


def client_info(request: Request) -> ClientInfo:
    """The network address and user-agent of this request (the raw string is parsed and
    dropped by the sessions service)."""
    host = request.client.host if request.client is not None else ""
    device = request.cookies.get(device_cookie_name(runtime_of(request)), "")[:128]
    return ClientInfo(
        ip=host, user_agent=request.headers.get("user-agent", "")[:512], device=device
    )


def device_cookie_name(runtime: Runtime) -> str:
    return "__Host-amanat_device" if runtime.settings.secure_cookies else "amanat_device"


def set_device_cookie(response: Response, runtime: Runtime, proof: str | None) -> None:
    """Remember this browser for a year after a successful sign-in (Secure, HttpOnly,
    host-only): the owner signs in from it even while the account is throttled."""
    if proof:
        response.set_cookie(
            device_cookie_name(runtime), proof, max_age=365 * 24 * 3600,
            secure=runtime.settings.secure_cookies, httponly=True, samesite="lax", path="/",
        )  # fmt: skip


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
