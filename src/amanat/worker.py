"""`amanat worker`: the background side of Amanat.

For now it runs the domains' listeners (the inbound support mail listener) until stopped
with Ctrl-C or SIGTERM. Other background jobs (outbox delivery, retention, monitoring)
join here as they are built.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

from amanat import composition
from amanat.runtime import Runtime

Started = Callable[[list[str]], None]


def run_worker(
    runtime: Runtime, stop: threading.Event | None = None, started: Started | None = None
) -> None:
    """Start the listeners, report what runs through ``started``, block until ``stop``."""
    stop = stop or threading.Event()
    running = [start(runtime) for start in composition.listeners()]
    if threading.current_thread() is threading.main_thread():

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
    try:
        if started is not None:
            started(
                [f"support mail: smtp://{listener.hostname}:{listener.port} "
                 f"for {runtime.settings.support.address}" for listener in running]
            )  # fmt: skip
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for listener in running:
            listener.stop()
