"""Personal data has one path: only the guard's Access turns ciphertext into values.

Walks every module of the package (AST, not grep) and proves that nothing outside
``amanat/access`` and ``amanat/vault`` calls a cipher's ``encrypt`` or ``decrypt``, and
nothing outside ``amanat/access/guard.py`` constructs an ``Access``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import amanat

PACKAGE = Path(amanat.__file__).parent
CIPHER_METHODS = {"encrypt", "decrypt"}


def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text("utf-8"), str(path)))
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


def _calls(tree: ast.Module) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def test_the_walk_sees_the_whole_package() -> None:
    names = [name for name, _ in _modules()]
    assert "access/guard.py" in names and "vault/cipher.py" in names and len(names) > 50


def test_only_the_guard_and_the_vault_call_encrypt_or_decrypt() -> None:
    offenders = [
        f"{name}:{call.lineno} calls .{_name(call)}()"
        for name, tree in _modules()
        if not name.startswith(("access/", "vault/"))
        for call in _calls(tree)
        if isinstance(call.func, ast.Attribute) and call.func.attr in CIPHER_METHODS
    ]
    assert offenders == [], "personal data must go through runtime.guard.open(...).read/write"


def test_only_the_guard_constructs_an_access() -> None:
    offenders = [
        f"{name}:{call.lineno}"
        for name, tree in _modules()
        if name != "access/guard.py"
        for call in _calls(tree)
        if _name(call) == "Access"
    ]
    assert offenders == []


def test_the_guard_does_construct_access_and_decrypt_through_its_cipher() -> None:
    guard = dict(_modules())["access/guard.py"]
    names = {_name(call) for call in _calls(guard)}
    assert {"Access", "decrypt", "encrypt"} <= names
