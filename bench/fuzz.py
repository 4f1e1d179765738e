"""A longer Schemathesis run than CI's: every operation, customer and staff, many examples.

    .venv/bin/python -m bench.fuzz                    # 200 examples per operation
    .venv/bin/python -m bench.fuzz --max-examples 1000

Runs scripts/fuzz_api.py (all checks: no 5xx, status codes, content types and bodies
conforming to the published schema) with more examples per operation than `make test`
does; staff operations are fuzzed signed in as a staff member of a role holding each
operation's purpose. Exits with the script's status. On demand only, never in CI.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "fuzz_api.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-examples", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    command = [sys.executable, str(SCRIPT), "--max-examples", str(args.max_examples)]
    if args.database_url:
        command += ["--database-url", args.database_url]
    raise SystemExit(subprocess.run(command, check=False).returncode)


if __name__ == "__main__":
    main()
