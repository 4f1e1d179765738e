"""Wiring the audit log into an installation: its settings and signer at start."""

from __future__ import annotations

from typing import TYPE_CHECKING

from amanat.audit.service import AuditConfig, Signer, configure

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from amanat.config import Settings


def configure_audit(
    session_factory: sessionmaker[Session], settings: Settings, signer: Signer
) -> None:
    """Give every session the checkpoint settings and the signer.

    Called by build_runtime, which passes the vault's signer (amanat.vault.signing): the
    audit log signs through this protocol and never imports the vault.
    """
    configure(
        session_factory,
        AuditConfig(
            checkpoint_every=settings.audit.checkpoint_every,
            checkpoint_minutes=settings.audit.checkpoint_minutes,
            signer=signer,
        ),
    )
