"""`amanat worker`: the background side of Amanat.

For now it runs the inbound support mail listener (amanat.support.mail) until stopped
with Ctrl-C or SIGTERM. Other background jobs (outbox delivery, retention, monitoring)
join here as they are built.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

from amanat.runtime import Runtime

Started = Callable[[list[str]], None]


def run_worker(
    runtime: Runtime, stop: threading.Event | None = None, started: Started | None = None
) -> None:
    """Start the listeners, report what runs through ``started``, block until ``stop``."""
    from amanat.support.mail import start_listener

    stop = stop or threading.Event()
    listener = start_listener(runtime)
    if threading.current_thread() is threading.main_thread():

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
    try:
        if started is not None:
            started(
                [f"support mail: smtp://{listener.hostname}:{listener.port} "
                 f"for {runtime.settings.support.address}"]
            )  # fmt: skip
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        listener.stop()
