"""Rules of the code base, checked by reading the source (AST) and by running it.

Generic on purpose: each walks every module under src/amanat, so modules other domains
add later are held to the same rules without editing this file.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import amanat
from amanat.cli import app

SRC = Path(amanat.__file__).parent
MODULES = sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text("utf-8"), filename=str(path))


def rel(path: Path) -> str:
    return str(path.relative_to(SRC.parent))


def test_the_walk_sees_the_modules() -> None:
    names = {module_name(p) for p in MODULES}
    assert {"amanat.db.uow", "amanat.app", "amanat.vault.api", "amanat.policy.loader"} <= names


# --- Only the unit of work commits -------------------------------------------------------


class _UnitsOfWork(ast.NodeVisitor):
    """Names bound to a UnitOfWork: parameters annotated UnitOfWork, ``with
    UnitOfWork(...) as x`` and ``with <anything>.uow() as x``, and the conventional
    ``uow``. A ``.commit()`` on any other receiver (a session, a connection) is flagged."""

    def __init__(self) -> None:
        self.names = {"uow", "self.uow"}
        self.commits: list[tuple[int, str]] = []

    def visit_arg(self, node: ast.arg) -> None:
        if node.annotation is not None and "UnitOfWork" in ast.unparse(node.annotation):
            self.names.add(node.arg)

    def visit_withitem(self, node: ast.withitem) -> None:
        call = node.context_expr
        if isinstance(call, ast.Call) and isinstance(node.optional_vars, ast.Name):
            callee = ast.unparse(call.func)
            if callee in ("UnitOfWork", "DriverUnitOfWork") or callee.endswith(".uow"):
                self.names.add(node.optional_vars.id)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if isinstance(node.target, ast.Name) and "UnitOfWork" in ast.unparse(node.annotation):
            self.names.add(node.target.id)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute) and node.func.attr == "commit":
            self.commits.append((node.lineno, ast.unparse(node.func.value)))
        self.generic_visit(node)


def test_only_the_unit_of_work_commits() -> None:
    offenders = []
    for path in MODULES:
        if rel(path) == "amanat/db/uow.py":
            continue
        visitor = _UnitsOfWork()
        visitor.visit(tree(path))
        offenders += [
            f"{rel(path)}:{line}: {receiver}.commit()"
            for line, receiver in visitor.commits
            if receiver not in visitor.names
        ]
    assert offenders == [], (
        "commit only through a UnitOfWork (the caller's uow.commit()); these commit "
        "something else:\n" + "\n".join(offenders)
    )


def test_the_commit_check_catches_a_session_commit() -> None:
    visitor = _UnitsOfWork()
    visitor.visit(
        ast.parse(
            textwrap.dedent(
                """
                def verb(uow: UnitOfWork, session) -> None:
                    uow.commit()
                    uow.session.commit()
                    with runtime.uow() as unit:
                        unit.commit()
                    session.commit()
                """
            )
        )
    )
    flagged = [r for _, r in visitor.commits if r not in visitor.names]
    assert flagged == ["uow.session", "session"]


# --- Cryptography lives in the vault -----------------------------------------------------


def imported_modules(module: ast.Module) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("library", ["cryptography", "argon2"])
def test_crypto_libraries_are_imported_only_by_the_vault(library: str) -> None:
    offenders = [
        f"{rel(path)}:{line}: {name}"
        for path in MODULES
        if not rel(path).startswith("amanat/vault/")
        for line, name in imported_modules(tree(path))
        if name == library or name.startswith(library + ".")
    ]
    assert offenders == [], f"only amanat/vault/ may import {library}:\n" + "\n".join(offenders)


# --- Nothing happens at import -----------------------------------------------------------

IMPORT_PROBE = """
import gc, importlib, json, os, pkgutil, sys

events = []

def hook(event, args):
    if event == "open":
        path, mode = str(args[0]), args[1]
        if isinstance(mode, str) and any(m in mode for m in "wax+"):
            events.append(["open-for-writing", path])
        elif isinstance(args[2], int) and args[2] & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            events.append(["open-for-writing", path])
    elif event in {"os.mkdir", "os.rename", "os.remove", "shutil.rmtree"}:
        events.append([event, str(args[0])])
    elif event in {"socket.connect", "socket.bind", "sqlite3.connect", "subprocess.Popen"}:
        events.append([event, repr(args[1] if len(args) > 1 else args[0])])

sys.addaudithook(hook)

import amanat
names = [m.name for m in pkgutil.walk_packages(amanat.__path__, "amanat.")]
names = [n for n in names if ".migrations" not in n and not n.endswith("__main__")]
for name in names:
    importlib.import_module(name)

from sqlalchemy.engine import Engine
from amanat.config import Settings
built = [type(o).__name__ for o in gc.get_objects() if isinstance(o, (Engine, Settings))]
events = [e for e in events if "__pycache__" not in e[1]]
print(json.dumps({"modules": len(names), "built": built, "events": events}))
"""


def test_importing_every_module_builds_nothing(tmp_path: Path) -> None:
    """Import all of amanat in a fresh interpreter watched by an audit hook (PEP 578):
    no engine or settings object exists afterwards, and no file was opened for writing,
    no directory made, no socket or database opened, no process started."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    env["AMANAT_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["modules"] > 20
    assert report["built"] == []
    assert report["events"] == []
    assert list(tmp_path.iterdir()) == []


# --- Every command explains itself ---------------------------------------------------------


def commands() -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []

    def walk(command: object, path: list[str]) -> None:
        found.append((" ".join(path), command))
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


COMMANDS = commands()


def test_the_cli_walk_sees_the_commands() -> None:
    paths = {p for p, _ in COMMANDS}
    assert {"init", "serve", "demo", "policy check", "policy show"} <= paths


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p or "amanat" for p, _ in COMMANDS])
def test_every_command_and_option_has_help(path: str, command: object) -> None:
    text = getattr(command, "help", None) or getattr(command, "short_help", None)
    assert text and text.strip(), f"`amanat {path}` has no help text: give it a docstring"
    for param in getattr(command, "params", []):
        if param.name == "help":
            continue
        assert getattr(param, "help", None), (
            f"`amanat {path}` parameter {param.name} has no help: use typer.Option(help=...) "
            "or typer.Argument(help=...)"
        )
    result = CliRunner().invoke(app, [*path.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert text.strip().splitlines()[0][:40] in " ".join(result.output.split())
