"""Master key providers, the key store's place, and the cache age across processes."""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.core.clock import SystemClock
from amanat.core.errors import ConfigError
from amanat.governance.service import rotate_master
from amanat.install import initialise
from amanat.runtime import Runtime
from amanat.vault import keystore_jobs
from amanat.vault.api import KeyDestroyed, UnknownKey
from amanat.vault.cipher import Vault
from amanat.vault.master import EnvMasterKeys

ALICE = "a" * 32


def _with_keys(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update={"keys": settings.keys.model_copy(update=changes)})


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_a_destroyed_key_stays_usable_elsewhere_no_longer_than_the_cache_age(
    runtime: Runtime,
) -> None:
    settings = runtime.settings.model_copy(
        update={"keys": runtime.settings.keys.model_copy(update={"cache_seconds": 0.2})}
    )
    other = Vault.from_settings(settings, SystemClock())  # another worker process, in effect
    try:
        ciphertext = runtime.vault.encrypt(ALICE, "customers", "name_ct", ALICE, "Canary")
        assert other.decrypt(ALICE, "customers", "name_ct", ALICE, ciphertext) == "Canary"
        runtime.vault.destroy_customer_key(ALICE)
        time.sleep(0.25)
        with pytest.raises(KeyDestroyed):
            other.decrypt(ALICE, "customers", "name_ct", ALICE, ciphertext)
    finally:
        other.close()


def test_the_master_key_can_come_from_the_environment_and_no_file_is_made(
    settings: Settings,
) -> None:
    first = _key()
    env_settings = _with_keys(settings, master_key=SecretStr(first))
    runtime = build_runtime(env_settings)
    try:
        report = initialise(runtime)
        assert "master key from environment (AMANAT_MASTER_KEY)" in report.unchanged
        assert not (settings.resolved_key_dir / "master.key").exists()
        ciphertext = runtime.vault.encrypt(ALICE, "customers", "name_ct", ALICE, "Canary")
        with pytest.raises(ConfigError, match="add version 2 to it"):
            rotate_master(runtime)
    finally:
        runtime.close()

    # The operator adds version 2; the rotation then rewraps everything under it.
    rotated = build_runtime(_with_keys(settings, master_key=SecretStr(f"1:{first},2:{_key()}")))
    try:
        report = rotate_master(rotated)
        assert (report.version, report.resumed) == (2, True)
        assert keystore_jobs.wrapped_counts(rotated.vault.keystore) == {2: 1}
        assert rotated.vault.decrypt(ALICE, "customers", "name_ct", ALICE, ciphertext) == "Canary"
    finally:
        rotated.close()

    # Dropping version 2 again (an operator mistake) is a clear error, not garbage.
    stale = Vault.from_settings(env_settings, SystemClock())
    try:
        with pytest.raises(UnknownKey, match="Master key version 2 is not available"):
            stale.decrypt(ALICE, "customers", "name_ct", ALICE, ciphertext)
    finally:
        stale.close()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not base64!", "not valid base64"),
        (base64.b64encode(b"short").decode(), "exactly 32 bytes"),
        ("0:" + base64.b64encode(bytes(32)).decode(), "one base64 key or a list"),
    ],
)
def test_a_bad_master_key_in_the_environment_is_one_sentence(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        EnvMasterKeys(value).current_version()


def test_a_master_key_file_readable_by_others_is_refused(runtime: Runtime) -> None:
    path = runtime.settings.resolved_key_dir / "master.key"
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o644)
    fresh = Vault.from_settings(runtime.settings, SystemClock())
    try:
        with pytest.raises(ConfigError, match="chmod 600"):
            fresh.encrypt(ALICE, "customers", "name_ct", ALICE, "Canary")
    finally:
        fresh.close()
        path.chmod(0o600)


def test_the_key_store_must_not_be_the_main_database(settings: Settings) -> None:
    url = settings.resolved_database_url
    with pytest.raises(ConfigError, match="names the main database"):
        build_runtime(_with_keys(settings, store_url=url))


def test_before_init_the_vault_says_to_run_init(tmp_path: Path) -> None:
    runtime = build_runtime(Settings(environment="test", data_dir=tmp_path / "nothing"))
    try:
        with pytest.raises(ConfigError, match="amanat init"):
            runtime.vault.encrypt(ALICE, "customers", "name_ct", ALICE, "Canary")
    finally:
        runtime.close()
    assert not (tmp_path / "nothing").exists()  # building a runtime created nothing
