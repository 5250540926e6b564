"""Rows in, costs out: gathering batches, and passes over a whole data set in chunks.

Batches are gathered into preallocated buffers, with ``np.take`` from arrays in memory
and with positional reads from the file behind a memory-mapped ``.npy``
(:class:`~chainrule.utils.validation.FileRows`), which leaves nothing of the file
mapped into the process; so ``X`` may be larger than RAM.  SciPy sparse rows (CSR)
are gathered as sparse batches, which the network's first layer multiplies as they
are.  :func:`full_pass` walks a data set chunk by chunk for :func:`evaluate` and for
the full-batch solvers: the mean cost ``C = (1/N) Σ_k C_k``, the count of correct
predictions and, when asked, the gradient ``∂C/∂θ`` as the chunks' gradients weighted
by their shares of the examples.

Sample weights ``s_k ≥ 0`` make every mean a weighted one, ``C = Σ_k s_k C_k / Σ_k s_k``
(scikit-learn's ``sample_weight``; an integer weight counts as that many copies of the
row).  :func:`batch_terms` is the one place where a batch's cost, weight, correct rows
and gradient are computed: the steps of every solver, the passes over a data set and
the final checks all call it.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..errors import DataError, ShapeError
from ..nn.network import Network
from ..optim.checks import check_int
from ..utils.namespace import as_data, is_numpy, to_numpy
from ..utils.validation import FileRows, as_2d, check_finite, check_numeric, check_same_rows
from .device_rows import DeviceRows

__all__ = ["ArrayRows", "RowReader", "SparseRows", "as_arrays", "as_weights", "batch_terms",
           "evaluate", "full_pass", "is_classifier", "is_row_source", "n_correct", "row_width",
           "weight_total"]

Array = np.ndarray
CHUNK = 4096  # rows per forward pass when a whole data set is evaluated


def is_classifier(network: Network) -> bool:
    """Whether accuracy is counted by default: the network minimises a cross-entropy."""
    return network.cost.name in ("binary_cross_entropy", "cross_entropy")


def n_correct(A: Array, Y: Array) -> int:
    """Rows whose largest output is the target's (one output: both on one side of ½)."""
    if A.shape[1] == 1:
        return int(np.count_nonzero((A[:, 0] >= 0.5) == (Y[:, 0] >= 0.5)))
    return int(np.count_nonzero(A.argmax(axis=1) == Y.argmax(axis=1)))


def as_arrays(network: Network, X: object, Y: object) -> tuple[Array, Array]:
    """Validate X without copying it (memmaps stay memmaps) and Y into the network's dtype."""
    if isinstance(X, np.ndarray) and X.ndim == 2:
        Xa = check_numeric(X, "X")
        if Xa.shape[1] != network.n_inputs:
            raise ShapeError(f"X: expected {network.n_inputs} features (columns), "
                             f"got {Xa.shape[1]}")
        check_finite(Xa, "X", fits=network.dtype)  # batches are converted as they are read
    else:
        Xa, _ = as_2d(X, "X", network.n_inputs, network.dtype)
    Ya, _ = as_2d(Y, "y", network.n_outputs, network.dtype)
    check_same_rows(Xa, Ya)
    return Xa, Ya


def as_weights(sample_weight: object, n: int, name: str = "sample_weight") -> Array | None:
    """Checked sample weights: one finite ``s_k ≥ 0`` per example, not all 0 (float64).

    None stays None (every weight 1); a single number is every example's weight.

    Raises
    ------
    DataError
        Naming ``name``: the wrong shape, a weight that is negative or not finite, or
        weights that are all zero.
    """
    if sample_weight is None:
        return None
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{name}: expected numbers, got {type(sample_weight).__name__}") from None
    if w.ndim == 0:
        w = np.full(n, float(w))
    if w.shape != (n,):
        raise DataError(f"{name}: expected one weight per example, shape ({n},), got shape "
                        f"{w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise DataError(f"{name}: expected finite weights >= 0, got "
                        f"{np.count_nonzero(~(w >= 0))} negative or not finite")
    if not w.any():
        raise DataError(f"{name}: the weights are all zero; at least one must be positive")
    return w


def host_weights(sample_weight: object, name: str = "sample_weight") -> object:
    """Weights of a device's rows as a NumPy vector (an explicit copy to the host, where
    the engine sums them); None stays None."""
    if sample_weight is None:
        return None
    return to_numpy(as_data(sample_weight, name))


def weight_total(weights: Array | None, indices: Array | None, n: int) -> float:
    """``Σ s_k`` over the selected rows (all when None), or their number without weights."""
    if weights is None:
        return n if indices is None else indices.size
    return float(np.add.reduce(weights if indices is None else weights[indices]))


def batch_terms(network: Network, Xb: Array, Yb: Array, wb: Array | None = None, *,
                count_correct: bool, gradient: bool = True
                ) -> tuple[float, float, int, Array | None]:
    """One batch's ``(Σ_k s_k C_k, Σ_k s_k, correct, ∂C/∂θ)``, every ``s_k = 1`` without ``wb``.

    The gradient (the network's :attr:`~chainrule.nn.network.Network.grads`) is that of
    the batch's mean cost ``C = Σ s C / Σ s``; it is None without ``gradient`` and for a
    batch whose weights are all 0, which has no mean.  ``correct`` counts the rows
    predicted right (0 unless counted), whatever their weights.
    """
    c = network.forward(Xb, check=False)
    C = network.cost.per_example(c.Z[-1], c.A[-1], Yb)  # (m,)
    if wb is None:
        cost, weight = float(np.add.reduce(C)), C.shape[0]
    else:
        cost, weight = float(np.dot(wb, C)), float(np.add.reduce(wb))
    correct = n_correct(c.A[-1], Yb) if count_correct else 0
    grad = network.backward(Yb, wb) if gradient and weight > 0 else None
    return cost, weight, correct, grad


class SparseRows:
    """The reader of SciPy sparse rows (CSR): a batch of them is a sparse matrix too."""

    def __init__(self, A: object):
        self.A = A

    def take(self, sel: Array, dtype: np.dtype, out: Array | None = None) -> object:
        """Rows ``A[sel]`` in ``dtype``, sparse (``out``, a dense buffer, is not used)."""
        return self.A[sel].astype(dtype, copy=False)  # type: ignore[index]

    def close(self) -> None:
        """Nothing to close: the rows are in memory."""


class RowReader:
    """Gathers rows of the arrays of a run: ``np.take`` in memory, positional reads from files.

    Memory-mapped arrays get a ``FileRows`` reader (one open file each) on first
    use, SciPy sparse rows a :class:`SparseRows`; :meth:`close`, or the end of a
    ``with`` block, closes them all.  The chunk buffers of :meth:`chunks` are kept for
    the reader's life.
    """

    def __init__(self) -> None:
        # id(A) -> (A, its reader or None); A is held so that its id is not reused
        self._readers: dict[int, tuple[Array, FileRows | SparseRows | None]] = {}
        self._buffers: dict[tuple[str, int, int, np.dtype], Array] = {}

    def _reader(self, A: Array, name: str) -> FileRows | SparseRows | None:
        entry = self._readers.get(id(A))
        if entry is None or entry[0] is not A:
            reader = FileRows.open(A, name) if isinstance(A, np.ndarray) else SparseRows(A)
            entry = self._readers[id(A)] = (A, reader)
        return entry[1]

    def take(self, A: Array, sel: Array, dtype: np.dtype, out: Array, *,
             name: str = "X") -> Array:
        """Rows ``A[sel]`` in ``dtype``, written into ``out`` (sparse rows: a sparse batch)."""
        reader = self._reader(A, name)
        if reader is not None:
            return reader.take(sel, dtype, out)
        if A.dtype == dtype:
            return np.take(A, sel, axis=0, out=out)
        np.copyto(out, A[sel], casting="same_kind")
        return out

    def chunks(self, X: Array, Y: Array, indices: Array | None, size: int, dtype: np.dtype,
               weights: Array | None = None
               ) -> Iterator[tuple[Array, Array, Array | None]]:
        """``(X_b, Y_b, s_b)`` for consecutive chunks of ``size`` selected rows (all: None).

        Rows of an in-memory array of ``dtype`` taken in order are views; the others
        are gathered into two buffers that every chunk reuses.  ``s_b`` holds the
        chunk's weights (None without ``weights``).
        """
        n = X.shape[0] if indices is None else indices.size
        if indices is None and X.dtype == dtype and self._reader(X, "X") is None \
                and self._reader(Y, "y") is None:
            for start in range(0, n, size):
                end = start + size
                yield X[start:end], Y[start:end], None if weights is None else weights[start:end]
            return
        idx = np.arange(n) if indices is None else indices
        m = min(size, n)
        Xb_buf = self._buffer("X", m, row_width(X), dtype)  # (m, n_in)
        Yb_buf = self._buffer("y", m, Y.shape[1], dtype)  # (m, n_out)
        for start in range(0, n, size):
            sel = idx[start:start + size]
            yield (self.take(X, sel, dtype, Xb_buf[:sel.size]),
                   self.take(Y, sel, dtype, Yb_buf[:sel.size], name="y"),
                   None if weights is None else weights[sel])

    def _buffer(self, role: str, m: int, width: int, dtype: np.dtype) -> Array:
        key = (role, m, width, np.dtype(dtype))
        buf = self._buffers.get(key)
        if buf is None:
            buf = self._buffers[key] = np.empty((m, width), dtype)
        return buf

    def close(self) -> None:
        self._buffers = {}
        readers, self._readers = self._readers, {}
        for _, reader in readers.values():
            if reader is not None:
                reader.close()

    def __enter__(self) -> RowReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def row_width(X: Array) -> int:
    """The width of a dense buffer for X's rows: 0 for sparse rows, gathered sparse."""
    return X.shape[1] if isinstance(X, np.ndarray) else 0


def full_pass(network: Network, X: Array, Y: Array, indices: Array | None, rows: RowReader,
              *, count_correct: bool, grad: Array | None = None, chunk: int = CHUNK,
              weights: Array | None = None) -> tuple[float, int]:
    """Sum of the costs ``Σ_k s_k C_k`` and count of correct rows over the selected rows.

    With ``grad`` (a float64 vector of ``network.n_params``), it is overwritten with
    ``∂C/∂θ`` of the mean cost ``C = Σ_k s_k C_k / Σ_k s_k``: each chunk's mean-cost
    gradient weighted by its share of the weights (``m/N`` of the examples without
    ``weights``, when every ``s_k`` is 1).
    """
    total_weight = weight_total(weights, indices, X.shape[0])
    total, correct = 0.0, 0
    if grad is not None:
        grad[...] = 0
    for Xb, Yb, wb in rows.chunks(X, Y, indices, chunk, network.dtype, weights):
        cost, weight, right, g = batch_terms(network, Xb, Yb, wb, count_correct=count_correct,
                                             gradient=grad is not None)
        total += cost
        correct += right
        if g is not None:
            np.add(grad, g * (weight / total_weight), out=grad)
    return total, correct


class ArrayRows:
    """The rows of a run held in arrays (in memory, memory-mapped or sparse), read by a
    :class:`RowReader`, with their sample weights (None: every weight 1).

    The engine reads its data through four things only: :attr:`n_rows`,
    :meth:`batch_terms` (one mini-batch), :meth:`pass_terms` (a pass over many rows)
    and :meth:`weight_total`.  Any object with the same four (:func:`is_row_source`)
    can stand in for the arrays: ``chainrule.distributed.ClusterData``, whose rows are
    chunks on a Dask cluster, is one.
    """

    def __init__(self, X: Array, Y: Array, reader: RowReader, weights: Array | None = None):
        self.X, self.Y, self.reader, self.weights = X, Y, reader, weights
        self._X_all: Array | None = None  # X in the network's dtype, for full batches
        self._buffers: tuple[Array, Array, Array] | None = None  # reused by every batch

    @property
    def n_rows(self) -> int:
        return int(self.X.shape[0])

    def batch_terms(self, network: Network, rows: Array | None, *, count_correct: bool,
                    gradient: bool = True) -> tuple[float, float, int, Array | None]:
        """:func:`batch_terms` of the batch ``rows`` (all when None), gathered into
        buffers that every batch reuses."""
        if rows is None:
            if self._X_all is None:
                X = self.X
                self._X_all = X if X.dtype == network.dtype else X.astype(network.dtype)
            return batch_terms(network, self._X_all, self.Y, self.weights,
                               count_correct=count_correct, gradient=gradient)
        Xb_buf, Yb_buf, wb_buf = self._buffer(rows.size, network.dtype)
        Xb = self.reader.take(self.X, rows, network.dtype, Xb_buf)
        Yb = self.reader.take(self.Y, rows, network.dtype, Yb_buf, name="y")
        wb = None if self.weights is None else np.take(self.weights, rows, out=wb_buf)
        return batch_terms(network, Xb, Yb, wb, count_correct=count_correct,
                           gradient=gradient)

    def _buffer(self, m: int, dtype: np.dtype) -> tuple[Array, Array, Array]:
        """Buffers for a batch of ``m`` rows, grown when a larger batch comes."""
        if self._buffers is None or self._buffers[0].shape[0] < m \
                or self._buffers[0].dtype != dtype:
            self._buffers = (np.empty((m, row_width(self.X)), dtype),  # (m, n_in)
                             np.empty((m, self.Y.shape[1]), dtype),  # (m, n_out)
                             np.empty(m))  # (m,)
        Xb, Yb, wb = self._buffers
        return Xb[:m], Yb[:m], wb[:m]

    def pass_terms(self, network: Network, rows: Array | None, *, count_correct: bool,
                   grad: Array | None = None) -> tuple[float, int]:
        """:func:`full_pass` over the selected rows (all when None), with the weights."""
        return full_pass(network, self.X, self.Y, rows, self.reader,
                         count_correct=count_correct, grad=grad, weights=self.weights)

    def weight_total(self, rows: Array | None) -> float:
        """``Σ s_k`` over the selected rows (all when None): their number without weights."""
        return weight_total(self.weights, rows, self.n_rows)


def is_row_source(obj: object) -> bool:
    """Whether ``obj`` is a data source the engine can read (see :class:`ArrayRows`)."""
    return all(hasattr(obj, name)
               for name in ("n_rows", "batch_terms", "pass_terms", "weight_total"))


def evaluate(network: Network, X: object, Y: object, *, batch_size: int = CHUNK,
             indices: Array | None = None, classification: bool | None = None,
             sample_weight: object = None) -> tuple[float, float | None]:
    """Mean cost (and accuracy, for classifiers) over a data set, in chunks.

    Returns ``(C, accuracy)``, ``C = (1/N) Σ_k C_k`` (``Σ_k s_k C_k / Σ_k s_k`` with
    ``sample_weight``; the accuracy stays a share of the rows).  ``accuracy`` (the share of
    rows whose largest output is the target's, or, for one output, on the same
    side of 0.5) is given for cross-entropy networks, or for any network with
    ``classification=True`` (e.g. squared error on one-hot classes); else None.
    ``indices`` selects rows (negative ones count from the end).

    On a network moved to another array library (:meth:`Network.move_to
    <chainrule.nn.network.Network.move_to>`) the passes run there, on X and Y of that
    library and device (others are refused naming X or y); only the sums come back.
    """
    chunk = check_int(batch_size, "batch_size")
    counted = is_classifier(network) if classification is None else bool(classification)
    idx = None if indices is None else np.asarray(indices)
    if network.namespace is not None or not is_numpy(X, Y):  # where the parameters are
        X, Y = network.check_XY(as_data(X, "X"), as_data(Y, "y"))  # X, y there, or refused
        weights = as_weights(host_weights(sample_weight), X.shape[0])
        data = DeviceRows(X, Y, network.namespace, weights)
        rows = None if idx is None else np.arange(data.n_rows)[idx]
        total, correct = data.pass_terms(network, rows, count_correct=counted)
        n = data.n_rows if rows is None else rows.size
        return total / data.weight_total(rows), (correct / n if counted else None)
    X, Y = as_arrays(network, X, Y)
    weights = as_weights(sample_weight, X.shape[0])
    with RowReader() as rows:
        total, correct = full_pass(network, X, Y, idx, rows, count_correct=counted,
                                   chunk=chunk, weights=weights)
    n = X.shape[0] if idx is None else idx.size
    return total / weight_total(weights, idx, X.shape[0]), (correct / n if counted else None)
