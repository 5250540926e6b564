"""A model's inputs and targets from what users hold: NumPy arrays or pandas tables.

A DataFrame's columns are matched to the model's inputs by name (a missing column
is named); an array's are taken by position.  Targets come as a Series, a
DataFrame, an array or a list.  Every bad value is refused naming its row and
column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..data.frames import first_bad_cell, is_frame, numeric_columns
from ..data.source import Source
from ..errors import DataError, ShapeError
from ..utils.namespace import as_data, to_numpy
from ..utils.validation import as_2d, check_finite, check_numeric

__all__ = ["frame_names", "input_matrix", "select_columns", "target_array"]

Array = np.ndarray


def _quoted(names: Sequence[object]) -> str:
    return ", ".join(repr(n) for n in names)


def frame_names(frame: Any) -> tuple[str, ...] | None:
    """A table's column names when every one is text (as scikit-learn's
    ``feature_names_in_``), else None: integer labels are positions, not names."""
    names = list(frame.columns)
    return tuple(names) if all(isinstance(n, str) for n in names) else None


def _wanted(names: Sequence[object], features: Sequence[str] | None, n: int, source: Source,
            what: str) -> list[Any]:
    """The columns to take: the model's inputs by name, or all ``n`` when they have none."""
    if features is None:
        if len(names) == n:
            return list(names)
        raise ShapeError(f"{source.name}: expected {n} feature columns (as in training); the "
                         f"{what} has {len(names)}: {_quoted(names)}")
    missing = [f for f in features if f not in names]
    if missing:
        raise ShapeError(f"{source.name}: has no column {_quoted(missing)}; the model's inputs "
                         f"are {_quoted(features)} and the {what}'s columns {_quoted(names)}")
    return list(features)


def select_columns(table: Array, names: Sequence[str], features: Sequence[str] | None,
                   n: int, source: Source, what: str = "file") -> Array:
    """The model's input columns of ``table`` (whose columns are ``names``): by name, or
    by position when the model's inputs have no names (then exactly ``n`` columns)."""
    wanted = _wanted(names, features, n, source, what)
    if features is None:
        return table
    index = {name: j for j, name in enumerate(names)}
    return table[:, [index[f] for f in wanted]]


def input_matrix(X: object, features: Sequence[str] | None, n_inputs: int,
                 source: Source | None = None) -> tuple[Array, Source]:
    """``X`` as the (N, n_inputs) array of the model's inputs, and the source that names
    its cells.

    A DataFrame gives the columns named ``features`` (or, for a model whose inputs
    have no names, all of its ``n_inputs`` columns), as float64; anything else is
    taken as it is, by position (a memory-mapped array stays mapped), its values
    checked to be finite.
    """
    if is_frame(X):
        src = source if source is not None else Source("X")
        wanted = _wanted(list(X.columns), features, n_inputs, src,  # type: ignore[attr-defined]
                         "DataFrame")
        bad = first_bad_cell(X, wanted)
        if bad is not None:
            k, column, message = bad
            raise DataError(f"{src.name}: row {k}, column {column!r}: {message}")
        A = numeric_columns(X, wanted, np.dtype(np.float64))
        return A, Source(src.name, [str(c) for c in wanted], src.row_names)
    name = source.name if source is not None else "X"
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] == n_inputs:
        check_numeric(X[:1], name)  # the dtype, on a view: a memmap stays a memmap
        check_finite(X, name)  # block by block
        A = X
    else:
        A, _ = as_2d(X, name, n_inputs, None)
    if source is None:
        source = Source("X", list(features) if features is not None else [])
    return A, source


def target_array(y: object) -> tuple[Array, tuple[str, ...] | None]:
    """Targets as an array, and their names when a table or a named Series gave them.

    A tensor is read as data (:func:`~chainrule.utils.namespace.as_data`: its gradients
    are not followed; sparse, complex and ``meta`` tensors are refused naming y)."""
    y = as_data(y, "y")
    if is_frame(y):
        return y.to_numpy(), frame_names(y)  # type: ignore[attr-defined]
    if type(y).__module__.startswith("pandas") and type(y).__name__ == "Series":
        label = getattr(y, "name", None)
        return y.to_numpy(), ((label,) if isinstance(label, str) else None)  # type: ignore[attr-defined]
    return (y if isinstance(y, np.ndarray) else np.asarray(to_numpy(y))), None  # labels: host
