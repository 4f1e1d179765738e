"""`amanat worker`: the background side of Amanat.

It runs the domains' listeners (the inbound support mail listener) and their jobs
(outbox delivery) until stopped with Ctrl-C or SIGTERM. Each job runs in its own thread
(``JobRunner``); `amanat serve` on SQLite runs the same runner in-process, so the
embedded default delivers mail without a second command. Several workers may run at once:
a job claims its work in the database (comms.delivery), never in memory.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from types import FrameType

from amanat import composition
from amanat.registration import Job
from amanat.runtime import Runtime

Started = Callable[[list[str]], None]
log = logging.getLogger("amanat.worker")


class JobRunner:
    """Each wanted job in its own daemon thread, until ``stop()``."""

    def __init__(self, runtime: Runtime, jobs: Sequence[Job]) -> None:
        self.runtime = runtime
        self.jobs = [job for job in jobs if job.wanted(runtime)]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> list[str]:
        """Start the threads; the names of the jobs started."""
        for job in self.jobs:
            thread = threading.Thread(
                target=self._loop, args=(job,), name=f"amanat-job-{job.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return [job.name for job in self.jobs]

    def _loop(self, job: Job) -> None:
        while not self._stop.is_set():
            try:
                handled = job.run(self.runtime)
            except Exception as exc:
                log.error(
                    "job failed", exc_info=exc, extra={"event": "job.failed", "job": job.name}
                )
                handled = 0
            if handled == 0:
                self._stop.wait(job.idle_seconds(self.runtime))

    def stop(self) -> None:
        """Ask every job to stop and wait for the pass in progress to finish."""
        self._stop.set()
        for thread in self._threads:
            thread.join()


def run_worker(
    runtime: Runtime, stop: threading.Event | None = None, started: Started | None = None
) -> None:
    """Start the listeners and jobs, report what runs through ``started``, block until ``stop``."""
    stop = stop or threading.Event()
    running = [start(runtime) for start in composition.listeners()]
    jobs = JobRunner(runtime, composition.jobs())
    if threading.current_thread() is threading.main_thread():

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
    try:
        names = jobs.start()
        if started is not None:
            started(
                [f"support mail: smtp://{listener.hostname}:{listener.port} "
                 f"for {runtime.settings.support.address}" for listener in running]
                + [f"job: {name}" for name in names]
            )  # fmt: skip
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        jobs.stop()
        for listener in running:
            listener.stop()
