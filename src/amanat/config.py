"""One typed settings object, read from the environment (prefix ``AMANAT_``).

Every protection is on by default. Switching one off takes an explicit setting, and
``amanat doctor`` reports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from amanat.core.errors import ConfigError


class Settings(BaseSettings):
    """Amanat's configuration. Build it in the CLI callback or ``create_app``, never at import."""

    model_config = SettingsConfigDict(env_prefix="AMANAT_", extra="ignore")

    environment: Literal["production", "development", "test"] = Field(
        "production", description="`development` and `test` relax nothing about data protection."
    )
    data_dir: Path = Field(
        Path("./amanat-data"), description="Where the database, logs and certificate live."
    )
    key_dir: Path | None = Field(
        None,
        description="Where the key store lives; kept apart from the database. "
        "Default: `<data_dir>-keys` beside the data directory, never inside it.",
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default SQLite in the data directory."
    )
    policy: Path | None = Field(None, description="Policy file; default the shipped policy.")
    redis_url: str | None = Field(None, description="Redis for shared rate limits (optional).")
    smtp_url: str | None = Field(
        None, description="smtp://host:port for outgoing mail; default: kept in the outbox."
    )
    master_key: SecretStr | None = Field(
        None, description="Base64 master key; overrides the key file (for KMS-less deployments)."
    )
    keystore_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the key store; default SQLite `<key_dir>/keystore.db`. "
        "Must not be the main database.",
    )
    key_cache_seconds: float = Field(
        60.0, gt=0, le=3600, description="How long an unwrapped data key stays cached."
    )

    host: str = Field("127.0.0.1", description="Address the HTTPS server binds to.")
    port: int = Field(8443, ge=1, le=65535, description="Port the HTTPS server binds to.")
    public_url: str | None = Field(
        None, description="Base URL people reach Amanat at; default https://host:port."
    )
    tls_cert: Path | None = Field(None, description="Certificate; default the one `init` makes.")
    tls_key: Path | None = Field(None, description="Its private key.")

    # Accounts (issue 4) read these; they are here so that the defaults are in one place.
    require_email_verification: bool = True
    require_staff_mfa: bool = True
    throttling: bool = True
    csrf: bool = True
    secure_cookies: bool = True
    customer_idle_minutes: int = Field(30, ge=1)
    staff_idle_minutes: int = Field(15, ge=1)
    session_absolute_hours: int = Field(12, ge=1)
    reauth_minutes: int = Field(
        5,
        ge=1,
        le=10,
        description="How long a password (and second factor) entered again lets a session "
        "change the e-mail, the second factor, recovery codes or API tokens.",
    )
    password_reminder_days: int = Field(
        365, ge=1, description="Remind (never force) a customer whose password is older than this."
    )
    argon2_memory_kib: int = Field(19 * 1024, ge=19 * 1024, description="OWASP minimum: 19 MiB.")
    argon2_time_cost: int = Field(2, ge=2)
    argon2_parallelism: int = Field(1, ge=1)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    audit_checkpoint_every: int = Field(
        1000, ge=1, description="Sign a checkpoint of the audit chain every N events."
    )
    audit_checkpoint_minutes: int = Field(
        60, ge=1, description="...or when the last checkpoint is older than this many minutes."
    )

    # Support desk (issue 6).
    support_address: str = Field(
        "support@example.pk", description="The address customers write to for support."
    )
    support_smtp_listen: str = Field(
        "127.0.0.1:2525", description="host:port of the inbound support mail listener."
    )
    support_smtp_in_server: bool = Field(
        False, description="Also run the inbound mail listener inside `amanat serve`."
    )
    support_first_response_minutes: dict[str, int] = Field(
        {"urgent": 60, "high": 240, "normal": 480, "low": 1440},
        description="First-response target per priority, in minutes.",
    )
    support_resolution_minutes: dict[str, int] = Field(
        {"urgent": 480, "high": 1440, "normal": 4320, "low": 10080},
        description="Resolution target per priority, in minutes.",
    )

    @property
    def resolved_key_dir(self) -> Path:
        """AMANAT_KEY_DIR, else ``<data dir>-keys`` beside (never inside) the data directory,
        so that a copy or backup of the data directory does not carry the keys with it.

        Raises ConfigError when that default is taken but keys are still inside the data
        directory (``<data dir>/keys``, the old default): using a new, empty store would
        leave every record unreadable, so the operator moves it or names it explicitly.
        """
        if self.key_dir is not None:
            return self.key_dir
        data = self.data_dir.absolute()
        inside = data / "keys"
        if inside.is_dir():
            raise ConfigError(
                f"The key store is inside the data directory ({inside}), where a copy of the "
                f"data carries its keys; move it to {data.parent / (data.name + '-keys')}, or "
                f"set AMANAT_KEY_DIR={inside} to keep it there knowingly."
            )
        return data.parent / f"{data.name}-keys"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'amanat.db').resolve()}"

    @property
    def resolved_public_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"https://{self.host}:{self.port}"

    @property
    def cert_path(self) -> Path:
        return self.tls_cert or self.data_dir / "tls" / "localhost.crt"

    @property
    def cert_key_path(self) -> Path:
        return self.tls_key or self.data_dir / "tls" / "localhost.key"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "logs" / "amanat.jsonl"
