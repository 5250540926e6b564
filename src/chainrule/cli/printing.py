"""What goes to standard output: JSON-ready values and rich tables as plain text."""

from __future__ import annotations

import io
import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import typer

if TYPE_CHECKING:
    from rich.console import Console




def plain(value: object) -> Any:
    """JSON-ready: NaN and infinities become None, NumPy scalars Python numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_ready(value: object) -> Any:
    """``value`` with every NaN or infinity, however deep, as None (strict JSON has neither)."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_ready(value.tolist())
    return plain(value)


def json_label(value: object) -> Any:
    """A class label for JSON: 1.0 → 1 (CSV labels are read as floats)."""
    v = plain(value)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def stdout_console() -> Console:
    """Rich output on stdout: a terminal's own width, else wide enough not to wrap tables."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 160, highlight=False)


def print_rich(draw: Callable[[Console], None]) -> None:
    """Draw with rich on stdout; into a file or pipe as plain text without trailing blanks."""
    from rich.console import Console

    if sys.stdout.isatty():
        draw(stdout_console())
        return
    buf = io.StringIO()
    draw(Console(file=buf, width=160, highlight=False, color_system=None))
    typer.echo("\n".join(line.rstrip() for line in buf.getvalue().splitlines()))
