"""One typed settings object, read from the environment (prefix ``AMANAT_``).

Every protection is on by default. Switching one off takes an explicit setting, and
``amanat doctor`` reports it; ``amanat doctor --settings`` lists every setting.

Settings that belong to one part of Amanat live in a section (``settings.keys``,
``settings.audit``, ``settings.support``, ``settings.billing``). A section's fields name
their environment variable in full (``validation_alias``), so the variables keep the
names operators already use and a grep for a variable finds its declaration.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from amanat.core.errors import ConfigError


class _Section(BaseSettings):
    """A group of settings; each field's ``validation_alias`` is its environment variable."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)


class KeySettings(_Section):
    """The vault's keys: where they live and how long an unwrapped one is kept."""

    dir: Path | None = Field(
        None,
        validation_alias="AMANAT_KEY_DIR",
        description="Where the key store lives; kept apart from the database. "
        "Default: `<data_dir>-keys` beside the data directory, never inside it.",
    )
    master_key: SecretStr | None = Field(
        None,
        validation_alias="AMANAT_MASTER_KEY",
        description="Base64 master key; overrides the key file (for KMS-less deployments).",
    )
    store_url: str | None = Field(
        None,
        validation_alias="AMANAT_KEYSTORE_URL",
        description="SQLAlchemy URL of the key store; default SQLite `<key_dir>/keystore.db`. "
        "Must not be the main database.",
    )
    cache_seconds: float = Field(
        60.0,
        gt=0,
        le=3600,
        validation_alias="AMANAT_KEY_CACHE_SECONDS",
        description="How long an unwrapped data key stays cached.",
    )


class AuditSettings(_Section):
    """When the audit chain's head is signed."""

    checkpoint_every: int = Field(
        1000,
        ge=1,
        validation_alias="AMANAT_AUDIT_CHECKPOINT_EVERY",
        description="Sign a checkpoint of the audit chain every N events.",
    )
    checkpoint_minutes: int = Field(
        60,
        ge=1,
        validation_alias="AMANAT_AUDIT_CHECKPOINT_MINUTES",
        description="...or when the last checkpoint is older than this many minutes.",
    )


class SupportSettings(_Section):
    """The support desk (issue 6): its mailbox and its service targets."""

    address: str = Field(
        "support@example.pk",
        validation_alias="AMANAT_SUPPORT_ADDRESS",
        description="The address customers write to for support.",
    )
    smtp_listen: str = Field(
        "127.0.0.1:2525",
        validation_alias="AMANAT_SUPPORT_SMTP_LISTEN",
        description="host:port of the inbound support mail listener.",
    )
    smtp_in_server: bool = Field(
        False,
        validation_alias="AMANAT_SUPPORT_SMTP_IN_SERVER",
        description="Also run the inbound mail listener inside `amanat serve`.",
    )
    first_response_minutes: dict[str, int] = Field(
        {"urgent": 60, "high": 240, "normal": 480, "low": 1440},
        validation_alias="AMANAT_SUPPORT_FIRST_RESPONSE_MINUTES",
        description="First-response target per priority, in minutes (JSON object).",
    )
    resolution_minutes: dict[str, int] = Field(
        {"urgent": 480, "high": 1440, "normal": 4320, "low": 10080},
        validation_alias="AMANAT_SUPPORT_RESOLUTION_MINUTES",
        description="Resolution target per priority, in minutes (JSON object).",
    )


class BillingSettings(_Section):
    """Billing (issue 7): the payment processor, the tax table and the billing calendar."""

    psp_url: str = Field(
        "http://127.0.0.1:8444",
        validation_alias="AMANAT_PSP_URL",
        description="The processor's API base URL.",
    )
    psp_api_key: SecretStr | None = Field(
        None, validation_alias="AMANAT_PSP_API_KEY", description="The processor's secret API key."
    )
    psp_webhook_secret: SecretStr | None = Field(
        None,
        validation_alias="AMANAT_PSP_WEBHOOK_SECRET",
        description="The secret the processor signs webhooks with.",
    )
    webhook_tolerance_seconds: int = Field(
        300,
        ge=30,
        le=3600,
        validation_alias="AMANAT_WEBHOOK_TOLERANCE_SECONDS",
        description="Webhooks signed longer ago than this are refused.",
    )
    tax_table: Path | None = Field(
        None,
        validation_alias="AMANAT_BILLING_TAX_TABLE",
        description="Tax table; default the shipped one.",
    )
    due_days: int = Field(
        14,
        ge=1,
        le=90,
        validation_alias="AMANAT_BILLING_DUE_DAYS",
        description="Days from issue to due date.",
    )
    reminder_days: list[int] = Field(
        default_factory=lambda: [1, 7],
        validation_alias="AMANAT_BILLING_REMINDER_DAYS",
        description="Days after the due date to send reminders (JSON list).",
    )
    grace_days: int = Field(
        21,
        ge=1,
        le=120,
        validation_alias="AMANAT_BILLING_GRACE_DAYS",
        description="Days after the due date before services are suspended.",
    )
    provider_ntn: str = Field(
        "0000000-0",
        validation_alias="AMANAT_BILLING_PROVIDER_NTN",
        description="The provider's NTN printed on invoices and certificates.",
    )


class MailSettings(_Section):
    """Outgoing mail (issue 12): credentials, sender, retries and DKIM for AMANAT_SMTP_URL."""

    username: str | None = Field(
        None,
        validation_alias="AMANAT_SMTP_USERNAME",
        description="SMTP user name; overrides the one in AMANAT_SMTP_URL.",
    )
    password: SecretStr | None = Field(
        None,
        validation_alias="AMANAT_SMTP_PASSWORD",
        description="SMTP password; overrides the one in AMANAT_SMTP_URL.",
    )
    sender: str = Field(
        "no-reply@example.pk",
        pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$",
        validation_alias="AMANAT_SMTP_FROM",
        description="The From address of every message; its domain names the Message-IDs.",
    )
    starttls: Literal["auto", "require", "off"] = Field(
        "auto",
        validation_alias="AMANAT_SMTP_STARTTLS",
        description="smtp:// only: `auto` upgrades with STARTTLS when the server offers it, "
        "`require` refuses a server that does not, `off` never upgrades.",
    )
    timeout_seconds: float = Field(
        30.0, gt=0, le=600, validation_alias="AMANAT_SMTP_TIMEOUT_SECONDS",
        description="Network timeout of one SMTP conversation step.",
    )  # fmt: skip
    max_attempts: int = Field(
        8, ge=1, le=100, validation_alias="AMANAT_SMTP_MAX_ATTEMPTS",
        description="Tries before a message is dead-lettered (status `dead`).",
    )  # fmt: skip
    retry_seconds: float = Field(
        60.0, gt=0, le=86400, validation_alias="AMANAT_SMTP_RETRY_SECONDS",
        description="Wait before the first retry; each further retry waits twice as long "
        "(at most six hours).",
    )  # fmt: skip
    lease_seconds: float = Field(
        300.0, gt=0, le=86400, validation_alias="AMANAT_SMTP_LEASE_SECONDS",
        description="A message a worker claimed and did not report on within this time (the "
        "worker died) is tried again, with the same Message-ID.",
    )  # fmt: skip
    batch_size: int = Field(
        100, ge=1, le=10000, validation_alias="AMANAT_SMTP_BATCH_SIZE",
        description="Messages a worker claims at a time.",
    )  # fmt: skip
    poll_seconds: float = Field(
        2.0, gt=0, le=3600, validation_alias="AMANAT_SMTP_POLL_SECONDS",
        description="How often an idle worker looks for mail to deliver.",
    )  # fmt: skip
    dkim_domain: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9.-]+$",
        validation_alias="AMANAT_SMTP_DKIM_DOMAIN",
        description="Sign outgoing mail with DKIM for this domain (d=); `amanat init` makes "
        "the key in the key directory and prints the DNS record.",
    )
    dkim_selector: str = Field(
        "amanat",
        pattern=r"^[A-Za-z0-9-]+$",
        validation_alias="AMANAT_SMTP_DKIM_SELECTOR",
        description="The DKIM selector (s=): the record is <selector>._domainkey.<domain>.",
    )


class DisclosureSettings(_Section):
    """The disclosure register (issue 14)."""

    notice_poll_seconds: float = Field(
        3600.0, gt=0, le=86400, validation_alias="AMANAT_DISCLOSURE_NOTICE_POLL_SECONDS",
        description="How often the worker looks for non-disclosure orders that have ended, "
        "to tell the customers of those disclosures.",
    )  # fmt: skip


class Settings(BaseSettings):
    """Amanat's configuration. Build it in the CLI callback or ``create_app``, never at import."""

    model_config = SettingsConfigDict(env_prefix="AMANAT_", extra="ignore")

    environment: Literal["production", "development", "test"] = Field(
        "production", description="`development` and `test` relax nothing about data protection."
    )
    data_dir: Path = Field(
        Path("./amanat-data"), description="Where the database, logs and certificate live."
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default SQLite in the data directory."
    )
    policy: Path | None = Field(None, description="Policy file; default the shipped policy.")
    redis_url: str | None = Field(None, description="Redis for shared rate limits (optional).")
    backup_passphrase: SecretStr | None = Field(
        None,
        description="Passphrase `amanat backup` seals the key store's copy under (and "
        "`amanat restore` opens it with); asked for when unset.",
    )
    smtp_url: str | None = Field(
        None,
        description="smtp://[user:password@]host[:port] (STARTTLS when offered) or smtps://... "
        "for outgoing mail; default: mail is kept in the outbox, not delivered.",
    )

    host: str = Field("127.0.0.1", description="Address the HTTPS server binds to.")
    port: int = Field(8443, ge=1, le=65535, description="Port the HTTPS server binds to.")
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Worker processes `amanat serve` runs behind its one address; more than "
        "one wants PostgreSQL, and AMANAT_REDIS_URL for the sign-in counters.",
    )
    public_url: str | None = Field(
        None, description="Base URL people reach Amanat at; default https://host:port."
    )
    tls_cert: Path | None = Field(None, description="Certificate; default the one `init` makes.")
    tls_key: Path | None = Field(None, description="Its private key.")

    # Accounts (issue 4) read these; they are here so that the defaults are in one place.
    require_email_verification: bool = Field(
        True, description="Customers verify their e-mail address before ordering."
    )
    require_staff_mfa: bool = Field(
        True, description="Every staff role signs in with a second factor."
    )
    throttling: bool = Field(
        True, description="Throttle and lock out repeated sign-ins, codes and mail."
    )
    csrf: bool = Field(True, description="Check a CSRF token on every form.")
    secure_cookies: bool = Field(True, description="Session cookies are Secure and __Host-.")
    customer_idle_minutes: int = Field(
        30, ge=1, description="A customer's session ends after this many idle minutes."
    )
    staff_idle_minutes: int = Field(
        15, ge=1, description="A staff session ends after this many idle minutes."
    )
    session_absolute_hours: int = Field(
        12, ge=1, description="Any session ends this many hours after sign-in."
    )
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
    argon2_time_cost: int = Field(2, ge=2, description="Argon2id passes over memory (at least 2).")
    argon2_parallelism: int = Field(1, ge=1, description="Argon2id lanes.")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Least severe level written to the log file."
    )
    keys: KeySettings = Field(default_factory=KeySettings, description="The vault's keys.")
    audit: AuditSettings = Field(default_factory=AuditSettings, description="The audit chain.")
    support: SupportSettings = Field(
        default_factory=SupportSettings, description="The support desk."
    )
    billing: BillingSettings = Field(default_factory=BillingSettings, description="Billing.")
    mail: MailSettings = Field(default_factory=MailSettings, description="Outgoing mail.")
    disclosure: DisclosureSettings = Field(
        default_factory=DisclosureSettings, description="The disclosure register."
    )

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_parses(cls, value: str | None) -> str | None:
        if value is not None:
            smtp_url_problem(value)
        return value

    @property
    def resolved_key_dir(self) -> Path:
        """AMANAT_KEY_DIR, else ``<data dir>-keys`` beside (never inside) the data directory,
        so that a copy or backup of the data directory does not carry the keys with it.

        Raises ConfigError when that default is taken but keys are still inside the data
        directory (``<data dir>/keys``, the old default): using a new, empty store would
        leave every record unreadable, so the operator moves it or names it explicitly.
        """
        if self.keys.dir is not None:
            return self.keys.dir
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


# --- Start-up validation and the listing shown by `amanat doctor --settings` --------------

SECTIONS: tuple[str, ...] = ("keys", "audit", "support", "billing", "mail", "disclosure")


def smtp_url_problem(url: str) -> None:
    """Raise ValueError (one clause, for the settings error) unless ``url`` is an SMTP URL
    Amanat can use: smtp:// or smtps://, a host, a port number if any."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError("give smtp://host:port or smtps://host:port") from None
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("it must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("it names no host; give smtp://host:port")
    if port == 0:
        raise ValueError("the port must be between 1 and 65535")


class SettingsInvalid(Exception):
    """A setting's value is refused; ``message`` is one sentence naming the variable."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def load_settings() -> Settings:
    """Settings from the environment, every section included, or SettingsInvalid."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsInvalid(_sentence(exc)) from exc
    except SettingsError as exc:  # a list or mapping that is not JSON
        found = re.search(r'field "(\w+)"', str(exc))
        field = found.group(1) if found else ""
        name = _variable_for((field,)) or f"AMANAT_{field.upper()}"
        raise SettingsInvalid(f"Setting {name} is invalid: give it as JSON.") from exc


def _sentence(exc: ValidationError) -> str:
    first = exc.errors()[0]
    name = _variable_for(first["loc"]) if exc.title != "Settings" else None
    if name is None:
        name = "AMANAT_" + "_".join(str(p) for p in first["loc"]).upper()
    reason = str(first["msg"]).removeprefix("Value error, ")  # our validators' own words
    return f"Setting {name} is invalid: {reason}."


def _variable_for(loc: tuple[Any, ...]) -> str | None:
    """A section's error names the alias (the variable) or the field: find the variable."""
    head = str(loc[0]) if loc else ""
    if head.startswith("AMANAT_"):
        return head
    for section in SECTIONS:
        field = _section_model(section).model_fields.get(head)
        if field is not None and isinstance(field.validation_alias, str):
            return field.validation_alias
    return None


def _section_model(name: str) -> type[BaseModel]:
    annotation = Settings.model_fields[name].annotation
    assert isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return annotation


@dataclass(frozen=True)
class SettingLine:
    """One setting as `amanat doctor --settings` shows it; secrets are `set` or `not set`."""

    variable: str
    value: str
    default: str
    description: str


def describe_settings(settings: Settings) -> list[SettingLine]:
    """Every setting: its variable, current value, default and description.

    Secret values (SecretStr fields) and passwords inside URLs never appear.
    """
    lines: list[SettingLine] = []
    for name, field in Settings.model_fields.items():
        if name in SECTIONS:
            section = getattr(settings, name)
            for sub, subfield in type(section).model_fields.items():
                variable = str(subfield.validation_alias)
                lines.append(_line(variable, getattr(section, sub), subfield))
        else:
            lines.append(_line(f"AMANAT_{name.upper()}", getattr(settings, name), field))
    return lines


def _line(variable: str, value: object, field: Any) -> SettingLine:
    default = field.get_default(call_default_factory=True)
    return SettingLine(variable, _shown(value), _shown(default), field.description or "")


def _shown(value: object) -> str:
    if isinstance(value, SecretStr):
        return "set"
    if value is None:
        return "not set"
    if isinstance(value, str) and "://" in value:
        return _without_password(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:(password set)@{host}"))
