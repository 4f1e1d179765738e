"""The DKIM signing key: an RSA key in the key directory (never the data directory).

Made here because only the vault imports ``cryptography``; comms signs with it (dkimpy).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

# RFC 8301: at least 1024 bits, 2048 recommended; 2048 still fits a DNS TXT record.
KEY_BITS = 2048


def ensure_dkim_key(path: Path) -> bool:
    """Create an RSA key (PKCS#1 PEM, mode 0600) at ``path`` unless it exists; True if made."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,  # PKCS#1, what dkimpy reads
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return True


def dkim_dns_record(path: Path) -> str:
    """The TXT record's value publishing the public half of the key at ``path``."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return f"v=DKIM1; k=rsa; p={base64.b64encode(spki).decode('ascii')}"
