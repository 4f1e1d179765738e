"""`amanat audit verify|export` and `amanat staff train|list`, as an operator runs them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.runtime import Runtime
from tests.conftest import amanat_env, run_amanat
from tests.factories.accounts import create_staff


def env_for(runtime: Runtime) -> dict[str, str]:
    settings = runtime.settings
    extra = {"AMANAT_DATABASE_URL": settings.database_url} if settings.database_url else {}
    return amanat_env(settings.data_dir, AMANAT_AUDIT_CHECKPOINT_EVERY="3", **extra)


def test_verify_passes_on_an_intact_log_and_names_the_first_bad_event(runtime: Runtime) -> None:
    for i in range(5):
        with runtime.uow() as uow:
            audit.record(uow, runtime.clock, Event.ACCESS_GRANTED, Actor.system(f"job{i}"))
            uow.commit()
    intact = run_amanat("audit", "verify", env=env_for(runtime))
    assert intact.returncode == 0, intact.stderr
    assert "audit log intact: 5 events and 1 signed checkpoints verified" in intact.stdout

    exported = run_amanat("audit", "export", "--since", "2000-01-01", env=env_for(runtime))
    assert exported.returncode == 0, exported.stderr
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [line["seq"] for line in lines if not line.get("checkpoint")] == [1, 2, 3, 4, 5]

    # Tamper as someone with database access would: without the triggers.
    with runtime.engine.begin() as conn:
        if runtime.engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(text("UPDATE audit_events SET actor_id = 'job:other' WHERE seq = 4"))
        if runtime.engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
    broken = run_amanat("audit", "verify", env=env_for(runtime))
    assert broken.returncode == 1
    assert "BROKEN at sequence 4" in broken.stdout


def test_export_refuses_a_malformed_date(runtime: Runtime) -> None:
    result = run_amanat("audit", "export", "--since", "01/07/2025", env=env_for(runtime))
    assert result.returncode == 2
    assert "YYYY-MM-DD" in result.stderr and "Traceback" not in result.stderr


def test_staff_train_records_training_and_staff_list_shows_it(runtime: Runtime) -> None:
    member = create_staff(runtime, "support_agent", trained=False)
    listed = run_amanat("staff", "list", env=env_for(runtime))
    assert listed.returncode == 0, listed.stderr
    assert "missing" in listed.stdout
    trained = run_amanat(
        "staff", "train", member.email, "--completed", "2026-01-15", env=env_for(runtime)
    )
    assert trained.returncode == 0, trained.stderr
    assert "2026-01-15" in trained.stdout
    assert "2026-01-15" in run_amanat("staff", "list", env=env_for(runtime)).stdout
    future = run_amanat(
        "staff", "train", member.email, "--completed", "2999-01-01", env=env_for(runtime)
    )
    assert future.returncode == 2 and "in the future" in future.stderr
    unknown = run_amanat(
        "staff", "train", "nobody@example.com", "--completed", "2026-01-15", env=env_for(runtime)
    )
    assert unknown.returncode == 2 and "no such staff member" in unknown.stderr


def test_staff_train_refuses_a_malformed_date(runtime: Runtime, tmp_path: Any) -> None:
    result = run_amanat(
        "staff", "train", "x@example.com", "--completed", "yesterday", env=env_for(runtime)
    )
    assert result.returncode == 2 and "YYYY-MM-DD" in result.stderr
