"""`amanat policy check|show` and a broken AMANAT_POLICY at start-up, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from amanat.policy.loader import default_policy_text
from tests.conftest import amanat_env, run_amanat

SHIPPED = default_policy_text()


def two_mistakes() -> str:
    """The shipped policy with an unparseable retention and a role for an unknown purpose."""
    text = SHIPPED.replace("keep: P18M", "keep: soon", 1)
    text = text.replace("purposes: [analytics]", "purposes: [analytix]", 1)
    assert text.count("soon") == 1
    assert text.count("analytix") == 1
    return text


@pytest.fixture
def bad_policy(tmp_path: Path) -> Path:
    path = tmp_path / "bad-policy.yaml"
    path.write_text(two_mistakes())
    return path


def assert_lists_both_problems(stderr: str, path: Path) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 3, stderr
    assert lines[0].startswith(f"{path}:")
    assert "retention of 'usage.record': 'soon' is not an ISO 8601 duration" in lines[0]
    assert lines[1].startswith(f"{path}:")
    assert "unknown purpose 'analytix'; did you mean 'analytics'?" in lines[1]
    assert lines[2] == (
        f"The policy file {path} has 2 problems; fix them and check again with "
        "`amanat policy check`."
    )
    assert "Traceback" not in stderr


def test_check_accepts_the_shipped_policy(tmp_path: Path) -> None:
    result = run_amanat("policy", "check", env=amanat_env(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<shipped default.yaml>: valid — ")
    assert not (tmp_path / "data").exists()


def test_check_accepts_a_valid_copy(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(SHIPPED)
    result = run_amanat("policy", "check", str(path), env=amanat_env(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{path}: valid — ")


def test_check_prints_every_problem_and_exits_2(tmp_path: Path, bad_policy: Path) -> None:
    result = run_amanat("policy", "check", str(bad_policy), env=amanat_env(tmp_path / "data"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert_lists_both_problems(result.stderr, bad_policy)


def test_check_without_a_file_checks_the_policy_in_force(tmp_path: Path, bad_policy: Path) -> None:
    env = amanat_env(tmp_path / "data", AMANAT_POLICY=str(bad_policy))
    result = run_amanat("policy", "check", env=env)
    assert result.returncode == 2
    assert_lists_both_problems(result.stderr, bad_policy)


def test_check_of_a_missing_file_is_one_sentence(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    result = run_amanat("policy", "check", str(missing), env=amanat_env(tmp_path / "data"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[0] == (
        f"{missing}: cannot be read (No such file or directory); check the path"
    )
    assert "Traceback" not in result.stderr


def test_show_prints_every_id_whole(tmp_path: Path) -> None:
    result = run_amanat("policy", "show", env={**amanat_env(tmp_path / "d"), "COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load(SHIPPED)
    lines = result.stdout.splitlines()
    for section in ("categories", "purposes", "roles"):
        for item in data[section]:
            # the id stands whole in the first column of its table row
            assert any(line.startswith(f"│ {item['id']} ") for line in lines), item["id"]
    assert "Sharing: sale=False; only for legal_obligation." in result.stdout


def test_show_json_is_the_policy_in_force(tmp_path: Path) -> None:
    data = yaml.safe_load(SHIPPED)
    data["categories"] = [c for c in data["categories"] if c["id"] != "comms.message"]
    for purpose in data["purposes"]:
        purpose["writes"] = [c for c in purpose.get("writes", []) if c != "comms.message"]
        purpose["reads"] = [c for c in purpose.get("reads", []) if c != "comms.message"]
    path = tmp_path / "smaller.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    env = amanat_env(tmp_path / "data", AMANAT_POLICY=str(path))
    result = run_amanat("policy", "show", "--json", env=env)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert [c["id"] for c in shown["categories"]] == [c["id"] for c in data["categories"]]
    assert "comms.message" not in {c["id"] for c in shown["categories"]}
    assert [p["id"] for p in shown["purposes"]] == [p["id"] for p in data["purposes"]]
    assert [r["id"] for r in shown["roles"]] == [r["id"] for r in data["roles"]]


@pytest.mark.parametrize("command", ["init", "serve", "demo"])
def test_a_broken_policy_stops_start_up_before_anything_is_made(
    tmp_path: Path, bad_policy: Path, command: str
) -> None:
    data_dir = tmp_path / "data"
    env = amanat_env(data_dir, AMANAT_POLICY=str(bad_policy))
    result = run_amanat(command, env=env)
    assert result.returncode == 2
    assert_lists_both_problems(result.stderr, bad_policy)
    assert not data_dir.exists()
