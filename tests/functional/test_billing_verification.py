"""``AMANAT_REQUIRE_EMAIL_VERIFICATION`` governs ordering: on (the default), a customer who
has not opened the verification link cannot order through the API or the portal; off,
they can, and `amanat doctor` names the protection as off."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from amanat.app import create_app
from amanat.billing import catalogue
from amanat.billing.catalogue import DEMO_CATALOGUE
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.doctor import run_checks
from amanat.runtime import Runtime
from tests.conftest import SAME_ORIGIN
from tests.factories.accounts import PASSWORD, create_customer, signup_data

VERIFY_FIRST = "Verify your e-mail address before ordering"


def _runtime(settings: Settings, required: bool) -> Iterator[Runtime]:
    from amanat.install import initialise

    runtime = build_runtime(settings.model_copy(update={"require_email_verification": required}))
    initialise(runtime)
    with runtime.uow() as uow:
        catalogue.ensure_plans(uow, runtime, DEMO_CATALOGUE)
        uow.commit()
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture
def required(settings: Settings) -> Iterator[Runtime]:
    yield from _runtime(settings, True)


@pytest.fixture
def not_required(settings: Settings) -> Iterator[Runtime]:
    yield from _runtime(settings, False)


def _unverified_orders(runtime: Runtime) -> tuple[Any, Any]:
    """An unverified customer's order through the API, then through the portal page."""
    data = signup_data()
    create_customer(runtime, verified=False, **data)
    with TestClient(create_app(runtime), base_url="https://testserver", headers=SAME_ORIGIN) as web:
        login = web.post("/api/v1/auth/login", json={"email": data["email"], "password": PASSWORD})
        assert login.json()["status"] == "signed_in"
        api = web.post("/api/v1/services", json={"plan": "fibre-25", "quantity": 1})
        page = web.get("/billing")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        form = web.post(
            "/billing/order", data={"plan": "fibre-50", "quantity": "1", "csrf_token": token}
        )
        listed = web.get("/api/v1/services").json()
    return api, (form, listed)


def test_an_unverified_customer_cannot_order_while_verification_is_required(
    required: Runtime,
) -> None:
    api, (form, listed) = _unverified_orders(required)
    assert api.status_code == 403
    assert api.json()["message"].startswith(VERIFY_FIRST)
    assert form.status_code == 403 and VERIFY_FIRST in form.text
    assert listed == []  # nothing was written


def test_with_verification_off_an_unverified_customer_orders_and_doctor_says_it_is_off(
    not_required: Runtime,
) -> None:
    api, (form, listed) = _unverified_orders(not_required)
    assert api.status_code == 201, api.text
    assert form.status_code == 200 and "placed; the service is active" in form.text
    assert sorted(s["plan"] for s in listed) == ["fibre-25", "fibre-50"]
    finding = next(
        f for f in run_checks(not_required).findings
        if f.name == "e-mail verification before ordering"
    )  # fmt: skip
    assert finding.state == "off"
    assert "AMANAT_REQUIRE_EMAIL_VERIFICATION=false" in finding.detail
