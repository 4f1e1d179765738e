"""`amanat init`: create what an installation needs, idempotently, or explain what is wrong.

Order matters for "nothing half-created": every check that can fail on the operator's
input (policy, data directory writable, database reachable) runs before anything is
written.
"""

from __future__ import annotations

from sqlalchemy import select

from amanat import __version__, composition
from amanat.config import Settings
from amanat.core.errors import ConfigError
from amanat.core.files import check_writable
from amanat.db import migrate
from amanat.db.base import new_id
from amanat.db.engine import check_reachable
from amanat.db.system import Installation
from amanat.registration import InitReport
from amanat.runtime import Runtime
from amanat.vault.tls import ensure_self_signed_certificate


def check_writable_paths(settings: Settings) -> None:
    """Every directory `init` may create, checked before anything is created."""
    check_writable(settings.data_dir)
    check_writable(settings.resolved_key_dir, "AMANAT_KEY_DIR", "key directory")
    if not settings.cert_path.exists():
        check_writable(settings.cert_path.parent, "AMANAT_TLS_CERT", "certificate directory")


def initialise(runtime: Runtime) -> InitReport:
    settings = runtime.settings
    report = InitReport()
    check_writable_paths(settings)
    if settings.database_url:  # SQLite in the data directory exists once the directory does.
        check_reachable(runtime.engine)

    if not settings.data_dir.exists():
        try:
            settings.data_dir.mkdir(parents=True, mode=0o750)
        except OSError as exc:  # lost a race with another process, or the disk went away
            raise ConfigError(
                f"The data directory {settings.data_dir} cannot be made ({exc.strerror}); "
                "choose another path with AMANAT_DATA_DIR."
            ) from exc
        report.created.append(f"data directory {settings.data_dir}")
    check_reachable(runtime.engine)

    before = migrate.current_revision(runtime.engine)
    migrate.upgrade(runtime.engine)
    after = migrate.current_revision(runtime.engine)
    (report.created if before != after else report.unchanged).append(
        f"database schema at revision {after}"
    )

    with runtime.uow() as uow:
        if uow.session.scalar(select(Installation)) is None:
            uow.session.add(
                Installation(
                    id=new_id(), created_at=runtime.clock.now(), amanat_version=__version__
                )
            )
            uow.commit()
            report.created.append("installation record")

    for step in composition.init_steps():  # each domain's, in order; each idempotent
        step(runtime, report)

    if ensure_self_signed_certificate(settings.cert_path, settings.cert_key_path):
        report.created.append(f"TLS certificate {settings.cert_path}")
    else:
        report.unchanged.append(f"TLS certificate {settings.cert_path}")
    return report
