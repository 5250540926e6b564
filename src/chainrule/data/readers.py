"""One entry point for the user's data files: :func:`load_data` picks the reader by suffix."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import DataError
from .arrays import load_array
from .csv_files import load_csv
from .source import Loaded, PathLike

__all__ = ["load_data"]


def load_data(path: PathLike, target: str | Sequence[str] | None = None,
              **options: Any) -> Loaded:
    """Read a ``.csv``, ``.npy`` or ``.npz`` file, chosen by its suffix.

    ``target`` and ``options`` go to :func:`load_csv` or :func:`load_array`;
    both return ``(X, y, feature_names, target_names)``.

    Raises
    ------
    DataError
        For any other suffix, or whatever the chosen loader raises.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return load_csv(path, target, **options)
    if suffix in (".npy", ".npz"):
        return load_array(path, target, **options)  # type: ignore[arg-type]
    got = repr(suffix) if suffix else "no suffix"
    raise DataError(f"{os.fspath(path)}: unknown file type {got}; expected .csv, .npy or .npz")

