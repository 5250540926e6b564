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

__all__ = ["add_terms", "check_chunk", "chunk_moments", "chunk_rows", "chunk_terms",
           "encode_labels", "merge_moments", "scale_chunk", "side_by_side", "take_rows"]

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


def chunk_moments(chunk: tuple[Array, Array]) -> tuple[int, Array, Array]:
    """``(m, mean, M2)`` of the chunk's inputs, column by column: its rows, their mean and
    their sum of squared deviations ``M2 = Σ_k (x_k − mean)²`` (two passes, in float64)."""
    X = np.asarray(chunk[0], np.float64)
    mean = X.mean(axis=0)
    return X.shape[0], mean, np.square(X - mean).sum(axis=0)


def merge_moments(parts: list[tuple[int, Array, Array]]) -> tuple[int, Array, Array]:
    """Chunks' moments combined in the order given (Chan et al.'s pairwise update:
    ``mean += δ m / n``, ``M2 += M2_b + δ² n_a m / n`` with ``δ = mean_b − mean``)."""
    parts = [p for p in parts if p[0] > 0]  # an empty partition has no mean
    n, mean, M2 = parts[0][0], parts[0][1].copy(), parts[0][2].copy()
    for m, mean_b, M2_b in parts[1:]:
        total = n + m
        delta = mean_b - mean
        mean += delta * (m / total)
        M2 += M2_b + np.square(delta) * (n * m / total)
        n = total
    return n, mean, M2


def scale_chunk(chunk: tuple[Array, Array], mean: Array, scale: Array,
                dtype: str) -> tuple[Array, Array]:
    """The chunk with its inputs standardised, ``(X − mean) / scale``, in ``dtype`` (the
    operations of :meth:`~chainrule.data.Standardizer.transform`, so the same numbers)."""
    X = np.subtract(np.asarray(chunk[0], np.float64), mean)
    np.divide(X, scale, out=X)
    return np.ascontiguousarray(X, dtype=dtype), chunk[1].astype(dtype, copy=False)


def encode_labels(part: Any, label: str | int, classes: list[Any], single_output: bool,
                  names: list[str]) -> Any:
    """A partition with its label column replaced by the network's targets: one column per
    class (``names``), or one for the second of two classes with ``single_output``.

    ``part`` is a pandas DataFrame (``label`` a column name) or an array (``label`` the
    index of the last column).
    """
    from ..data.encoding import class_targets

    if hasattr(part, "columns"):
        Y, _ = class_targets(part[label].to_numpy(), classes, single_output=single_output)
        out = part.drop(columns=[label]).reset_index(drop=True)
        for j, name in enumerate(names):
            out[name] = Y[:, j]
        return out
    A = np.asarray(part)
    Y, _ = class_targets(A[:, label], classes, single_output=single_output)
    return np.concatenate([np.delete(A, label, axis=1).astype(np.float64), Y], axis=1)
