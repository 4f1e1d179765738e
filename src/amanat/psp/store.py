"""The sandbox's own state, in memory: checkout sessions, payments, refunds and events.

A sandbox forgets everything when it stops, as test modes of real processors reset.
The card number never reaches this module: only brand, last four and expiry do.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


@dataclass
class Session:
    id: str
    amount: int
    currency: str
    reference: str
    description: str
    success_url: str
    cancel_url: str
    status: str = "open"  # open -> complete (approved) ; stays open after a decline
    payment_id: str | None = None
    attempts: int = 0


@dataclass
class Payment:
    id: str
    session_id: str
    amount: int
    currency: str
    reference: str
    status: str  # succeeded | failed
    failure_reason: str | None
    card: dict[str, Any]
    refunded: int = 0


@dataclass
class Event:
    id: str
    type: str
    created: int
    data: dict[str, Any]
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "created": self.created,
            "livemode": False,
            "data": self.data,
        }


class Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sessions: dict[str, Session] = {}
        self.payments: dict[str, Payment] = {}
        self.events: dict[str, Event] = {}

    def add_event(self, type_: str, data: dict[str, Any]) -> Event:
        event = Event(new_id("evt"), type_, int(time.time()), data)
        self.events[event.id] = event
        return event
