"""Who is calling: FastAPI dependencies that return an ``Actor``.

API (``/api/v1``): ``api_customer`` accepts ``Authorization: Bearer <API token>`` or the
customer session cookie; ``api_staff`` a staff session (second factor done) or a staff
API token. A token with only the ``read`` scope may only GET. Failures are 401 (not
signed in) or 403 (signed in, but not allowed) with one sentence.

Pages: ``page_customer`` and ``page_staff`` redirect (303) to the sign-in page instead.

Staff routes: "is staff" is never enough. A staff route names the purpose(s) it serves
with ``StaffFor("billing")`` (``page=True`` for console pages), which asks the policy,
through the guard, whether the caller's role may act for one of them; a route whose
purpose is named per request (the customer console) says so with
``StaffFor.named_per_request()`` and the guard decides that purpose with the record.
``StaffActor`` is only for the caller's own staff account. tests/functional/
test_route_matrix.py fails for a staff route that carries no ``StaffFor``.

Sensitive account changes (sign-in e-mail, second factor, recovery codes, API tokens)
take ``RecentCustomerActor``: a session whose password was entered within
``reauth_minutes``; API tokens never.

The bearer token or session cookie is resolved by the ``CallerResolver`` that
``create_app`` puts on ``app.state.resolve_caller`` (the accounts domain registers it),
so the web kit reads no account tables itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
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
    authenticated_at: datetime | None = None  # the session's last password entry


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


NOT_FOR_API_KEYS = (
    "API tokens cannot change the sign-in e-mail, the second factor, recovery codes or "
    "API tokens; sign in with your password to do this."
)
REAUTH_NEEDED = (
    "Enter your password (and second-factor code) again first: this change needs a sign-in "
    "within the last {minutes} minutes."
)


def is_recent(runtime: Runtime, authenticated_at: datetime | None) -> bool:
    """True while a session's last authentication is within ``reauth_minutes``."""
    if authenticated_at is None:
        return False
    window = timedelta(minutes=runtime.settings.reauth_minutes)
    return runtime.clock.now() - authenticated_at <= window


def check_recent_auth(request: Request) -> None:
    """Refuse (403) a sensitive account change unless the caller is a session whose
    password (and second factor) was entered within ``reauth_minutes``; API tokens never."""
    context: AuthContext | None = getattr(request.state, "auth", None)
    if context is None or context.via != "session":
        raise Forbidden(NOT_FOR_API_KEYS)
    runtime = runtime_of(request)
    if not is_recent(runtime, context.authenticated_at):
        raise Forbidden(REAUTH_NEEDED.format(minutes=runtime.settings.reauth_minutes))


def api_customer_recent(request: Request) -> Actor:
    """The signed-in customer, for changes that need a recent re-authentication."""
    actor = api_customer(request)
    check_recent_auth(request)
    return actor


def api_customer_session(request: Request) -> Actor:
    """The signed-in customer through a session (re-authentication is not for tokens)."""
    actor = api_customer(request)
    context: AuthContext = request.state.auth
    if context.via != "session":
        raise Forbidden(NOT_FOR_API_KEYS)
    return actor


# Parameter types for JSON routes: the caller, resolved and checked by the functions above.
CustomerActor = Annotated[Actor, Depends(api_customer)]
# Only for routes about the caller's own staff account; anything else uses StaffFor.
StaffActor = Annotated[Actor, Depends(api_staff)]
RecentCustomerActor = Annotated[Actor, Depends(api_customer_recent)]
SessionCustomerActor = Annotated[Actor, Depends(api_customer_session)]


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


class StaffFor:
    """Dependency of a staff route: the signed-in staff member whose role the policy lets
    act for one of ``purposes``; otherwise 403 (access.denied recorded by the guard).

    Role and purpose only: training, references and categories are the guard's to decide
    when a record is opened. ``page=True`` signs in like ``page_staff`` (redirects).
    """

    def __init__(self, *purposes: str, page: bool = False) -> None:
        self.purposes = purposes
        self.page = page

    @classmethod
    def named_per_request(cls, *, page: bool = False) -> StaffFor:
        """For a route whose caller names the purpose with each request (X-Access-Purpose,
        a form field): any role with a purpose passes; the guard decides the one named."""
        return cls(page=page)

    def __call__(self, request: Request) -> Actor:
        actor = page_staff(request) if self.page else api_staff(request)
        runtime_of(request).guard.check_route(actor, self.purposes)
        return actor

    def __repr__(self) -> str:
        return f"StaffFor({', '.join(self.purposes) or 'named per request'})"
