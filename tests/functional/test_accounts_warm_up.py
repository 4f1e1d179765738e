"""ua-parser's rules are built when the server starts, not at import and not by the first
sign-in. Run in a fresh interpreter, where nothing else has touched ua-parser yet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from pathlib import Path
import ua_parser
from fastapi.testclient import TestClient
from amanat.app import create_app
from amanat.config import Settings
from amanat.composition import build_runtime

runtime = build_runtime(Settings(environment="test", data_dir=Path(sys.argv[1])))
app = create_app(runtime)
print("after import and create_app:", "parser" in vars(ua_parser))
with TestClient(app, base_url="https://testserver"):
    print("after start-up:", "parser" in vars(ua_parser))
runtime.close()
"""


def test_the_user_agent_rules_are_built_at_start_up_not_at_import(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "after import and create_app: False",
        "after start-up: True",
    ]
