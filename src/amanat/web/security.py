"""Security headers on every response, as a plain ASGI middleware (no per-request objects)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]
_HEADER_NAMES = {name for name, _ in SECURITY_HEADERS}

# Responses that carry nothing about a person and may be kept by a browser or proxy.
# Everything else (portal, console, API, PDFs, error pages) is no-store: a rule by
# exception, so that a new page carrying personal data is protected without a change here.
CACHEABLE_PATHS = frozenset({"/", "/privacy", "/healthz"})
CACHEABLE_PREFIXES = ("/static/",)


def may_be_cached(path: str) -> bool:
    return path in CACHEABLE_PATHS or path.startswith(CACHEABLE_PREFIXES)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] not in _HEADER_NAMES]
                headers.extend(SECURITY_HEADERS)
                if not may_be_cached(scope["path"]):
                    headers = [h for h in headers if h[0] != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
