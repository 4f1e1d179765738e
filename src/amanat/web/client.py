"""Technical data a request carries about its client: network address and user-agent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import Request


@dataclass(frozen=True)
class ClientInfo:
    """What a request tells about its client. ``repr`` hides the address (personal data)."""

    ip: str = field(repr=False)
    user_agent: str = field(repr=False, default="")


def client_info(request: Request) -> ClientInfo:
    """The network address and user-agent of this request (the raw string is parsed and
    dropped by the sessions service)."""
    host = request.client.host if request.client is not None else ""
    return ClientInfo(ip=host, user_agent=request.headers.get("user-agent", "")[:512])
