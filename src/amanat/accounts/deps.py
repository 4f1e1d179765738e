"""Who is calling: FastAPI dependencies that return an ``Actor``, and CSRF for forms.

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

Forms: put ``csrf_token(request)`` in the template as a hidden ``csrf_token`` field and
add ``Depends(require_csrf)`` to every state-changing POST route. The token is bound to
the session cookie (or, before sign-in, to a pre-session cookie that anonymous pages set
with ``set_pre_session_cookie``); the cookies are ``__Host-``, so no other site or
subdomain can plant one.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.exceptions import HTTPException

from amanat.access.actor import Actor
from amanat.accounts import sessions, tokens
from amanat.core.errors import Forbidden, Unauthenticated
from amanat.runtime import Runtime

CSRF_FIELD = "csrf_token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class AuthContext:
    actor: Actor
    via: str  # "session" or "token"
    session_id: str | None
    token_id: str | None
    scopes: tuple[str, ...]
    mfa_done: bool
    authenticated_at: datetime | None = None


def cookie_name(runtime: Runtime, principal_kind: str) -> str:
    base = "amanat_staff" if principal_kind == "staff" else "amanat_session"
    return f"__Host-{base}" if runtime.settings.secure_cookies else base


def pre_cookie_name(runtime: Runtime) -> str:
    return "__Host-amanat_pre" if runtime.settings.secure_cookies else "amanat_pre"


def set_session_cookie(
    response: Response, runtime: Runtime, principal_kind: str, token: str
) -> None:
    """Secure, HttpOnly, SameSite=Lax, host-only, path /; a browser-session cookie (the server
    enforces idle and absolute limits)."""
    response.set_cookie(
        cookie_name(runtime, principal_kind), token, secure=runtime.settings.secure_cookies,
        httponly=True, samesite="lax", path="/",
    )  # fmt: skip


def clear_session_cookie(response: Response, runtime: Runtime, principal_kind: str) -> None:
    response.delete_cookie(
        cookie_name(runtime, principal_kind), path="/", secure=runtime.settings.secure_cookies,
        httponly=True, samesite="lax",
    )  # fmt: skip


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


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
    runtime = _runtime(request)
    context: AuthContext | None = None
    bearer = _bearer(request)
    with runtime.uow() as uow:
        if bearer is not None:
            row = tokens.resolve_api_token(uow, runtime, bearer)
            if row is not None and row.principal_kind == principal_kind:
                actor = _actor(principal_kind, row.principal_id, row.role)
                context = AuthContext(actor, "token", None, row.id, tuple(row.scopes), True)
        else:
            value = request.cookies.get(cookie_name(runtime, principal_kind), "")
            session = sessions.resolve(uow, runtime, value, principal_kind) if value else None
            if session is not None:
                actor = _actor(principal_kind, session.principal_id, session.role)
                context = AuthContext(
                    actor, "session", session.id, None, ("read", "write"), session.mfa_done,
                    session.authenticated_at,
                )  # fmt: skip
        uow.commit()
    setattr(request.state, cache_key, context)
    return context


def _actor(principal_kind: str, principal_id: str, role: str) -> Actor:
    if principal_kind == "staff":
        return Actor.staff(principal_id, role)
    return Actor.customer(principal_id)


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
    if not context.mfa_done and _runtime(request).settings.require_staff_mfa:
        raise Forbidden(
            "Finish signing in with your second factor at /staff/login before using this."
        )
    _check_scope(request, context)
    request.state.auth = context
    return context.actor


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
        _runtime(request).guard.check_route(actor, self.purposes)
        return actor

    def __repr__(self) -> str:
        return f"StaffFor({', '.join(self.purposes) or 'named per request'})"


NOT_FOR_API_KEYS = (
    "API tokens cannot change the sign-in e-mail, the second factor, recovery codes or "
    "API tokens; sign in with your password to do this."
)
REAUTH_NEEDED = (
    "Enter your password (and second-factor code) again first: this change needs a sign-in "
    "within the last {minutes} minutes."
)


def check_recent_auth(request: Request) -> None:
    """Refuse (403) a sensitive account change unless the caller is a session whose
    password (and second factor) was entered within ``reauth_minutes``; API tokens never."""
    context: AuthContext | None = getattr(request.state, "auth", None)
    if context is None or context.via != "session":
        raise Forbidden(NOT_FOR_API_KEYS)
    runtime = _runtime(request)
    if not sessions.is_recent(runtime, context.authenticated_at):
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
    if not context.mfa_done and _runtime(request).settings.require_staff_mfa:
        raise _redirect("/staff/login/mfa")
    request.state.auth = context
    return context.actor


def current_session_id(request: Request) -> str | None:
    context: AuthContext | None = getattr(request.state, "auth", None)
    return context.session_id if context is not None else None


# -- CSRF ---------------------------------------------------------------------------------


def _binding(request: Request) -> str | None:
    runtime = _runtime(request)
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
    runtime = _runtime(request)
    binding = _binding(request)
    if binding is None:
        request.state.new_pre_cookie = runtime.vault.random_token(24)
        binding = "p|" + request.state.new_pre_cookie
    return runtime.vault.hash_token("csrf|" + binding)


def set_pre_session_cookie(request: Request, response: Response) -> None:
    """Send the pre-session cookie that ``csrf_token`` made for an anonymous page, if any."""
    value = getattr(request.state, "new_pre_cookie", None)
    if value:
        runtime = _runtime(request)
        response.set_cookie(
            pre_cookie_name(runtime), value, secure=runtime.settings.secure_cookies,
            httponly=True, samesite="strict", path="/",
        )  # fmt: skip


def verify_csrf(request: Request, submitted: str | None) -> None:
    """Raise Forbidden unless ``submitted`` is this browser's form token."""
    runtime = _runtime(request)
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
