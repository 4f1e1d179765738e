"""A disclosure package: a ZIP of the files given out, a manifest of their SHA-256 hashes
signed with the audit signing key, and its check.

    D-1001.zip
      manifest.json   {"format", "version", "request", "authority", "created_at",
                       "files": [{"name", "bytes", "sha256"}], "key_id"}
      manifest.sig    {"key_id", "signature" (hex Ed25519), "public_key" (hex)}
      data.json, report.pdf[, statement.csv]

The signature is over the ASCII ``amanat-disclosure-manifest:v1:<SHA-256 of
manifest.json>`` with the installation's audit key (``amanat.vault.signing``, kept in the
key store), so no one without the key store can make a package that verifies; the export
records that hash in the audit chain (``disclosure.exported``). ``verify`` checks the
signature against the key store's key (the public key inside is for third parties), every
file's hash, that nothing was added or left out, and the audit record.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from amanat.audit.events import Event
from amanat.audit.models import AuditEvent
from amanat.runtime import Runtime
from amanat.vault.signing import AuditSigner

FORMAT = "amanat-disclosure-package"
VERSION = 1
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
_STAMP = (1980, 1, 1, 0, 0, 0)  # ZIP entry times carry nothing: the manifest says when
_CHUNK = 1 << 16


def signed_message(manifest_sha256: str) -> bytes:
    return f"amanat-disclosure-manifest:v1:{manifest_sha256}".encode("ascii")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Built:
    content: bytes
    manifest_sha256: str


def build(
    runtime: Runtime, request: str, authority: str, created_at: datetime, files: dict[str, bytes]
) -> Built:
    """The ZIP of ``files`` with its signed manifest (nothing is stored or recorded)."""
    signer = AuditSigner(runtime.vault)
    manifest = {
        "format": FORMAT, "version": VERSION, "request": request, "authority": authority,
        "created_at": created_at.isoformat(), "key_id": signer.key_id,
        "files": [
            {"name": name, "bytes": len(data), "sha256": sha256(data)}
            for name, data in sorted(files.items())
        ],
    }  # fmt: skip
    manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
    digest = sha256(manifest_bytes)
    signature = {
        "key_id": signer.key_id,
        "signature": signer.sign(signed_message(digest)).hex(),
        "public_key": signer.public_key_hex(),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = {MANIFEST: manifest_bytes, SIGNATURE: json.dumps(signature).encode(), **files}
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name, _STAMP), data, zipfile.ZIP_DEFLATED)
    return Built(buffer.getvalue(), digest)


@dataclass(frozen=True)
class Verified:
    """The outcome of ``verify``: ``problem`` is None for an intact package."""

    problem: str | None
    request: str | None = None
    files: int = 0
    audit_seq: int | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def _file_hash(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with archive.open(name) as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _manifest(archive: zipfile.ZipFile) -> tuple[bytes, dict[str, Any], dict[str, Any]]:
    raw = archive.read(MANIFEST)
    manifest = json.loads(raw)
    signature = json.loads(archive.read(SIGNATURE))
    if not isinstance(manifest, dict) or not isinstance(signature, dict):
        raise ValueError("not objects")
    return raw, manifest, signature


def verify(runtime: Runtime, path: Path) -> Verified:
    """Check the package at ``path``; never raises for a bad package (``problem`` says
    what is wrong, in one sentence). Reads the key store and the audit log; records
    nothing. Raises OSError only when the file cannot be read at all."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        return Verified("This is not a disclosure package (not a ZIP file).")
    with archive:
        names = set(archive.namelist())
        if len(names) != len(archive.namelist()):
            return Verified("The package holds two files of the same name; it was altered.")
        if not {MANIFEST, SIGNATURE} <= names:
            return Verified("The package has no signed manifest (manifest.json, manifest.sig).")
        try:
            raw, manifest, signature = _manifest(archive)
            listed = {str(f["name"]): str(f["sha256"]) for f in manifest["files"]}
            request, key_id = str(manifest["request"]), str(signature["key_id"])
            signed = bytes.fromhex(str(signature["signature"]))
        except (ValueError, KeyError, TypeError, zipfile.BadZipFile):
            return Verified("The manifest or its signature is unreadable; the package was altered.")
        if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
            return Verified("This is not a disclosure package of this version of Amanat.")
        digest = sha256(raw)
        if not AuditSigner(runtime.vault).verify(key_id, signed_message(digest), signed):
            return Verified(
                "The manifest's signature does not verify with this installation's audit key; "
                "the manifest was altered or signed elsewhere.",
                request,
            )
        extra = sorted(names - set(listed) - {MANIFEST, SIGNATURE})
        if extra:
            return Verified(
                f"The package holds {len(extra)} file(s) its manifest does not list.", request
            )
        for name, expected in sorted(listed.items()):
            if name not in names:
                return Verified(f"The file {name} listed in the manifest is missing.", request)
            try:
                found = _file_hash(archive, name)
            except (zipfile.BadZipFile, OSError, EOFError):
                return Verified(f"The file {name} is damaged.", request)
            if found != expected:
                return Verified(
                    f"The file {name} was altered: its SHA-256 differs from the manifest's.",
                    request,
                )
    seq = _recorded(runtime, request, digest)
    if seq is None:
        return Verified(
            f"The audit log records no export of {request} with this manifest.",
            request,
            len(listed),
        )
    return Verified(None, request, len(listed), seq)


def _recorded(runtime: Runtime, request: str, digest: str) -> int | None:
    """The sequence number of the audit event that recorded this manifest's export."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(AuditEvent.seq, AuditEvent.details).where(
                AuditEvent.code == str(Event.DISCLOSURE_EXPORTED), AuditEvent.reference == request
            )
        ).all()
    for seq, details in rows:
        if json.loads(details).get("manifest") == digest:
            return int(seq)
    return None
