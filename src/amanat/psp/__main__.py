"""`python -m amanat.psp`: the same as `amanat dev psp`, for running the sandbox alone."""

from __future__ import annotations

import typer

from amanat.psp.cli import psp

if __name__ == "__main__":
    typer.run(psp)
