"""What goes to standard output: JSON-ready values and rich tables as plain text."""

from __future__ import annotations

import io
import math
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import typer

if TYPE_CHECKING:
    from rich.console import Console

# Control characters (C0 but tab and newline, DEL, C1: ESC and CSI start terminal escape
# sequences) and the bidirectional overrides that make text read other than it is stored.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNPRINTABLE_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str, lines: bool = True) -> str:
    """``text`` safe for a terminal: each control character shown as an escape (``\\x1b``).

    A model file's metadata (feature names, classes, a data file's name) is text
    anyone could have written; printed raw, an escape sequence in it would drive
    the terminal (move the cursor, retitle the window, hide what follows).  With
    ``lines=False`` line breaks and tabs are escaped too (one line stays one line).
    """
    pattern = _UNPRINTABLE if lines else _UNPRINTABLE_OR_BREAK
    return pattern.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


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


def write_stdout(write: Callable[[BinaryIO], None]) -> None:
    """Let ``write`` write bytes to stdout (through its text layer when there is no
    binary one, e.g. in a test's capture), every byte or an error.

    A write cut short is not taken for done (:class:`~chainrule.utils.files.WholeWriter`):
    a reader gone raises ``BrokenPipeError``, a full disk or ``ulimit -f`` an ``OSError``
    naming standard output, never a truncated output and exit 0.
    """
    from ..utils.files import WholeWriter, os_error_reason

    stdout = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None
    if stdout is None:
        buf = io.BytesIO()
        write(buf)
        typer.echo(buf.getvalue().decode(), nl=False)
        return
    sys.stdout.flush()
    try:
        write(WholeWriter(stdout))  # type: ignore[arg-type]
        stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OSError(exc.errno, os_error_reason(exc, Path(".")), "standard output") from exc


def later_scores(summary: Mapping[str, Any]) -> list[str]:
    """The scores of a training summary after its final cost, as they are worded in
    ``train``'s result line and in ``info``: validation cost, training and validation
    accuracy (those recorded)."""
    parts = []
    if summary.get("final_val_cost") is not None:
        parts.append(f"validation C = {summary['final_val_cost']:.6g}")
    if summary.get("final_accuracy") is not None:
        parts.append(f"training accuracy {summary['final_accuracy']:.1%}")
    if summary.get("final_val_accuracy") is not None:
        parts.append(f"validation accuracy {summary['final_val_accuracy']:.1%}")
    return parts
