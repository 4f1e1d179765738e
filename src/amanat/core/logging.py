"""Structured logs: one JSON object a line, carrying event names and ids, never values.

Call sites pass only identifiers (customer id, ticket number, event code). As a second
line of defence the formatter drops any extra field whose name is not on the allow-list,
so a careless ``extra={"email": ...}`` never reaches the file.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ALLOWED_FIELDS = frozenset(
    {
        "event", "request_id", "method", "route", "status", "duration_ms", "customer_id",
        "staff_id", "actor", "purpose", "job", "count", "ticket", "invoice", "code",
        "category", "seq", "version", "key_id", "path_template", "port", "error",
    }
)  # fmt: skip


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            # Which process wrote it: with AMANAT_WORKERS > 1 one log holds every worker's.
            "pid": record.process,
        }
        for key in ALLOWED_FIELDS:
            if key in record.__dict__:
                entry[key] = record.__dict__[key]
        if record.exc_info and record.exc_info[0] is not None:
            # The exception type and where it happened; never its message, which may
            # quote a value.
            entry["exc_type"] = record.exc_info[0].__name__
            frames = traceback.extract_tb(record.exc_info[2]) if record.exc_info[2] else []
            entry["exc_where"] = [
                f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in frames[-6:]
            ]
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO", path: Path | None = None) -> None:
    """Send Amanat's and uvicorn's logs as JSON lines to stderr and, if given, a file."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(path, encoding="utf-8"))
    formatter = JsonFormatter()
    for handler in handlers:
        handler.setFormatter(formatter)
    for name in ("amanat", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = list(handlers)
        logger.setLevel(level)
        logger.propagate = False
    # uvicorn's access log prints the full URL with its query string; Amanat logs each
    # request itself with the route template instead.
    logging.getLogger("uvicorn.access").disabled = True


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)
