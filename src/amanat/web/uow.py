"""The unit of work of one request: opened for the handler, committed once when it returns.

``Uow`` is the parameter type: ``def handler(uow: Uow) -> ...``. ``scope="function"``
makes FastAPI run the commit right after the handler returns and before the response is
sent, so a commit that fails is an error response, never a 200 for a change that did not
persist. When the handler raises, nothing is committed (the unit of work rolls back).
A handler that must persist something and then refuse (a failed sign-in counter) calls
``uow.commit()`` itself before raising.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends

from amanat.db.uow import UnitOfWork
from amanat.web.request import RuntimeDep


def unit_of_work(runtime: RuntimeDep) -> Iterator[UnitOfWork]:
    with runtime.uow() as uow:
        yield uow
        uow.commit()


Uow = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]
