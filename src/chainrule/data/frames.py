"""pandas tables as the network's numbers: columns by name, the first bad cell by name.

Shared by the CSV reader and by a model given a DataFrame: both turn named columns
into a float array, and both refuse an empty cell, a word, NaN or infinity by
naming the first such cell in reading order (row by row, then column by column).
pandas is imported when a table is met, so ``import chainrule`` stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["exact_floats", "first_bad_cell", "is_frame", "numeric_columns"]

Array = np.ndarray

NAN_WORDS = ("nan", "+nan", "-nan")


def exact_floats() -> dict[str, Any]:
    """Options of ``pandas.read_csv`` that parse every number to the float64 Python's
    ``float`` gives: the default from pandas 3 on; ``round_trip`` before (pandas 2's
    default parser may be one unit in the last place off)."""
    import pandas as pd

    return {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


def is_frame(X: object) -> bool:
    """Whether ``X`` is a pandas DataFrame (without importing pandas for anything else)."""
    module = type(X).__module__
    return module.startswith("pandas") and type(X).__name__ == "DataFrame"


def _as_float(column: Any) -> Array:
    """A column's values as float64, NaN where a cell is not a number."""
    import pandas as pd

    if column.dtype.kind in "iuf":
        return column.to_numpy(np.float64)
    # booleans and anything else are read through their text: "True" is not a number
    return pd.to_numeric(column.astype(str), errors="coerce").to_numpy(np.float64)


def first_bad_cell(frame: Any, columns: Sequence[str]) -> tuple[int, str, str] | None:
    """``(row, column, what is wrong)`` for the first cell of ``columns`` that is not a
    finite number, rows counted from 0; None when every cell is one.

    Rows come first, then columns in the order given, as a reader meets them.
    """
    first: tuple[int, str] | None = None  # (row, column)
    for name in columns:
        bad = ~np.isfinite(_as_float(frame[name]))
        if not bad.any():
            continue
        k = int(np.argmax(bad))
        if first is None or k < first[0]:
            first = (k, name)
    if first is None:
        return None
    k, name = first
    return k, name, _what_is_wrong(frame[name].iloc[k])


def _what_is_wrong(cell: object) -> str:
    """The message for one cell that is not a finite number."""
    if isinstance(cell, float | np.floating):
        what = "NaN" if np.isnan(cell) else "infinity"
        return f"{what} is not allowed; every cell must be a finite number"
    text = str(cell)
    word = text.strip().lower()
    if not word:
        return "empty cell; expected a number"
    if word in NAN_WORDS:
        return "NaN is not allowed; every cell must be a finite number"
    if _as_float_text(word) in (np.inf, -np.inf):
        return "infinity is not allowed; every cell must be a finite number"
    return f"cannot read {text!r} as a number"


def _as_float_text(word: str) -> float | None:
    import pandas as pd

    value = pd.to_numeric(pd.Series([word]), errors="coerce").iloc[0]
    return None if np.isnan(value) else float(value)


def numeric_columns(frame: Any, columns: Sequence[str], dtype: np.dtype) -> Array:
    """``frame[columns]`` as a C-contiguous (N, len(columns)) array of ``dtype``.

    Call :func:`first_bad_cell` first: a cell that is not a number becomes NaN here.
    """
    out = np.empty((len(frame), len(columns)), dtype)  # (N, n_columns)
    for j, name in enumerate(columns):
        with np.errstate(over="ignore"):  # a float32 overflow is the caller's to check
            out[:, j] = _as_float(frame[name])
    return out
