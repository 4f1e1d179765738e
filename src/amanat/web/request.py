"""The runtime from a request: the one way a route reaches the running system.

``create_app`` puts the runtime on ``app.state``; routes take ``runtime: RuntimeDep`` or
call ``runtime_of(request)``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from amanat.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
