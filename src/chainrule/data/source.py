"""Where data comes from: a user's file checked before reading, and names for its cells.

Every message about a bad value names the file (or the argument), the row and the
column, as the user would find them: a CSV's rows as an editor numbers them (the
header is row 1), an array's rows from 0.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError
from ..utils.files import symlink_loop

__all__ = ["Loaded", "PathLike", "Source", "existing_file"]

Array = np.ndarray
PathLike = str | os.PathLike
# What every reader returns: X, y (or None), the feature names and the target names.
Loaded = tuple[Array, Array | None, tuple[str, ...], tuple[str, ...]]


def existing_file(path: PathLike) -> tuple[Path, str]:
    """The path and its text for messages; DataError if it is missing or not a file."""
    try:
        p = Path(path)
    except TypeError:
        raise ConfigError(f"path: expected a file path, got {path!r}") from None
    src = os.fspath(path)
    if symlink_loop(p):
        raise DataError(f"{src}: is a symbolic link that leads back to itself (a loop); there "
                        "is no file to read")
    if not p.exists():
        raise DataError(f"{src}: no such file")
    if p.is_dir():
        raise DataError(f"{src}: is a directory, not a data file")
    if not p.is_file():
        raise DataError(f"{src}: is not a regular file")
    return p, src


@dataclass
class Source:
    """Where the rows of an array came from, to name one of its cells in a message.

    Attributes
    ----------
    name : str
        The file path, a built-in set's name, an argument such as ``"X"``, or an
        option such as ``"--x"`` (whose one example has values, not rows).
    columns : sequence of str
        The names of the array's columns (positions are used beyond them).
    row_names : callable, optional
        Row ``i`` (0-based) as the user counts it, e.g. the file row of a CSV
        (:func:`chainrule.data.csv_row_numbers`); ``row i`` by default.
    """

    name: str
    columns: Sequence[str] = ()
    row_names: Callable[[int], str] | None = field(default=None, repr=False)

    def where(self, i: int, j: int) -> str:
        """``"FILE: row R, column 'c'"`` for row ``i`` and column ``j``;
        ``"--x: value 2 ('c')"`` for the one example an option gives."""
        column = self.columns[j] if j < len(self.columns) else str(j)
        if self.name.startswith("--"):
            return f"{self.name}: value {j + 1}" + (f" ({column!r})" if self.columns else "")
        row = self.row_names(i) if self.row_names is not None else f"row {i}"
        return f"{self.name}: {row}, column {column!r}"
