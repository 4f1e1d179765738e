"""Technical data a request carries about its client: network address and user-agent."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from amanat.web.cookies import device_cookie_name
from amanat.web.request import runtime_of


@dataclass(frozen=True)
class ClientInfo:
    """What a request tells about its client. ``repr`` hides the address (personal data)."""

    ip: str = field(repr=False)
    user_agent: str = field(repr=False, default="")
    # The device cookie a past successful sign-in left in this browser (accounts.security
    # ``device_proof``): it lets the owner past the account-wide sign-in throttle.
    device: str = field(repr=False, default="")


def client_info(request: Request) -> ClientInfo:
    """The network address and user-agent of this request (the raw string is parsed and
    dropped by the sessions service)."""
    host = request.client.host if request.client is not None else ""
    device = request.cookies.get(device_cookie_name(runtime_of(request)), "")[:128]
    return ClientInfo(
        ip=host, user_agent=request.headers.get("user-agent", "")[:512], device=device
    )
