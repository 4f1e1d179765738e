"""The disclosure register over HTTP and the CLI as an operator runs it (issue 14): a
data protection officer's read without a request is refused; register, two approvals,
export as a signed package; `amanat disclosure verify` fails a tampered one."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from amanat.audit.models import AuditEvent
from amanat.disclosure import package, service
from amanat.runtime import Runtime
from tests.conftest import amanat_env, run_amanat
from tests.factories.accounts import create_customer, create_staff
from tests.factories.disclosure import request_in


def _bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def _denials(runtime: Runtime) -> list[tuple[str | None, str]]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(AuditEvent.customer_id, AuditEvent.details).where(
                AuditEvent.code == "access.denied"
            )
        ).all()
    return [(r.customer_id, json.loads(r.details)["reason_code"]) for r in rows]


def test_a_data_protection_officer_cannot_read_a_customer_without_an_approved_request(
    client: Any, runtime: Runtime
) -> None:
    customer = create_customer(runtime, email="dpo.target@example.pk", cnic="35202-7100001-1")
    dpo = create_staff(runtime, "data_protection_officer")
    headers = _bearer(dpo.api_token, **{"X-Access-Purpose": "legal_obligation"})
    wanted = {"categories": "identity.cnic,contact.phone,technical.ip"}
    read = client.get(f"/api/v1/customers/{customer}", params=wanted, headers=headers)
    assert read.status_code == 403
    assert "needs the number of an open disclosure" in read.json()["message"]
    searched = client.post(
        "/api/v1/customers/search", json={"cnic": "35202-7100001-1"}, headers=headers
    )
    assert searched.status_code == 403 and "35202" not in searched.text
    guessed = client.get(
        f"/api/v1/customers/{customer}", params=wanted,
        headers={**headers, "X-Access-Reference": "D-1001"},
    )  # fmt: skip
    assert guessed.status_code == 403 and "approved request" in guessed.json()["message"]
    assert _denials(runtime) == [
        (customer, "reference_missing"), (customer, "reference_missing"),
        (customer, "reference_not_live"),
    ]  # fmt: skip


def test_register_approve_twice_and_export_through_the_api(
    client: Any, runtime: Runtime, tmp_path: Path
) -> None:
    customer = create_customer(runtime, email="api.subject@example.pk")
    registrar, first, second = (
        create_staff(runtime, role) for role in ("data_protection_officer", "legal", "legal")
    )
    agent = create_staff(runtime, "support_agent")
    body = request_in(runtime, ["api.subject@example.pk"]).model_dump()
    assert (
        client.post(
            "/api/v1/disclosure/requests", json=body, headers=_bearer(agent.api_token)
        ).status_code
        == 403
    )
    made = client.post(
        "/api/v1/disclosure/requests", json=body, headers=_bearer(registrar.api_token)
    )
    assert made.status_code == 201, made.text
    number = made.json()["number"]
    url = f"/api/v1/disclosure/requests/{number}"
    own = client.post(f"{url}/approve", headers=_bearer(registrar.api_token))
    assert own.status_code == 403 and "registered" in own.json()["message"]
    assert client.post(f"{url}/approve", headers=_bearer(first.api_token)).json()["approvals"] == 1
    early = client.post(f"{url}/export", headers=_bearer(first.api_token))
    assert early.status_code == 409 and "needs its approvals" in early.json()["message"]
    approved = client.post(f"{url}/approve", headers=_bearer(second.api_token))
    assert approved.json()["status"] == "approved"
    detail = client.get(url, headers=_bearer(first.api_token)).json()
    assert detail["scope"] == [customer] and [d["decision"] for d in detail["decisions"]] == [
        "approve", "approve",
    ]  # fmt: skip
    exported = client.post(f"{url}/export", headers=_bearer(first.api_token))
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "application/zip"
    assert f'filename="{number}.zip"' in exported.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    data = json.loads(archive.read("data.json"))
    (subject,) = data["subjects"]
    assert subject["customer"] == customer
    assert subject["records"]["profile"][0]["email"] == "api.subject@example.pk"
    assert archive.read("report.pdf").startswith(b"%PDF")
    saved = tmp_path / "package.zip"
    saved.write_bytes(exported.content)
    assert service.verify_package(runtime, saved).intact
    again = client.post(f"{url}/export", headers=_bearer(second.api_token))
    assert again.status_code == 409
    listed = client.get("/api/v1/disclosure/requests", headers=_bearer(first.api_token)).json()
    assert [(r["number"], r["status"]) for r in listed] == [(number, "disclosed")]


def test_bad_register_input_is_a_422_sentence(client: Any, runtime: Runtime) -> None:
    dpo = create_staff(runtime, "data_protection_officer")
    body = request_in(runtime, ["x@example.pk"]).model_dump()
    for change, words in (
        ({"deadline": "31/12/2025"}, "YYYY-MM-DD"),
        ({"authority": "nsa"}, "kind of authority"),
        ({"customers": ["????"]}, "Line 1 of the customers"),
    ):
        answer = client.post(
            "/api/v1/disclosure/requests", json={**body, **change}, headers=_bearer(dpo.api_token)
        )
        assert answer.status_code == 422 and words in answer.json()["message"], change
    extra = client.post(
        "/api/v1/disclosure/requests", json={**body, "approved": True},
        headers=_bearer(dpo.api_token),
    )  # fmt: skip
    assert extra.status_code == 422
    missing = client.get("/api/v1/disclosure/requests/D-4242", headers=_bearer(dpo.api_token))
    assert missing.status_code == 404 and "no such request" in missing.json()["message"]


def test_the_transparency_report_is_public_and_hides_small_counts(
    client: Any, runtime: Runtime
) -> None:
    dpo = create_staff(runtime, "data_protection_officer")
    for _ in range(10):
        with runtime.uow() as uow:
            service.register(uow, runtime, dpo.actor, request_in(runtime, [], authority="pta"))
            uow.commit()
    with runtime.uow() as uow:
        service.register(uow, runtime, dpo.actor, request_in(runtime, [], authority="court"))
        uow.commit()
    report = client.get("/api/v1/transparency").json()
    assert report["k"] == 10
    (half,) = report["half_years"]
    cells = {(c["authority"], c["outcome"]): c for c in half["cells"]}
    assert cells[("pta", "pending")]["count"] == 10
    assert cells[("court", "pending")] == {
        "authority": "court", "authority_title": "Courts", "outcome": "pending", "count": None,
        "shown": "fewer than 10",
    }  # fmt: skip
    assert cells[("fia", "disclosed")]["shown"] == "fewer than 10"  # zero is hidden too
    page = client.get("/transparency")
    assert page.status_code == 200 and "fewer than 10" in page.text
    assert '<td data-authority="pta" data-outcome="pending">10</td>' in page.text


def _tamper(source: bytes, *, replace: dict[str, bytes] | None = None, drop: str | None = None,
            add: dict[str, bytes] | None = None) -> bytes:  # fmt: skip
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w") as new:
        for name in old.namelist():
            if name != drop:
                new.writestr(name, (replace or {}).get(name, old.read(name)))
        for name, data in (add or {}).items():
            new.writestr(name, data)
    return out.getvalue()


def test_verify_fails_a_tampered_package(runtime: Runtime, tmp_path: Path) -> None:
    from tests.factories.disclosure import approved_request

    customer = create_customer(runtime, email="verify.subject@example.pk")
    team, number = approved_request(runtime, [customer])
    with runtime.uow() as uow:
        made = service.export_request(uow, runtime, team.first.actor, number)
        uow.commit()
    intact = tmp_path / f"{number}.zip"
    intact.write_bytes(made.content)
    settings = runtime.settings
    extra = {"AMANAT_DATABASE_URL": settings.database_url} if settings.database_url else {}
    env = amanat_env(settings.data_dir, **extra)
    ok = run_amanat("disclosure", "verify", str(intact), env=env)
    assert ok.returncode == 0, ok.stderr
    assert f"Request {number}, 2 files" in ok.stdout and "intact" in ok.stdout

    original = zipfile.ZipFile(intact)
    data = original.read("data.json").replace(b"verify.subject", b"someone.else")
    manifest = json.loads(original.read("manifest.json"))
    manifest["files"] = [f for f in manifest["files"] if f["name"] != "report.pdf"]
    unrecorded = package.build(runtime, number, "fia", runtime.clock.now(), {"data.json": data})
    cases = {
        "altered-data": (
            _tamper(made.content, replace={"data.json": data}),
            "data.json was altered",
        ),
        "re-hashed-manifest": (
            _tamper(made.content, replace={"manifest.json": json.dumps(manifest).encode()}),
            "signature does not verify",
        ),
        "extra-file": (_tamper(made.content, add={"note.txt": b"hi"}), "does not list"),
        "missing-file": (
            _tamper(made.content, drop="report.pdf"),
            "report.pdf listed in the manifest is missing",
        ),
        "not-recorded": (unrecorded.content, "records no export"),
        "not-a-zip": (b"%PDF-1.7 not a package", "not a ZIP file"),
    }
    for name, (content, words) in cases.items():
        path = tmp_path / f"{name}.zip"
        path.write_bytes(content)
        report = service.verify_package(runtime, path)
        assert not report.intact and report.problem is not None and words in report.problem, name
    refused = run_amanat("disclosure", "verify", str(tmp_path / "altered-data.zip"), env=env)
    assert (
        refused.returncode == 1 and "NOT INTACT" in refused.stderr and "altered" in refused.stderr
    )
    missing = run_amanat("disclosure", "verify", str(tmp_path / "nothing.zip"), env=env)
    assert missing.returncode == 2 and "There is no file" in missing.stderr
    listed = run_amanat("disclosure", "list", env=env)
    assert listed.returncode == 0 and number in listed.stdout and "disclosed" in listed.stdout
