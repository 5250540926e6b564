"""What a worker does with the chunks it holds: check them, and add up their costs and gradients.

These functions run on the workers, next to the rows: only parameters go in and only sums
come out.  A chunk's *terms* are one float64 vector, packed so that one addition combines
two of them::

    terms = [ Σ_k ∂C_k/∂θ  (n_params values),  Σ_k C_k,  number of correct rows ]

summed over the chunk's selected rows k.  Added up over all chunks and divided by the
number of rows N, they give the mean cost ``C = (1/N) Σ_k C_k`` and its gradient
``∂C/∂θ = (1/N) Σ_k ∂C_k/∂θ`` exactly as one machine holding all the rows would: a chunk
of m rows contributes m times its own mean, so uneven chunks are weighted rightly.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ..errors import DataError, ShapeError
from ..nn.network import Network
from ..train.batches import RowReader, full_pass
from ..utils.validation import first_non_finite

__all__ = ["add_terms", "check_chunk", "chunk_rows", "chunk_terms", "side_by_side", "take_rows"]

Array = np.ndarray
_local = threading.local()


def _where(partition: int, source: str | None) -> str:
    return f"partition {partition}" + (f" ({source})" if source else "")


def _as_matrix(part: Any, name: str, width: int, partition: int, source: str | None,
               columns: list[str] | None, dtype: np.dtype) -> Array:
    """One side (X or Y) of a chunk as a C-contiguous (m, width) array of ``dtype``."""
    where = _where(partition, source)
    if hasattr(part, "columns") or hasattr(part, "to_frame"):  # a pandas DataFrame or Series
        frame = part.to_frame() if hasattr(part, "to_frame") else part
        if columns is not None and [str(c) for c in frame.columns] != columns:
            raise ShapeError(f"{name}: {where} has the columns {list(map(str, frame.columns))}, "
                             f"expected {columns}")
        for col, kind in zip(frame.columns, frame.dtypes):
            if getattr(kind, "kind", "O") not in "biuf":
                raise DataError(f"{name}: {where}, column {col!r} is not numeric ({kind})")
        A = frame.to_numpy(dtype=np.float64)
    else:
        A = np.asarray(part)
        if A.dtype.kind not in "biuf":
            raise DataError(f"{name}: {where} is not numeric (dtype {A.dtype})")
    if A.ndim == 1:
        A = A[:, None]
    if A.ndim != 2 or A.shape[1] != width:
        cols = A.shape[1] if A.ndim == 2 else A.shape[1:]
        raise ShapeError(f"{name}: {where}, row 0: has {cols} columns, expected {width}")
    where_bad = first_non_finite(A)
    if where_bad is not None:
        r, c = where_bad
        what = "NaN" if np.isnan(A[r, c]) else "infinity"
        col = columns[c] if columns is not None else c
        raise DataError(f"{name}: {where}, row {r}: {what} in column {col!r}")
    return np.ascontiguousarray(A, dtype=dtype)


def check_chunk(X_b: Any, Y_b: Any, partition: int, n_inputs: int, n_outputs: int,
                dtype: str, source: str | None = None, x_columns: list[str] | None = None,
                y_columns: list[str] | None = None) -> tuple[Array, Array]:
    """Partition ``partition`` of the data as checked ``(X_b, Y_b)`` arrays of ``dtype``.

    ``X_b`` and ``Y_b`` are NumPy arrays or pandas frames.  With ``Y_b`` None, ``X_b``
    holds both: a pandas DataFrame with the ``x_columns`` and the ``y_columns``, or an
    array whose last ``n_outputs`` columns are the targets.  ``source`` (a file name,
    say) is named in errors beside the partition.

    Raises
    ------
    DataError, ShapeError
        Naming the partition and the row (0-based within the partition) of the first
        NaN or infinity, a wrong number of columns, or a non-numeric column.
    """
    dt = np.dtype(dtype)
    if Y_b is None:
        X_b, Y_b = _split(X_b, partition, n_inputs, n_outputs, source, x_columns, y_columns)
    X = _as_matrix(X_b, "X", n_inputs, partition, source, x_columns, dt)
    Y = _as_matrix(Y_b, "y", n_outputs, partition, source, y_columns, dt)
    if X.shape[0] != Y.shape[0]:
        raise ShapeError(f"y: {_where(partition, source)} has {Y.shape[0]} rows but X has "
                         f"{X.shape[0]}")
    return X, Y


def _split(XY: Any, partition: int, n_inputs: int, n_outputs: int, source: str | None,
           x_columns: list[str] | None, y_columns: list[str] | None) -> tuple[Any, Any]:
    """A partition holding inputs and targets, cut into the two."""
    if hasattr(XY, "columns"):
        missing = [c for c in (*(x_columns or ()), *(y_columns or ())) if c not in XY.columns]
        if missing:
            raise ShapeError(f"X: {_where(partition, source)} has no column {missing[0]!r} "
                             f"(its columns: {list(map(str, XY.columns))})")
        return XY[x_columns], XY[y_columns]
    A = np.asarray(XY)
    if A.ndim != 2 or A.shape[1] != n_inputs + n_outputs:
        raise ShapeError(f"X: {_where(partition, source)}, row 0: has {A.shape[1:]} columns, "
                         f"expected {n_inputs + n_outputs} ({n_inputs} inputs and "
                         f"{n_outputs} targets)")
    return A[:, :n_inputs], A[:, n_inputs:]


def side_by_side(X_b: Any, Y_b: Any) -> Any:
    """The columns of two pandas frames with the same number of rows, row by row."""
    import pandas as pd

    if len(X_b) != len(Y_b):
        raise ShapeError(f"y: a partition has {len(Y_b)} rows but X's has {len(X_b)}")
    return pd.concat([X_b.reset_index(drop=True).rename(columns=str),
                      Y_b.reset_index(drop=True).rename(columns=str)], axis=1)


def chunk_rows(chunk: tuple[Array, Array]) -> int:
    """The number of rows of a checked chunk."""
    return int(chunk[0].shape[0])


def take_rows(chunk: tuple[Array, Array], rows: Array) -> tuple[Array, Array]:
    """Copies of the chunk's ``rows`` (local indices), inputs and targets."""
    return chunk[0][rows], chunk[1][rows]


def _worker_network(network: Network) -> Network:
    """This thread's own copy of ``network``: a worker's threads never share buffers."""
    cache = getattr(_local, "networks", None)
    if cache is None:
        cache = _local.networks = {}
    entry = cache.get(id(network))
    if entry is None or entry[0] is not network:
        if len(cache) > 4:
            cache.clear()
        entry = cache[id(network)] = (network, network.copy())
    return entry[1]


def chunk_terms(chunk: tuple[Array, Array], network: Network, params: Array,
                rows: Array | None = None, gradient: bool = True,
                count_correct: bool = False) -> Array:
    """The terms of the chunk's ``rows`` (all when None) at the parameters ``params``.

    Returns ``[Σ_k ∂C_k/∂θ, Σ_k C_k, correct]`` as one float64 vector of
    ``network.n_params + 2`` values (the gradient part is zero when ``gradient`` is
    False).  The rows go through the network as the engine's passes send them on one
    machine (:func:`~chainrule.train.batches.full_pass`, a few thousand at a time).
    """
    X_b, Y_b = chunk
    net = _worker_network(network)
    net.params[...] = params
    P = net.n_params
    terms = np.zeros(P + 2)
    with RowReader() as reader:
        total, correct = full_pass(net, X_b, Y_b, rows, reader, count_correct=count_correct,
                                   grad=terms[:P] if gradient else None)
    m = X_b.shape[0] if rows is None else rows.size
    terms[:P] *= m  # the mean over the chunk's m rows, m times: their sum
    terms[P], terms[P + 1] = total, correct
    return terms


def add_terms(*terms: Array) -> Array:
    """The sum of chunks' terms, added in the order given (so every run adds alike)."""
    total = terms[0].copy()
    for t in terms[1:]:
        total += t
    return total
