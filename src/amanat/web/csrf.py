"""CSRF for forms.

Put ``csrf_token(request)`` in the template as a hidden ``csrf_token`` field (``render``
does) and add ``Depends(require_csrf)`` to every state-changing POST route. The token is
bound to the session cookie (or, before sign-in, to a pre-session cookie that anonymous
pages set with ``set_pre_session_cookie``); the cookies are ``__Host-``, so no other site
or subdomain can plant one.
"""

from __future__ import annotations

import hmac

from fastapi import Request, Response

from amanat.core.errors import Forbidden
from amanat.web.cookies import cookie_name, pre_cookie_name
from amanat.web.request import runtime_of

CSRF_FIELD = "csrf_token"


def _binding(request: Request) -> str | None:
    runtime = runtime_of(request)
    kind = "staff" if request.url.path.startswith("/staff") else "customer"
    session_value = request.cookies.get(cookie_name(runtime, kind))
    if session_value:
        return "s|" + session_value
    pre = request.cookies.get(pre_cookie_name(runtime)) or getattr(
        request.state, "new_pre_cookie", None
    )
    return "p|" + pre if pre else None


def csrf_token(request: Request) -> str:
    """The form token for this browser; pages put it in a hidden ``csrf_token`` field."""
    runtime = runtime_of(request)
    binding = _binding(request)
    if binding is None:
        request.state.new_pre_cookie = runtime.vault.random_token(24)
        binding = "p|" + request.state.new_pre_cookie
    return runtime.vault.hash_token("csrf|" + binding)


def set_pre_session_cookie(request: Request, response: Response) -> None:
    """Send the pre-session cookie that ``csrf_token`` made for an anonymous page, if any."""
    value = getattr(request.state, "new_pre_cookie", None)
    if value:
        runtime = runtime_of(request)
        response.set_cookie(
            pre_cookie_name(runtime), value, secure=runtime.settings.secure_cookies,
            httponly=True, samesite="strict", path="/",
        )  # fmt: skip


def verify_csrf(request: Request, submitted: str | None) -> None:
    """Raise Forbidden unless ``submitted`` is this browser's form token."""
    runtime = runtime_of(request)
    if not runtime.settings.csrf:
        return
    binding = _binding(request)
    expected = runtime.vault.hash_token("csrf|" + binding) if binding else None
    if (
        not submitted
        or expected is None
        or not hmac.compare_digest(submitted.encode(), expected.encode())
    ):
        raise Forbidden(
            "This form has expired or did not come from this site; reload the page and submit it again."
        )


async def require_csrf(request: Request) -> None:
    """Dependency for state-changing form POSTs: checks the ``csrf_token`` form field."""
    form = await request.form()
    value = form.get(CSRF_FIELD)
    verify_csrf(request, value if isinstance(value, str) else None)
