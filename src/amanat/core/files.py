"""Files and directories: proving a directory can be written before anything is made in it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from amanat.core.errors import ConfigError


def check_writable(
    directory: Path, variable: str = "AMANAT_DATA_DIR", what: str = "data directory"
) -> None:
    """Raise ConfigError unless ``directory`` exists (or can be made) and is writable.

    Proven by doing, not by permission bits: root passes every ``os.access`` check, yet a
    read-only or special file system still refuses. Nothing is left behind.
    """
    nearest = directory
    while not nearest.exists() and nearest != nearest.parent:
        nearest = nearest.parent
    if not nearest.is_dir():
        raise ConfigError(
            f"The {what} {directory} cannot be made because {nearest} is a file, not a "
            f"directory; choose another path with {variable}."
        )
    try:
        if nearest == directory:
            with tempfile.TemporaryFile(dir=directory):
                pass
        else:
            Path(tempfile.mkdtemp(prefix=".amanat-probe-", dir=nearest)).rmdir()
    except OSError as exc:
        raise ConfigError(
            f"The {what} {directory} is not writable ({exc.strerror}); choose another "
            f"path with {variable} or fix the permissions of {nearest}."
        ) from exc
