"""Cross-site request refusal for the JSON API when the caller is a session cookie.

A browser attaches the session cookie to a request another site makes (SameSite=Lax still
sends it on top-level navigations, and some clients ignore SameSite), so a write under
``/api/`` that is authenticated by the cookie must show it came from Amanat's own pages:
``Origin`` equal to the public URL's origin, or, when a browser sends no Origin, a
``Sec-Fetch-Site`` of ``same-origin`` or ``none`` (typed by the user). A request with
neither is refused: every browser in use sends one of them, and a script that is not a
browser should use an API token. Requests with ``Authorization: Bearer`` are not
affected: no browser adds that header on its own.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from amanat.runtime import Runtime
from amanat.web.cookies import cookie_name
from amanat.web.errors import error_response

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_TRUSTED_FETCH_SITES = frozenset({"same-origin", "none"})
REFUSAL = (
    "This request came from another site with your session cookie and was refused; "
    "use Amanat's own pages, or an API token as 'Authorization: Bearer <token>'."
)


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` as a browser writes it in Origin (default ports left out)."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        return ""
    default = {"https": 443, "http": 80}.get(scheme)
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


def same_site(request: Request, own_origin: str) -> bool:
    origin = request.headers.get("origin")
    if origin is not None:
        return origin_of(origin) == own_origin and origin.strip().lower() != "null"
    return request.headers.get("sec-fetch-site", "").lower() in _TRUSTED_FETCH_SITES


def _cookie_authenticated(request: Request, runtime: Runtime) -> bool:
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return False
    return any(request.cookies.get(cookie_name(runtime, kind)) for kind in ("customer", "staff"))


class CookieOriginMiddleware:
    """Refuse (403) cookie-authenticated writes under /api/ that another site could have made."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in _SAFE_METHODS
            or not scope["path"].startswith("/api/")
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        runtime: Runtime = request.app.state.runtime
        if (
            runtime.settings.csrf
            and _cookie_authenticated(request, runtime)
            and not same_site(request, origin_of(runtime.settings.resolved_public_url))
        ):
            response = error_response(request, 403, "forbidden", REFUSAL)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
