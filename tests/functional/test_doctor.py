"""`amanat doctor` through the real CLI, on both databases: 0 when all is well, 1 naming
what is off or failing, never a traceback, never personal data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib import metadata

from sqlalchemy import text

from amanat.audit import service as audit
from amanat.audit.events import Event
from amanat.core.actor import Actor
from amanat.runtime import Runtime
from tests.conftest import amanat_env, run_amanat
from tests.factories.accounts import create_staff

OFF_SETTINGS = (
    "AMANAT_REQUIRE_EMAIL_VERIFICATION",
    "AMANAT_REQUIRE_STAFF_MFA",
    "AMANAT_THROTTLING",
    "AMANAT_CSRF",
    "AMANAT_SECURE_COOKIES",
)


def env_for(runtime: Runtime, **extra: str) -> dict[str, str]:
    settings = runtime.settings
    if settings.database_url:
        extra["AMANAT_DATABASE_URL"] = settings.database_url
    return amanat_env(settings.data_dir, **extra)


def _doctor(runtime: Runtime, **extra: str) -> tuple[int, str]:
    done = run_amanat("doctor", env=env_for(runtime, **extra))
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done.returncode, done.stdout


def test_a_sound_installation_is_reported_line_by_line_and_exits_0(runtime: Runtime) -> None:
    member = create_staff(runtime, "support_agent")
    with runtime.uow() as uow:
        audit.record(uow, runtime.clock, Event.ACCESS_GRANTED, Actor.system("tests"))
        uow.commit()
    code, out = _doctor(runtime)
    assert code == 0, out
    assert out.rstrip().endswith("doctor: all is well.")
    for line in (
        "  ok   CSRF tokens on every form: on",
        "  ok   second factor for every staff role: on",
        "  ok   Secure, __Host- session cookies: on",
        "  ok   throttle store: the database",
        "  ok   security training: 1 staff member(s), none lapsed",
        f"  ok   policy in force: <shipped default.yaml> sha256 {runtime.loaded_policy.sha256}",
        f"  ok   fastapi: {metadata.version('fastapi')}",
    ):
        assert line in out.splitlines(), line
    assert "master key file:" in out and "mode 0600" in out
    assert "master key age: version 1, 0 days old" in out
    assert "audit verify: intact:" in out
    assert "OFF" not in out and "FAIL" not in out
    assert member.email not in out


def test_every_protection_switched_off_is_named_with_its_setting_and_exits_1(
    runtime: Runtime,
) -> None:
    code, out = _doctor(runtime, **dict.fromkeys(OFF_SETTINGS, "false"))
    assert code == 1
    for variable in OFF_SETTINGS:
        assert f"off by {variable}=false; remove that setting" in out
    assert out.count("  OFF  ") == len(OFF_SETTINGS)
    assert out.rstrip().endswith(
        f"doctor: {len(OFF_SETTINGS)} finding(s) need attention (OFF or FAIL above)."
    )


def test_untrained_staff_and_a_broken_audit_log_are_reported(runtime: Runtime) -> None:
    trained = create_staff(runtime, "support_agent")
    untrained = create_staff(runtime, "billing_officer", trained=False)
    with runtime.engine.begin() as conn:
        number = conn.execute(
            text("SELECT number FROM staff_members WHERE id = :id"), {"id": untrained.id}
        ).scalar_one()
        if runtime.engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(text("UPDATE audit_events SET actor_id = 'job:other' WHERE seq = 2"))
        if runtime.engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
    code, out = _doctor(runtime)
    assert code == 1
    assert f"#{number} billing_officer (missing)" in out
    assert "OFF  security training: 1 refused personal data until trained" in out
    assert "FAIL audit verify: BROKEN at sequence 2" in out
    assert trained.email not in out and untrained.email not in out


def test_an_old_master_key_and_a_master_key_file_others_can_read_are_reported(
    runtime: Runtime,
) -> None:
    key_file = runtime.settings.resolved_key_dir / "master.key"
    document = json.loads(key_file.read_text())
    two_years_ago = datetime.now(UTC) - timedelta(days=730)
    for version in document["versions"]:
        version["created_at"] = two_years_ago.isoformat()
    key_file.write_text(json.dumps(document))
    key_file.chmod(0o600)
    code, out = _doctor(runtime)
    assert code == 1
    assert (
        "OFF  master key age: version 1 is 730 days old; run `amanat keys rotate --master`" in out
    )

    key_file.chmod(0o644)
    code, out = _doctor(runtime)
    assert code == 1
    assert f"FAIL master key file: {key_file} has mode 0644; run `chmod 600 {key_file}`" in out
    # The checks that need the key say why they could not run, in the key store's words.
    assert f"FAIL check: could not be checked: The master key file {key_file} is readable" in out
