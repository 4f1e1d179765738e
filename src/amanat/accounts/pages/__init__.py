"""The accounts domain's pages: sign-in for every principal (signin.py), the portal's
pages before sign-in (signup.py) and the signed-in customer's account (portal.py).

``router`` is the one router the domain registers, in this order.
"""

from __future__ import annotations

from fastapi import APIRouter

from amanat.accounts.pages import portal, signin, signup

router = APIRouter(include_in_schema=False)
router.include_router(signup.router)
router.include_router(signin.router)
router.include_router(portal.router)
