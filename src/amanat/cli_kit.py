"""What every `amanat` command needs: its settings, operator errors, an open runtime.

Sub-command modules (``amanat/*/cli.py``) import this kit and never the root
``amanat.cli``, which imports them. The runtime (database, vault, policy) is imported
only when a command opens it, so ``amanat --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
import typer

from amanat.config import Settings, SettingsInvalid, load_settings
from amanat.core.errors import AmanatError
from amanat.policy.loader import PolicyInvalid

if TYPE_CHECKING:
    from amanat.db.uow import UnitOfWork
    from amanat.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])
_SETTINGS = "amanat.settings"
_BUILDER = "amanat.build_runtime"


def fail(message: str) -> NoReturn:
    """The operator's mistake: one sentence on stderr, exit 2, no traceback."""
    typer.echo(message, err=True)
    raise typer.Exit(2)


def settings_from_context() -> Settings:
    """The settings read once per invocation and kept on the Typer context.

    The root callback reads them first, so a bad value stops every command with one
    sentence naming the variable (exit 2) before it does anything.
    """
    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    settings = meta.get(_SETTINGS)
    if isinstance(settings, Settings):
        return settings
    try:
        settings = load_settings()
    except SettingsInvalid as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from exc
    meta[_SETTINGS] = settings
    return settings


def operator_errors(func: F) -> F:
    """Turn domain errors into one sentence on stderr and exit 2; never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PolicyInvalid as exc:
            for problem in exc.problems:
                typer.echo(str(problem), err=True)
            typer.echo(exc.summary, err=True)
            raise typer.Exit(2) from exc
        except AmanatError as exc:
            typer.echo(exc.message, err=True)
            raise typer.Exit(2) from exc

    return wrapper  # type: ignore[return-value]  # wraps keeps the signature Typer reads


def offer_runtime_builder(build: Callable[[Settings], Runtime]) -> None:
    """The root command hands the kit the composition's runtime builder (the kit sits
    below the composition, so it cannot import it)."""
    ctx = click.get_current_context()
    ctx.meta[_BUILDER] = build


def build_command_runtime() -> Runtime:
    """The runtime for a command that keeps it until the process ends (serve, demo)."""
    ctx = click.get_current_context()
    build: Callable[[Settings], Runtime] = ctx.meta[_BUILDER]
    return build(settings_from_context())


@contextmanager
def open_runtime() -> Iterator[Runtime]:
    """The runtime for one command, closed when the block ends (raises PolicyInvalid or
    ConfigError for ``operator_errors``)."""
    runtime = build_command_runtime()
    try:
        yield runtime
    finally:
        runtime.close()


@contextmanager
def unit_of_work() -> Iterator[tuple[Runtime, UnitOfWork]]:
    """An open runtime and one unit of work that commits when the block ends normally.

    An exception rolls everything back; the runtime is closed either way.
    """
    with open_runtime() as runtime, runtime.uow() as uow:
        yield runtime, uow
        uow.commit()
