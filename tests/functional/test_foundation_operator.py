"""What the operator sees when the set-up is wrong, through the real `amanat` command.

Each case: one sentence naming what to fix, a non-zero exit, no traceback, and nothing
half-created. And `amanat init` run twice changes nothing.
"""

from __future__ import annotations

import hashlib
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import amanat_env, run_amanat


def snapshot(root: Path) -> dict[str, str]:
    """Every file and directory under ``root`` with a digest of its content."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        found[relative] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "/"
    return found


def assert_one_sentence(stderr: str, *phrases: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield int(listener.getsockname()[1])


@pytest.mark.parametrize("command", ["init", "serve", "demo"])
def test_a_data_directory_under_a_file_is_refused(tmp_path: Path, command: str) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("an operator's file\n")
    before = snapshot(tmp_path)
    result = run_amanat(command, env=amanat_env(blocker / "data"))
    assert result.returncode == 2
    if command == "serve":  # serve makes nothing, so it says what is missing
        assert_one_sentence(result.stderr, "run `amanat init` first", "AMANAT_DATA_DIR")
    else:
        assert_one_sentence(
            result.stderr,
            f"The data directory {blocker / 'data'} cannot be made because {blocker} is a "
            "file, not a directory",
            "AMANAT_DATA_DIR",
        )
    assert snapshot(tmp_path) == before


def test_a_file_system_that_refuses_directories_is_refused(tmp_path: Path) -> None:
    # sysfs refuses mkdir even to root, whose os.access() checks always pass: the check
    # must try, not trust permission bits.
    try:
        Path(tempfile.mkdtemp(dir="/sys")).rmdir()
    except OSError:
        pass
    else:
        pytest.skip("/sys accepts new directories here")
    result = run_amanat("init", env=amanat_env(Path("/sys/amanat-data")))
    assert result.returncode == 2
    assert_one_sentence(
        result.stderr, "The data directory /sys/amanat-data is not writable", "AMANAT_DATA_DIR"
    )
    assert not Path("/sys/amanat-data").exists()


def test_a_key_directory_under_a_file_is_refused_before_anything_is_made(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x\n")
    env = amanat_env(tmp_path / "data", AMANAT_KEY_DIR=str(blocker / "keys"))
    result = run_amanat("init", env=env)
    assert result.returncode == 2
    assert_one_sentence(result.stderr, "The key directory", "AMANAT_KEY_DIR")
    assert not (tmp_path / "data").exists()


def test_serve_on_a_port_in_use_is_refused(tmp_path: Path, busy_port: int) -> None:
    env = amanat_env(tmp_path / "data", AMANAT_PORT=str(busy_port))
    assert run_amanat("init", env=env).returncode == 0
    before = snapshot(tmp_path)
    result = run_amanat("serve", env=env)
    assert result.returncode == 2
    assert result.stdout == ""  # no "serving" line for a server that never served
    assert_one_sentence(result.stderr, f"Port {busy_port} on 127.0.0.1 is in use", "AMANAT_PORT")
    assert snapshot(tmp_path) == before


def test_demo_on_a_port_in_use_creates_nothing(tmp_path: Path, busy_port: int) -> None:
    env = amanat_env(tmp_path / "data", AMANAT_PORT=str(busy_port))
    result = run_amanat("demo", env=env)
    assert result.returncode == 2
    assert_one_sentence(result.stderr, f"Port {busy_port} on 127.0.0.1 is in use", "AMANAT_PORT")
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("command", ["init", "serve", "demo"])
def test_a_database_that_does_not_answer_is_refused(tmp_path: Path, command: str) -> None:
    port = closed_port()
    url = f"postgresql://amanat:Sekr1t-Canary@127.0.0.1:{port}/amanat"
    env = amanat_env(tmp_path / "data", AMANAT_DATABASE_URL=url)
    result = run_amanat(command, env=env)
    assert result.returncode == 2
    assert_one_sentence(
        result.stderr,
        f"The database at postgresql+psycopg://amanat:***@127.0.0.1:{port}/amanat does not answer",
        "AMANAT_DATABASE_URL",
    )
    assert "Sekr1t" not in result.stderr + result.stdout
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("url", "phrase"),
    [
        ("mysql://root:Sekr1t@db/amanat", "not 'mysql'"),
        ("amanat.db", "not 'no scheme'"),
        ("postgresql://u:Sekr1t@db:port/amanat", "is not a valid URL"),
    ],
)
def test_a_database_url_amanat_cannot_use_is_refused(tmp_path: Path, url: str, phrase: str) -> None:
    result = run_amanat("init", env=amanat_env(tmp_path / "data", AMANAT_DATABASE_URL=url))
    assert result.returncode == 2
    assert_one_sentence(result.stderr, "AMANAT_DATABASE_URL", phrase)
    assert "Sekr1t" not in result.stderr
    assert not (tmp_path / "data").exists()


def test_an_invalid_setting_names_the_variable(tmp_path: Path) -> None:
    result = run_amanat("init", env=amanat_env(tmp_path / "data", AMANAT_PORT="https"))
    assert result.returncode == 2
    assert_one_sentence(result.stderr, "Setting AMANAT_PORT is invalid")
    assert not (tmp_path / "data").exists()


def test_serve_before_init_says_so_and_creates_nothing(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    result = run_amanat("serve", env=amanat_env(tmp_path / "data"))
    assert result.returncode == 2
    assert_one_sentence(result.stderr, "run `amanat init` first")
    assert list((tmp_path / "data").iterdir()) == []


def test_init_twice_changes_nothing(tmp_path: Path, database_url: str | None) -> None:
    extra = {"AMANAT_DATABASE_URL": database_url} if database_url else {}
    env = amanat_env(tmp_path / "data", **extra)
    first = run_amanat("init", env=env)
    assert first.returncode == 0, first.stderr
    assert "created   data directory" in first.stdout
    keys = {
        p: p.read_bytes()
        for p in (tmp_path / "data").rglob("*")
        if p.is_file() and p.suffix != ".db" and "amanat.db" not in p.name and "logs" not in p.parts
    }
    assert keys, "init made no key or certificate files"
    second = run_amanat("init", env=env)
    assert second.returncode == 0, second.stderr
    assert "created" not in second.stdout
    assert all(line.startswith("unchanged ") for line in second.stdout.splitlines()), second.stdout
    for path, content in keys.items():
        assert path.read_bytes() == content, path
    key_dir = tmp_path / "data-keys"
    master = [p for p in key_dir.rglob("*") if p.is_file() and "master" in p.name]
    assert master, "no master key file in the key store"
    for path in master:
        assert path.stat().st_mode & 0o777 == 0o600


def test_the_default_key_store_lives_beside_the_data_directory_not_in_it(tmp_path: Path) -> None:
    env = amanat_env(tmp_path / "data")
    assert run_amanat("init", env=env).returncode == 0
    assert (tmp_path / "data-keys" / "master.key").is_file()
    inside = [
        p for p in (tmp_path / "data").rglob("*") if "master" in p.name or "keystore" in p.name
    ]
    assert inside == []  # a copy of the data directory carries no key


def test_keys_left_inside_the_data_directory_refuse_to_start_without_a_setting(
    tmp_path: Path,
) -> None:
    legacy = tmp_path / "data"
    assert (
        run_amanat("init", env=amanat_env(legacy, AMANAT_KEY_DIR=str(legacy / "keys"))).returncode
        == 0
    )
    before = snapshot(tmp_path)
    for command in ("init", "serve"):
        refused = run_amanat(command, env=amanat_env(legacy))
        assert refused.returncode == 2, refused.stderr
        assert_one_sentence(
            refused.stderr, "The key store is inside the data directory", "AMANAT_KEY_DIR"
        )
    assert snapshot(tmp_path) == before  # no new, empty key store was made beside it
    kept = run_amanat("keys", "status", env=amanat_env(legacy, AMANAT_KEY_DIR=str(legacy / "keys")))
    assert kept.returncode == 0, kept.stderr
