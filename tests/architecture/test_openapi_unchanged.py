"""The OpenAPI document is the one recorded before the domains registered themselves
(issue 11), after the security fixes of issue 10 had changed the API (commit 61460b2):
the same paths, operations, schemas and order; since issue 14 with the disclosure
register's operations and the transparency report added (nothing else changed).

An intended change of the API: regenerate the file from ``create_app(runtime).openapi()``
(``json.dumps(document, indent=2) + "\n"``) and check its diff holds only that change."""

from __future__ import annotations

import json
from pathlib import Path

from amanat.app import create_app
from amanat.composition import build_runtime
from amanat.config import Settings

BASELINE = Path(__file__).parent / "openapi_baseline.json"


def test_openapi_document_equals_the_baseline(tmp_path: Path) -> None:
    runtime = build_runtime(Settings(environment="test", data_dir=tmp_path / "data"))
    try:
        document = create_app(runtime).openapi()
    finally:
        runtime.close()
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    assert document == baseline
