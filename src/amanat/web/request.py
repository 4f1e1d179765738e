"""The runtime from a request: the one way a route reaches the running system.

``create_app`` puts the runtime on ``app.state``; routes take ``runtime: RuntimeDep`` or
call ``runtime_of(request)``.

Route handlers are plain ``def`` (FastAPI runs them in its thread pool), never ``async
def``: a handler does database, key-store or password work, and on the event loop that
stalls every other request; on SQLite it deadlocks until the busy timeout when the
request holding the write lock needs the loop to finish. A handler that needs the raw
body or a form with free-form fields takes ``RawBody`` or ``SubmittedForm``, read on the
loop by an async dependency before the handler runs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from amanat.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _runtime(request: Request) -> Runtime:
    # An attribute read: on the event loop, not a hop to the thread pool and back
    # (FastAPI runs every sync dependency in the pool; a hop costs tens of microseconds).
    return runtime_of(request)


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


async def read_body(request: Request) -> bytes:
    return await request.body()


async def read_form(request: Request) -> FormData:
    return await request.form()  # Starlette keeps it: the CSRF check reads the same form


RawBody = Annotated[bytes, Depends(read_body)]
SubmittedForm = Annotated[FormData, Depends(read_form)]
