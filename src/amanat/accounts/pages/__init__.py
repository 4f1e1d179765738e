"""The accounts domain's pages: sign-in for every principal (signin.py), the portal's
pages before sign-in (signup.py), the signed-in customer's account (portal.py) and the
password and sessions of every principal, with the staff member's account (own_account.py).

``router`` is the one router the domain registers, in this order.
"""

from __future__ import annotations

from fastapi import APIRouter

from amanat.accounts.pages import own_account, portal, signin, signup

router = APIRouter(include_in_schema=False)
router.include_router(signup.router)
router.include_router(signin.router)
router.include_router(portal.router)
router.include_router(own_account.router)
