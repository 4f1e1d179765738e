"""DKIM signatures on outgoing mail (dkimpy), when AMANAT_SMTP_DKIM_DOMAIN is set.

The key lives at ``<key dir>/dkim/<selector>.pem``; `amanat init` makes it and prints
the DNS TXT record to publish at ``<selector>._domainkey.<domain>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dkim

from amanat.config import Settings
from amanat.core.errors import ConfigError
from amanat.registration import InitReport
from amanat.runtime import Runtime
from amanat.vault.dkim_keys import dkim_dns_record, ensure_dkim_key

# The headers a signature covers: what a reader trusts (who, to whom, what, when, which).
SIGNED_HEADERS = (b"from", b"to", b"subject", b"date", b"message-id", b"mime-version",
                  b"content-type", b"content-transfer-encoding")  # fmt: skip


def key_path(settings: Settings) -> Path:
    return settings.resolved_key_dir / "dkim" / f"{settings.mail.dkim_selector}.pem"


@dataclass(frozen=True)
class DkimSigner:
    domain: bytes
    selector: bytes
    key: bytes

    def __repr__(self) -> str:  # the key never reaches a log
        return f"DkimSigner(d={self.domain.decode()}, s={self.selector.decode()})"

    def header(self, message: bytes) -> bytes:
        """The DKIM-Signature header line (CRLF-terminated) for the whole message."""
        return bytes(
            dkim.sign(message, self.selector, self.domain, self.key,
                      canonicalize=(b"relaxed", b"relaxed"), include_headers=list(SIGNED_HEADERS))
        )  # fmt: skip


def load_signer(settings: Settings) -> DkimSigner | None:
    """The signer, or None when DKIM is not configured. Raises ConfigError when it is
    configured but its key is missing."""
    domain = settings.mail.dkim_domain
    if domain is None:
        return None
    path = key_path(settings)
    if not path.exists():
        raise ConfigError(
            f"AMANAT_SMTP_DKIM_DOMAIN is set but there is no DKIM key at {path}; run "
            "`amanat init` to make it."
        )
    return DkimSigner(domain.encode(), settings.mail.dkim_selector.encode(), path.read_bytes())


def dns_record_name(settings: Settings) -> str:
    return f"{settings.mail.dkim_selector}._domainkey.{settings.mail.dkim_domain}"


def init_dkim_key(runtime: Runtime, report: InitReport) -> None:
    """`amanat init` step: the DKIM key when AMANAT_SMTP_DKIM_DOMAIN is set, and the DNS
    record to publish (printed every time, so it can be found again)."""
    settings = runtime.settings
    if settings.mail.dkim_domain is None:
        return
    path = key_path(settings)
    made = ensure_dkim_key(path)
    record = f'{dns_record_name(settings)} TXT "{dkim_dns_record(path)}"'
    (report.created if made else report.unchanged).append(
        f"DKIM key {path}; publish this DNS record: {record}"
    )
