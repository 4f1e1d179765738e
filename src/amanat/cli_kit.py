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

import typer

from amanat.config import Settings, SettingsInvalid, load_settings
from amanat.core.errors import AmanatError
from amanat.policy.loader import PolicyInvalid

if TYPE_CHECKING:
    from amanat.db.uow import UnitOfWork
    from amanat.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> NoReturn:
    """The operator's mistake: one sentence on stderr, exit 2, no traceback."""
    typer.echo(message, err=True)
    raise typer.Exit(2)


def settings_from_context() -> Settings:
    """The settings from the environment, or exit 2 with one sentence naming the variable.

    The root callback reads them first, so a bad value stops every command before it
    does anything.
    """
    try:
        return load_settings()
    except SettingsInvalid as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from exc


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


class _Builder:
    """The composition's runtime builder, handed over by the root command."""

    build: Callable[[Settings], Runtime] | None = None


def offer_runtime_builder(build: Callable[[Settings], Runtime]) -> None:
    """The root command hands the kit the composition's runtime builder (the kit sits
    below the composition, so it cannot import it): one per process."""
    _Builder.build = build


def build_command_runtime() -> Runtime:
    """The runtime for a command that keeps it until the process ends (serve, demo)."""
    if _Builder.build is None:
        raise RuntimeError("amanat.cli's root command did not offer the runtime builder")
    return _Builder.build(settings_from_context())


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
