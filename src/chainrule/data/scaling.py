"""Standardising inputs column by column, block by block: :class:`Standardizer`.

A memory-mapped ``X`` (a large ``.npy``) is never read whole: the statistics are
gathered block by block, and :func:`standardized` writes ``(X − mean) / scale``
block by block into a temporary file, unlinked as soon as it is made, which the
training loop then reads as it would read the original.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np

from ..errors import ChainruleError, ConfigError, DataError, ModelFileError, ShapeError
from ..utils import validation
from ..utils.files import os_error_reason
from ..utils.validation import (
    check_finite_block,
    check_numeric,
    first_non_finite,
    row_blocks,
)
from .checks import check_int
from .source import Source

__all__ = ["CHUNK_ROWS", "Standardizer", "block_rows", "check_fits", "scale_block",
           "standardized"]

Array = np.ndarray

# Rows per block when a (possibly memory-mapped) array is scanned.
CHUNK_ROWS = 65536


def _exponent_above(block: Array) -> Array:
    """Per column the least ``e`` with ``|x| < 2^e`` for every ``x`` of the block (0 for zeros)."""
    big = np.maximum(np.abs(block.max(axis=0)), np.abs(block.min(axis=0)))
    return np.frexp(big)[1].astype(np.int64)  # big = m · 2^e with 0.5 ≤ m < 1


class Standardizer:
    """Per-column standardisation ``Xs = (X − mean_) / scale_``.

    ``scale_`` is the population standard deviation ``√(Σ_k (x_k − mean)² / N)``,
    or 1 for a constant column (so it passes through centred, not divided by
    zero).  Statistics are gathered block by block with Chan et al.'s pairwise
    update, so a memory-mapped ``X`` is read in pieces and never held whole.
    A block holds ``chunk_rows`` rows, fewer where rows are wide (a block of
    float64 stays within about 16 MiB).

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (n_features,), float64
    n_features_in_ : int
    n_samples_seen_ : int
    """

    def __init__(self, chunk_rows: int = CHUNK_ROWS) -> None:
        self.chunk_rows = chunk_rows

    def _step(self, A: Array) -> int:
        """Rows per block: ``chunk_rows``, fewer for wide rows (a block of float64 stays
        within about ``chainrule.utils.validation.BLOCK_BYTES``)."""
        rows = check_int(self.chunk_rows, "chunk_rows", 1)
        return min(rows, max(1, validation.BLOCK_BYTES // (8 * max(1, A.shape[1]))))

    @staticmethod
    def _rows(X: object, name: str) -> Array:
        """``X`` as a 2-D numeric array without copying (a memmap stays mapped)."""
        A = check_numeric(X, name)
        if A.ndim != 2:
            raise ShapeError(f"{name}: expected a 2-D array (examples × features), got {A.ndim}-D")
        return A

    def fit(self, X: object) -> Standardizer:
        """Compute ``mean_`` and ``scale_`` of each column of ``X`` (N, n_features).

        Each block contributes its count ``n_b``, mean ``m_b`` and squared
        deviations ``M2_b``; merged into the running ``(n, m, M2)`` as
        ``m += δ n_b / (n + n_b)`` and ``M2 += M2_b + δ² n n_b / (n + n_b)``
        with ``δ = m_b − m``.  The sums are kept in units ``u = x / 2^e`` per
        column, ``2^e`` the power of two above the largest ``|x|`` seen so far:
        dividing by a power of two is exact, and ``Σ u²`` cannot overflow even
        for values near the float64 limit (``(1e300)²`` would).
        """
        A = self._rows(X, "X")
        n_cols = A.shape[1]
        n, mean, M2 = 0, np.zeros(n_cols), np.zeros(n_cols)
        shift: Array = np.zeros(n_cols)  # replaced by row 0 in the first block (in units u)
        e = np.full(n_cols, np.iinfo(np.int32).min // 2)  # exponents of the units
        for start, rows in row_blocks(A, self._step(A), "X"):
            # a C-ordered copy, scaled and shifted in place below: the sums then run in the same
            # order whatever the layout of X, so a Fortran-ordered table gives the same bits
            block = np.array(rows, dtype=np.float64, order="C")
            check_finite_block(block, "X", start)
            e_new = np.maximum(e, _exponent_above(block))
            if start > 0 and (e_new > e).any():
                r = np.ldexp(1.0, e - e_new)  # ≤ 1, a power of two: exact rescaling
                mean *= r
                M2 *= r * r
                shift *= r
            e = e_new
            np.ldexp(block, -e, out=block)
            if start == 0:
                # Work on X − X[0]: for a column like 1e6 ± 1e-3 the shift keeps the
                # block means small, so merging them does not cancel away the variance.
                shift = block[0].copy()
            block -= shift
            n_b = block.shape[0]
            m_b = block.mean(axis=0)
            M2_b = np.square(block - m_b).sum(axis=0)
            delta = m_b - mean
            total = n + n_b
            mean += delta * (n_b / total)
            M2 += M2_b + np.square(delta) * (n * n_b / total)
            n = total
        return self._set(n, np.ldexp(mean + shift, e), np.ldexp(np.sqrt(M2 / n), e))

    def _set(self, n: int, mean: Array, std: Array) -> Standardizer:
        # A column whose values differ only in the last bits of its mean counts as
        # constant (std 0 included): dividing by that std would blow rounding up to units.
        constant = std <= 16 * np.finfo(np.float64).eps * np.abs(mean)
        self.mean_ = mean
        self.scale_ = np.where(constant, 1.0, std)
        self.n_features_in_ = int(mean.size)
        self.n_samples_seen_ = int(n)
        return self

    @classmethod
    def from_moments(cls, n: int, mean: Array, M2: Array,
                     unit: Array | None = None) -> Standardizer:
        """A Standardizer fitted to ``n`` rows whose columns have these means and sums of
        squared deviations ``M2 = Σ_k (x_k − mean)²`` (gathered elsewhere: on a cluster,
        chunk by chunk, on a device); ``scale_ = √(M2 / n)``, 1 for a constant column, as
        :meth:`fit`.  With ``unit`` (one power of two per column) ``M2`` is counted in
        units ``u = x / unit``, as :meth:`fit` counts it, and ``scale_ = unit · √(M2 / n)``:
        the squares of values near the float64 limit stay finite."""
        mean, M2 = np.asarray(mean, np.float64), np.asarray(M2, np.float64)
        std = np.sqrt(M2 / n)
        return cls()._set(int(n), mean, std if unit is None else std * np.asarray(unit))

    def _check_fitted(self, X: object, name: str) -> Array:
        if not hasattr(self, "mean_"):
            raise ChainruleError("Standardizer: call fit() (or from_dict()) before transforming")
        A = self._rows(X, name)
        if A.shape[1] != self.n_features_in_:
            raise ShapeError(f"{name}: expected {self.n_features_in_} columns (as fitted), "
                             f"got {A.shape[1]}")
        return A

    def _apply(self, A: Array, forward: bool, out: Array | None) -> Array:
        # float32 data stays float32; anything else becomes float64.
        dtype = np.float32 if A.dtype == np.float32 else np.float64
        if out is None:
            out = np.empty(A.shape, dtype)
        elif not isinstance(out, np.ndarray) or out.shape != A.shape \
                or out.dtype.kind != "f" or not out.flags.writeable:
            raise ShapeError(f"out: expected a writable float array of shape {A.shape}, got "
                             f"{getattr(out, 'shape', None)} of {getattr(out, 'dtype', type(out))}")
        for start, rows in row_blocks(A, self._step(A), "X"):
            out_rows = out[start:start + rows.shape[0]]
            with np.errstate(over="ignore", invalid="ignore"):
                if forward:
                    np.subtract(rows, self.mean_, out=out_rows)
                    np.divide(out_rows, self.scale_, out=out_rows)
                else:
                    np.multiply(rows, self.scale_, out=out_rows)
                    np.add(out_rows, self.mean_, out=out_rows)
            self._check_result(out_rows, rows, start, forward)
        return out

    def _check_result(self, out_rows: Array, rows: Array, start: int, forward: bool) -> None:
        """DataError for a finite input whose result overflows ``out``'s dtype."""
        where = first_non_finite(out_rows)
        if where is None:
            return
        i, j = where
        what = "(x − mean) / scale" if forward else "x · scale + mean"
        raise DataError(f"X: row {start + i}, column {j}: {what} of {float(rows[i, j]):g} "
                        f"overflows {out_rows.dtype} (mean {self.mean_[j]:g}, scale "
                        f"{self.scale_[j]:g})")

    def transform(self, X: object, out: Array | None = None) -> Array:
        """``(X − mean_) / scale_``, computed block by block.

        Parameters
        ----------
        X : array-like of shape (N, n_features)
            A memory-mapped ``X`` is read block by block, never mapped whole.
        out : ndarray of shape (N, n_features), optional
            Written in place and returned (e.g. a memory-mapped file, so that a
            large ``X`` is never held in memory); a new array by default, float32
            for float32 ``X`` and float64 otherwise.

        Raises
        ------
        DataError
            For a value whose result overflows (a column spanning nearly the
            whole float64 range), naming its row and column.
        """
        return self._apply(self._check_fitted(X, "X"), True, out)

    def fit_transform(self, X: object) -> Array:
        """:meth:`fit` then :meth:`transform`."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Xs: object, out: Array | None = None) -> Array:
        """``Xs · scale_ + mean_``, undoing :meth:`transform` (``out`` as there)."""
        return self._apply(self._check_fitted(Xs, "Xs"), False, out)

    def to_dict(self) -> dict[str, list[float]]:
        """``{"mean": [...], "scale": [...]}`` as plain floats, for JSON metadata."""
        if not hasattr(self, "mean_"):
            raise ChainruleError("Standardizer: call fit() before to_dict()")
        return {"mean": [float(v) for v in self.mean_], "scale": [float(v) for v in self.scale_]}

    @classmethod
    def from_dict(cls, data: object) -> Standardizer:
        """Rebuild a fitted Standardizer from :meth:`to_dict`'s output.

        Raises
        ------
        ModelFileError
            If keys are missing, lengths differ, or a value is not finite
            (or a scale not positive).
        """
        if not isinstance(data, dict) or not {"mean", "scale"} <= data.keys():
            raise ModelFileError(f"standardizer: expected a dict with 'mean' and 'scale' lists, "
                                 f"got {data!r}")
        try:
            mean = np.asarray(data["mean"], dtype=np.float64)
            scale = np.asarray(data["scale"], dtype=np.float64)
        except (TypeError, ValueError):
            raise ModelFileError("standardizer: 'mean' and 'scale' must be lists of numbers") \
                from None
        if mean.ndim != 1 or mean.shape != scale.shape or mean.size == 0:
            raise ModelFileError(f"standardizer: 'mean' and 'scale' must be non-empty lists of "
                                 f"equal length, got {mean.shape} and {scale.shape}")
        if not (np.isfinite(mean).all() and np.isfinite(scale).all() and (scale > 0).all()):
            raise ModelFileError("standardizer: values must be finite and every scale positive")
        s = cls()
        s.mean_, s.scale_ = mean, scale
        s.n_features_in_ = int(mean.size)
        s.n_samples_seen_ = 0
        return s



# ---------------------------------------------------------------------------
# Scaling a user's data, with messages that name its file, row and column
# ---------------------------------------------------------------------------


def block_rows(A: Array, floats_per_row: int = 0) -> int:
    """Rows of ``A`` per block so that a block takes about ``validation.BLOCK_BYTES``.

    A column of a memory-mapped table is read with the rest of each row, so a
    row costs its stride in the file, not just its own bytes; ``floats_per_row``
    counts float64 work per row beyond that (e.g. a forward pass).
    """
    per_row = max(abs(A.strides[0]), A.shape[1] * A.itemsize, 8 * floats_per_row, 1)
    return max(1, validation.BLOCK_BYTES // per_row)


def scale_block(scaler: Standardizer, block: Array, start: int, source: Source,
                out: Array | None = None) -> Array:
    """``scaler.transform(block)`` for rows ``start, ...`` of the data; an overflow is
    reported naming the file (or argument), row and column of ``source``."""
    try:
        return scaler.transform(block, out=out)
    except DataError:
        with np.errstate(over="ignore", invalid="ignore"):
            bad = ~np.isfinite((np.asarray(block, np.float64) - scaler.mean_) / scaler.scale_)
        if not bad.any():
            raise
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise DataError(f"{source.where(start + i, j)}: {float(block[i, j]):g} overflows "
                        f"float64 once standardised as in training, (x − {scaler.mean_[j]:g}) / "
                        f"{scaler.scale_[j]:g}") from None


def standardized(X: Array, scaler: Standardizer | None, source: Source,
                 stack: contextlib.ExitStack) -> Array:
    """``(X − mean) / scale``, without holding a memory-mapped ``X`` in memory.

    An ordinary array is transformed in memory.  A memory-mapped one (a large
    ``.npy``) is transformed block by block into a temporary ``.npy`` file and
    returned memory-mapped from there, so memory does not grow with the file.
    The file is removed from its folder as soon as it is made, so not even
    SIGKILL leaves it behind; it lives until ``stack`` closes.

    Raises
    ------
    ConfigError
        When the temporary folder has no room for the copy (naming the folder).
    DataError
        For a value that overflows once standardised (naming row and column).
    """
    if scaler is None:
        return X
    if not isinstance(X, np.memmap):
        return scale_block(scaler, X, 0, source)
    dtype = np.dtype(np.float32 if X.dtype == np.float32 else np.float64)
    name = _unlinked_npy(stack)
    rows = block_rows(X)
    buf = np.empty((min(rows, X.shape[0]), X.shape[1]), dtype)
    # written, not mapped: pages written through a map would stay in the process's memory
    try:
        with open(name, "wb") as f:
            np.lib.format.write_array_header_1_0(
                f, {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False,
                    "shape": X.shape})
            for start, block in row_blocks(X, rows, "X"):
                f.write(scale_block(scaler, block, start, source, out=buf[:block.shape[0]]).data)
    except OSError as exc:
        folder = Path(tempfile.gettempdir())
        raise ConfigError(f"{source.name}: cannot write its standardised copy "
                          f"({X.nbytes / 2**20:.0f} MB) to the temporary folder {folder}: "
                          f"{os_error_reason(exc, folder)}; set TMPDIR to a folder with room, "
                          "or train without standardising (--no-standardize, "
                          "standardize=False)") from exc
    return np.load(name, mmap_mode="r", allow_pickle=False)


def _unlinked_npy(stack: contextlib.ExitStack) -> str:
    """A name for a temporary .npy file whose directory entry is already gone.

    The file is created in the system's temporary folder and unlinked at once;
    its descriptor stays open (closed when ``stack`` closes) and the file is
    reached through ``/proc/self/fd/N``, a name the library can also open for
    its positional reads.  Where there is no such name (not Linux), a temporary
    folder removed when ``stack`` closes holds it instead.
    """
    fd, path = tempfile.mkstemp(prefix="chainrule-", suffix=".npy")
    stack.callback(os.close, fd)
    proc_name = f"/proc/self/fd/{fd}"
    os.unlink(path)  # the open descriptor keeps the file; nothing is left by a kill
    if os.path.exists(proc_name):
        return proc_name
    folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="chainrule-"))
    return os.path.join(folder, "X_standardised.npy")


def check_fits(X: Array, scaler: Standardizer | None, dtype: np.dtype, source: Source) -> None:
    """For a float32 network, every input must fit float32 once scaled: a DataError names
    the file, row and column of a value that does not (instead of an infinity met later).

    ``X`` holds the data's own values, given to the network after ``scaler``
    (None: as they are).
    """
    if np.dtype(dtype) != np.float32:
        return
    limit = float(np.finfo(np.float32).max)
    for start, block in row_blocks(X, block_rows(X), "X"):
        Xb = scale_block(scaler, block, start, source) if scaler is not None else block
        big = np.abs(Xb) > limit
        if not big.any():
            continue
        i, j = (int(v) for v in np.argwhere(big)[0])
        after = f" ({float(Xb[i, j]):.4g} once standardised as in training)" \
            if scaler is not None else ""
        raise DataError(f"{source.where(start + i, j)}: {float(block[i, j]):g}{after} does not "
                        f"fit float32, the network's dtype (largest {limit:.4g})")
