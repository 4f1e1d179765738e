"""Answering a page request: render a template with its CSRF token, or redirect (303)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from amanat.web.csrf import csrf_token, set_pre_session_cookie


def render(
    request: Request, template: str, context: dict[str, object], status_code: int = 200
) -> HTMLResponse:
    """Render a page with its CSRF token; sets the pre-session cookie an anonymous form needs."""
    context = {"csrf_token": csrf_token(request), "errors": {}, "values": {}, **context}
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status_code
    )
    set_pre_session_cookie(request, response)
    return response


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)
