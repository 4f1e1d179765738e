"""Webhook delivery: signed POSTs with retries, optionally duplicated and out of order.

A real processor delivers each event at least once, retries with growing delays while
the merchant answers anything but 2xx, and promises no order. The sandbox does the same
and can be told to make it worse (``duplicate``: every event is sent twice; ``reorder``:
the events of one payment are sent last-first), so the merchant's handling is tested.
"""

from __future__ import annotations

import heapq
import json
import logging
import ssl
import threading
import time
from dataclasses import dataclass

import httpx

from amanat.psp.signing import HEADER, signature_header
from amanat.psp.store import Event

log = logging.getLogger("amanat.psp")


@dataclass(frozen=True)
class DeliveryConfig:
    url: str
    secret: str
    verify: bool | str = True
    duplicate: bool = False
    reorder: bool = False
    retry_base_seconds: float = 1.0
    max_attempts: int = 8


class Deliverer:
    """A background thread sending queued events; ``enqueue`` never blocks on the network."""

    def __init__(self, config: DeliveryConfig) -> None:
        self.config = config
        self._queue: list[tuple[float, int, Event, int]] = []
        self._counter = 0
        self._cv = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="psp-webhooks", daemon=True)
        verify: bool | ssl.SSLContext = (
            ssl.create_default_context(cafile=config.verify)
            if isinstance(config.verify, str)
            else config.verify
        )
        self._client = httpx.Client(timeout=10.0, verify=verify)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify_all()
        self._thread.join(timeout=5)
        self._client.close()

    def enqueue(self, events: list[Event]) -> None:
        """Queue the events of one payment, in order (or reversed, duplicated, as configured)."""
        ordered = list(reversed(events)) if self.config.reorder else list(events)
        copies = 2 if self.config.duplicate else 1
        with self._cv:
            now = time.monotonic()
            for event in ordered:
                for _ in range(copies):
                    self._push(now, event, 1)
            self._cv.notify_all()

    def pending(self) -> int:
        with self._cv:
            return len(self._queue)

    def _push(self, due: float, event: Event, attempt: int) -> None:
        self._counter += 1
        heapq.heappush(self._queue, (due, self._counter, event, attempt))

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._stopped and (
                    not self._queue or self._queue[0][0] > time.monotonic()
                ):
                    timeout = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._cv.wait(timeout)
                if self._stopped:
                    return
                _, _, event, attempt = heapq.heappop(self._queue)
            ok = self._send(event, attempt)
            if not ok and attempt < self.config.max_attempts:
                delay = self.config.retry_base_seconds * 2 ** (attempt - 1)
                with self._cv:
                    self._push(time.monotonic() + delay, event, attempt + 1)

    def _send(self, event: Event, attempt: int) -> bool:
        body = json.dumps(event.payload(), separators=(",", ":")).encode()
        header = signature_header(self.config.secret, int(time.time()), body)
        try:
            response = self._client.post(
                self.config.url,
                content=body,
                headers={"Content-Type": "application/json", HEADER: header},
            )
            status: int | None = response.status_code
        except httpx.HTTPError as exc:
            status = None
            log.warning(
                "webhook not delivered", extra={"event": event.id, "error": type(exc).__name__}
            )
        event.deliveries.append({"attempt": attempt, "status": status, "at": int(time.time())})
        return status is not None and 200 <= status < 300
