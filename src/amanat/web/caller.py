"""Who is calling: FastAPI dependencies that return an ``Actor``.

API (``/api/v1``): ``api_customer`` accepts ``Authorization: Bearer <API token>`` or the
customer session cookie; ``api_staff`` a staff session (second factor done) or a staff
API token. A token with only the ``read`` scope may only GET. Failures are 401 (not
signed in) or 403 (signed in, but not allowed) with one sentence.

Pages: ``page_customer`` and ``page_staff`` redirect (303) to the sign-in page instead.

The bearer token or session cookie is resolved by the ``CallerResolver`` that
``create_app`` puts on ``app.state.resolve_caller`` (the accounts domain registers it),
so the web kit reads no account tables itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from amanat.core.actor import Actor
from amanat.core.errors import Forbidden, Unauthenticated
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime
from amanat.web.cookies import cookie_name
from amanat.web.request import runtime_of

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class AuthContext:
    actor: Actor
    via: str  # "session" or "token"
    session_id: str | None
    token_id: str | None
    scopes: tuple[str, ...]
    mfa_done: bool


CallerResolver = Callable[[UnitOfWork, Runtime, str | None, str, str], AuthContext | None]
"""(uow, runtime, bearer token or None, session cookie value or "", principal kind) ->
the caller, or None when the token or session is unknown, expired or of another kind."""


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def authenticate(request: Request, principal_kind: str) -> AuthContext | None:
    """Resolve the caller from a bearer token or the session cookie (cached per request)."""
    cache_key = f"auth_{principal_kind}"
    if hasattr(request.state, cache_key):
        cached: AuthContext | None = getattr(request.state, cache_key)
        return cached
    runtime = runtime_of(request)
    resolve: CallerResolver = request.app.state.resolve_caller
    bearer = _bearer(request)
    cookie = (
        "" if bearer is not None else request.cookies.get(cookie_name(runtime, principal_kind), "")
    )
    with runtime.uow() as uow:
        context = resolve(uow, runtime, bearer, cookie, principal_kind)
        uow.commit()
    setattr(request.state, cache_key, context)
    return context


def _check_scope(request: Request, context: AuthContext) -> None:
    if request.method not in _SAFE_METHODS and "write" not in context.scopes:
        raise Forbidden(
            "This API token has only the read scope; create one with the write scope to make changes."
        )


def api_customer(request: Request) -> Actor:
    """The signed-in customer, or 401 saying how to sign in."""
    context = authenticate(request, "customer")
    if context is None:
        if authenticate(request, "staff") is not None:
            raise Forbidden("This is for customers; staff use the staff endpoints.")
        raise Unauthenticated(
            "Sign in first: send the session cookie from /api/v1/auth/login, or an API token "
            "as 'Authorization: Bearer <token>'."
        )
    if not context.mfa_done:
        raise Unauthenticated(
            "Finish signing in: send your second-factor code to /api/v1/auth/mfa."
        )
    _check_scope(request, context)
    request.state.auth = context
    return context.actor


def api_staff(request: Request) -> Actor:
    """The signed-in staff member (second factor done), or 401/403 with a sentence."""
    context = authenticate(request, "staff")
    if context is None:
        if authenticate(request, "customer") is not None:
            raise Forbidden(
                "This needs a staff account; customer sign-ins and tokens cannot use it."
            )
        raise Unauthenticated(
            "Sign in as staff first: at /staff/login, or with a staff API token as "
            "'Authorization: Bearer <token>'."
        )
    if not context.mfa_done and runtime_of(request).settings.require_staff_mfa:
        raise Forbidden(
            "Finish signing in with your second factor at /staff/login before using this."
        )
    _check_scope(request, context)
    request.state.auth = context
    return context.actor


# Parameter types for JSON routes: the caller, resolved and checked by the functions above.
CustomerActor = Annotated[Actor, Depends(api_customer)]
StaffActor = Annotated[Actor, Depends(api_staff)]


def _redirect(location: str) -> HTTPException:
    return HTTPException(
        status_code=303, detail="Please sign in to continue.", headers={"Location": location}
    )


def page_customer(request: Request) -> Actor:
    """The signed-in customer for a portal page; otherwise a redirect to /signin."""
    context = authenticate(request, "customer")
    if context is None or context.via != "session":
        raise _redirect("/signin")
    if not context.mfa_done:
        raise _redirect("/signin/mfa")
    request.state.auth = context
    return context.actor


def page_staff(request: Request) -> Actor:
    """The signed-in staff member for a console page; otherwise a redirect to /staff/login."""
    context = authenticate(request, "staff")
    if context is None or context.via != "session":
        raise _redirect("/staff/login")
    if not context.mfa_done and runtime_of(request).settings.require_staff_mfa:
        raise _redirect("/staff/login/mfa")
    request.state.auth = context
    return context.actor


def current_session_id(request: Request) -> str | None:
    context: AuthContext | None = getattr(request.state, "auth", None)
    return context.session_id if context is not None else None
