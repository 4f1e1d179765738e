"""`amanat keys status|rotate|replay-erasures` through the installed command."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import amanat_env, run_amanat


def test_keys_commands_show_rotate_and_explain_mistakes(tmp_path: Path) -> None:
    env = amanat_env(tmp_path / "data")
    before = run_amanat("keys", "status", env=env)
    assert before.returncode == 2
    assert "run `amanat init`" in before.stderr and "Traceback" not in before.stderr

    assert run_amanat("init", env=env).returncode == 0
    status = run_amanat("keys", "status", env=env)
    assert status.returncode == 0, status.stderr
    assert "Master key: key file" in status.stdout
    assert "│ 1       │" in status.stdout and "yes" in status.stdout

    neither = run_amanat("keys", "rotate", env=env)
    assert neither.returncode == 2
    assert "Choose exactly one of --master or --customer-keys." in neither.stderr

    rotated = run_amanat("keys", "rotate", "--master", env=env)
    assert rotated.returncode == 0, rotated.stderr
    assert "master key version 2 now wraps every key" in rotated.stdout

    customer = run_amanat("keys", "rotate", "--customer-keys", env=env)
    assert customer.returncode == 0, customer.stderr
    assert "new data keys" in customer.stdout

    (tmp_path / "data-keys" / "master.key").chmod(0o644)
    exposed = run_amanat("keys", "rotate", "--master", env=env)
    assert exposed.returncode == 2 and "chmod 600" in exposed.stderr
