"""The unit of work of one request: opened for the handler, committed once when it returns.

``Uow`` is the parameter type: ``def handler(uow: Uow) -> ...``. ``scope="function"``
makes FastAPI run the commit right after the handler returns and before the response is
sent, so a commit that fails is an error response, never a 200 for a change that did not
persist. When the handler raises, nothing is committed (the unit of work rolls back).
A handler that must persist something and then refuse (a failed sign-in counter) calls
``uow.commit()`` itself before raising.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from starlette.concurrency import run_in_threadpool

from amanat.db.uow import UnitOfWork
from amanat.web.request import RuntimeDep


async def unit_of_work(runtime: RuntimeDep) -> AsyncIterator[UnitOfWork]:
    # Opening a unit of work makes a Session object and touches no database, so it runs
    # on the event loop; the commit and the close do I/O, so they run in the thread pool.
    uow = runtime.uow().__enter__()
    try:
        yield uow
        await run_in_threadpool(uow.commit)
    except BaseException as exc:
        await run_in_threadpool(uow.__exit__, type(exc), exc, exc.__traceback__)
        raise
    else:
        await run_in_threadpool(uow.__exit__, None, None, None)


Uow = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]
