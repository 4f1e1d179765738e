"""A bounded, time-limited cache of unwrapped data keys, shared by the threads of a process.

Reads are lock-free dictionary look-ups (atomic under the GIL); inserts and evictions
take a lock. When full, the oldest entry goes first. An entry older than ``max_age``
seconds is never returned, so a key destroyed by another process stops being usable
here within ``max_age`` at the latest; a key destroyed by this process is evicted at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class ExpiringCache(Generic[K, V]):
    def __init__(self, max_entries: int, max_age: float) -> None:
        if max_entries < 1 or max_age <= 0:
            raise ValueError("the key cache needs room for one entry and a positive max age")
        self.max_entries = max_entries
        self.max_age = max_age
        # Read directly on hot paths (one dict look-up, no method call): (expires, value).
        self.entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            self.discard(key)
            return None
        return entry[1]

    def put(self, key: K, value: V) -> None:
        expires = time.monotonic() + self.max_age
        with self._lock:
            self.entries.pop(key, None)
            while len(self.entries) >= self.max_entries:
                # dicts keep insertion order: the first key is the oldest entry
                del self.entries[next(iter(self.entries))]
            self.entries[key] = (expires, value)

    def discard(self, key: K) -> None:
        with self._lock:
            self.entries.pop(key, None)

    def discard_where(self, predicate: Callable[[V], bool]) -> int:
        """Drop every entry whose value satisfies ``predicate``."""
        with self._lock:
            doomed = [k for k, (_, v) in self.entries.items() if predicate(v)]
            for key in doomed:
                del self.entries[key]
        return len(doomed)

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()

    def __len__(self) -> int:
        return len(self.entries)
