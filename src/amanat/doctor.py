"""`amanat doctor`: a self-audit of the installation (policy clause 4.3, issue 4).

Each check gives one finding: ``ok``, ``off`` (a protection switched off by an explicit
setting, or something due) or ``failing`` (broken, or could not be checked), with one
line saying what was found and, when not ok, what to do. Findings name settings, ids,
staff numbers and versions, never personal data, so the report can be pasted into a
ticket. Nothing is written; reads of the audit log, key store and training records only.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import metadata

from amanat import composition
from amanat.core.errors import AmanatError
from amanat.registration import DoctorCheck, Finding
from amanat.runtime import Runtime

# A master key or customer data key older than this is due for `amanat keys rotate`.
KEY_MAX_AGE = timedelta(days=365)
# (setting, what it protects): each must be on in the shipped configuration.
PROTECTIONS = (
    ("require_email_verification", "e-mail verification before ordering"),
    ("require_staff_mfa", "second factor for every staff role"),
    ("throttling", "throttling and lockout of sign-ins, codes and mail"),
    ("csrf", "CSRF tokens on every form"),
    ("secure_cookies", "Secure, __Host- session cookies"),
)


@dataclass(frozen=True)
class Report:
    findings: list[Finding]

    @property
    def healthy(self) -> bool:
        return all(f.state == "ok" for f in self.findings)

    @property
    def problems(self) -> int:
        return sum(f.state != "ok" for f in self.findings)


def run_checks(runtime: Runtime) -> Report:
    """Every check in turn; one that cannot run is a failing finding, and the next runs.

    Callers: `amanat doctor` (the operator). Records nothing.
    """
    findings: list[Finding] = []
    for area, check in all_checks():
        try:
            findings.extend(check(runtime))
        except AmanatError as exc:  # one sentence saying what to fix
            findings.append(
                Finding(area, "check", "failing", f"could not be checked: {exc.message}")
            )
        except Exception as exc:  # noqa: BLE001 -- a self-audit reports a broken part and goes on
            findings.append(
                Finding(area, "check", "failing", f"could not be checked: {type(exc).__name__}")
            )
    return Report(findings)


def _protections(runtime: Runtime) -> Iterator[Finding]:
    settings = runtime.settings
    for name, what in PROTECTIONS:
        if getattr(settings, name):
            yield Finding("protections", what, "ok", "on")
        else:
            variable = f"AMANAT_{name.upper()}"
            yield Finding(
                "protections", what, "off", f"off by {variable}=false; remove that setting"
            )
    yield Finding(
        "protections", "no account enumeration", "ok",
        "on (same answer and work for unknown accounts; no setting turns it off)",
    )  # fmt: skip


def _age(at: datetime | None, now: datetime) -> str:
    return "unknown age" if at is None else f"{(now - at).days} days old"


def _keys(runtime: Runtime) -> Iterator[Finding]:
    from amanat.vault.master import FileMasterKeys
    from amanat.vault.service import key_status

    master = runtime.vault.master
    if isinstance(master, FileMasterKeys):
        if not master.path.exists():
            yield Finding(
                "keys", "master key file", "failing", f"{master.path} is missing; run `amanat init`"
            )
            return
        mode = stat.S_IMODE(master.path.stat().st_mode)
        if mode & 0o077:
            yield Finding(
                "keys", "master key file", "failing",
                f"{master.path} has mode {mode:04o}; run `chmod 600 {master.path}`",
            )  # fmt: skip
        else:
            yield Finding("keys", "master key file", "ok", f"{master.path} mode {mode:04o}")
    else:
        yield Finding("keys", "master key", "ok", f"from {master.name}")
    report = key_status(runtime.vault)
    now = runtime.clock.now()
    current = next((v for v in report.master_versions if v.current), None)
    if current is None:
        yield Finding("keys", "master key age", "failing", "no master key; run `amanat init`")
    elif current.created_at is not None and now - current.created_at > KEY_MAX_AGE:
        yield Finding(
            "keys", "master key age", "off",
            f"version {current.version} is {_age(current.created_at, now)}; "
            "run `amanat keys rotate --master`",
        )  # fmt: skip
    else:
        yield Finding(
            "keys", "master key age", "ok",
            f"version {current.version}, {_age(current.created_at, now)}",
        )  # fmt: skip
    oldest = report.oldest_active_key
    if oldest is not None and now - oldest > KEY_MAX_AGE:
        yield Finding(
            "keys", "customer data keys", "off",
            f"the oldest of {report.active_data_keys} is {_age(oldest, now)}; "
            "run `amanat keys rotate --customer-keys`",
        )  # fmt: skip
    else:
        detail = f"{report.active_data_keys} active"
        if oldest is not None:
            detail += f", the oldest {_age(oldest, now)}"
        yield Finding("keys", "customer data keys", "ok", detail)
    yield Finding("keys", "key store", "ok", f"{report.store}, apart from the database")


def _policy(runtime: Runtime) -> Iterator[Finding]:
    loaded = runtime.loaded_policy
    yield Finding("policy", "policy in force", "ok", f"{loaded.source} sha256 {loaded.sha256}")


def _store(runtime: Runtime) -> Iterator[Finding]:
    from amanat.db import migrate

    current, head = migrate.current_revision(runtime.engine), migrate.head_revision()
    if current != head:
        yield Finding(
            "database", "schema", "failing", f"at {current}, not {head}; run `amanat init`"
        )
    else:
        yield Finding("database", "schema", "ok", f"up to date ({head})")


def _audit(runtime: Runtime) -> Iterator[Finding]:
    from amanat.audit.verify import verify_chain
    from amanat.vault.signing import AuditSigner

    report = verify_chain(runtime.engine, AuditSigner(runtime.vault).verify)
    if report.intact:
        yield Finding(
            "audit", "audit verify", "ok",
            f"intact: {report.events} events, {report.checkpoints} signed checkpoints",
        )  # fmt: skip
    else:
        yield Finding(
            "audit", "audit verify", "failing",
            f"BROKEN at sequence {report.first_bad_seq}: {report.problem}; "
            "see `amanat audit verify`",
        )  # fmt: skip


_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;]*)(;.*)?$")


def pinned_requirements() -> list[tuple[str, str]]:
    """Amanat's own run-time requirements as installed: (name, version specifier), without
    the optional extras (dev, bench)."""
    found = []
    for text in metadata.requires("amanat") or []:
        match = _REQUIREMENT.match(text)
        if match is None or (match.group(3) and "extra" in match.group(3)):
            continue
        found.append((match.group(1), match.group(2).strip()))
    return found


def _dependencies(runtime: Runtime) -> Iterator[Finding]:
    for name, specifier in pinned_requirements():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            yield Finding(
                "dependencies", name, "failing",
                f"not installed; reinstall Amanat ({specifier or 'any version'})",
            )  # fmt: skip
            continue
        if not specifier.startswith("==") or "," in specifier:
            yield Finding(
                "dependencies", name, "off",
                f"{installed} installed, but not pinned ({specifier or 'any version'}); pin it "
                "with == in pyproject.toml",
            )  # fmt: skip
        elif installed != specifier[2:].strip():
            yield Finding(
                "dependencies", name, "failing",
                f"{installed} installed, {specifier[2:].strip()} pinned; reinstall with "
                "`pip install -c constraints.txt .`",
            )  # fmt: skip
        else:
            yield Finding("dependencies", name, "ok", installed)


CHECKS: tuple[DoctorCheck, ...] = (
    ("protections", _protections),
    ("keys", _keys),
    ("policy", _policy),
    ("database", _store),
    ("audit", _audit),
    ("dependencies", _dependencies),
)
# The report lists areas in this order; a domain's checks join their area's platform checks.
AREAS = ("protections", "keys", "staff training", "policy", "database", "audit", "dependencies")


def all_checks() -> list[DoctorCheck]:
    """The platform's checks and every domain's (amanat.composition), grouped by area."""
    checks = [*CHECKS, *composition.doctor_checks()]
    return sorted(checks, key=lambda c: AREAS.index(c[0]) if c[0] in AREAS else len(AREAS))
