"""Wiring the audit log into an installation: its signing key at init, its settings at start."""

from __future__ import annotations

from typing import TYPE_CHECKING

from amanat.audit.service import AuditConfig, configure
from amanat.vault.signing import AuditSigner

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from amanat.config import Settings
    from amanat.registration import InitReport
    from amanat.runtime import Runtime
    from amanat.vault.cipher import Vault


def configure_audit(
    session_factory: sessionmaker[Session], settings: Settings, vault: Vault
) -> AuditSigner:
    """Give every session the checkpoint settings and the signer (from build_runtime)."""
    signer = AuditSigner(vault)
    configure(
        session_factory,
        AuditConfig(
            checkpoint_every=settings.audit.checkpoint_every,
            checkpoint_minutes=settings.audit.checkpoint_minutes,
            signer=signer,
        ),
    )
    return signer


def init_audit(runtime: Runtime, report: InitReport) -> None:
    """Init step: the Ed25519 checkpoint signing key in the key store (idempotent)."""
    if AuditSigner(runtime.vault).ensure_key():
        report.created.append("audit checkpoint signing key (Ed25519)")
    else:
        report.unchanged.append("audit checkpoint signing key (Ed25519)")
