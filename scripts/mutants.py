"""Mutation testing of the privacy core with mutmut, on demand (`make mutants`), never in CI.

    .venv/bin/python scripts/mutants.py src/amanat/vault/normalise.py [more paths] \
        [--tests tests/unit/test_vault_normalise.py ...]

Copies the work tree into a temporary directory (mutmut rewrites the files it mutates),
writes mutmut's configuration there for the given paths, runs `mutmut run` and prints
`mutmut results` and the share killed. Tests run on SQLite only (AMANAT_TEST_POSTGRES_URL
is pointed at nothing), one process: mutation testing is CPU-heavy, so on a shared
machine give it one module and the tests that cover it. docs/testing.md lists what was
run and the survivors with why each is equivalent or now covered.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+", help="source files or folders to mutate")
    parser.add_argument("--tests", nargs="*", default=["tests/unit", "tests/integration"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amanat-mutants-") as work:
        tree = Path(work) / "tree"
        shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(
            ".venv", ".git", "mutants", "amanat-data*", ".*_cache", "__pycache__"))  # fmt: skip
        paths = "\n    ".join(args.paths)
        tests = "\n    ".join(args.tests)
        (tree / "setup.cfg").write_text(
            f"[mutmut]\nsource_paths =\n    {paths}\nalso_copy =\n    src/\n    tests/\n"
            "pytest_add_cli_args = -p no:cacheprovider -n 0 -q\n"
            f"pytest_add_cli_args_test_selection =\n    {tests}\n"
        )
        env = dict(
            os.environ, AMANAT_TEST_POSTGRES_URL="postgresql+psycopg://nobody@127.0.0.1:1/none"
        )
        env.pop("CI", None)  # PostgreSQL unreachable is a skip here, not a failure
        mutmut = str(BIN / "mutmut")
        subprocess.run([mutmut, "run"], cwd=tree, env=env, check=False)
        results = subprocess.run(
            [mutmut, "results", "--all", "true"], cwd=tree, env=env, check=False,
            capture_output=True, text=True,
        )  # fmt: skip
        print(results.stdout)
        lines = [line for line in results.stdout.splitlines() if ": " in line]
        killed = sum(1 for line in lines if line.rstrip().endswith("killed"))
        if lines:
            print(f"killed {killed} of {len(lines)} mutants ({killed / len(lines):.0%})")


if __name__ == "__main__":
    main()
