"""Input checks shared by the core: every message names the argument and what was expected.

Also the reader of memory-mapped arrays (:class:`FileRows`): rows are read from the
file with positional reads, so that checking or training on a large ``.npy`` keeps
only a block of it in memory.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator

import numpy as np

from ..errors import ConfigError, DataError, ShapeError

Array = np.ndarray

# Bytes per block when a whole array is checked: 16 MB bounds the memory, and the
# per-call overhead (a system call, a NumPy reduction) is negligible at that size.
BLOCK_BYTES = 1 << 24

FLOAT_DTYPES = {"float64": np.float64, "float32": np.float32}


def as_float_dtype(dtype: object, name: str = "dtype") -> np.dtype:
    """Return ``float64`` or ``float32`` as a NumPy dtype, or raise :class:`ConfigError`."""
    try:
        dt = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ConfigError(f"{name}: expected float64 or float32, got {dtype!r}")
    return dt


def check_numeric(X: object, name: str) -> Array:
    """``np.asarray(X)``, refusing object, string, complex and empty arrays and SciPy's
    sparse matrices (NumPy would read one as a 0-d object array)."""
    if type(X).__module__.startswith("scipy.sparse"):
        raise DataError(f"{name}: a SciPy sparse {type(X).__name__}; networks here take dense "
                        f"arrays: give {name}.toarray() (the scikit-learn estimators "
                        "take sparse X as they are)")
    try:
        A = np.asarray(X)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise DataError(f"{name}: cannot be read as a numeric array ({exc})") from None
    kind = A.dtype.kind
    if kind == "c":
        raise DataError(f"{name}: expected real numbers, got complex dtype {A.dtype}")
    if kind not in "biuf":
        hint = ("; text class labels are taken by chainrule.Model(network).fit(X, y), the "
                "estimators and chainrule.viz" if kind in "OUS" and name == "y" else "")
        raise DataError(f"{name}: expected a numeric array, got dtype {A.dtype}{hint}")
    if A.size == 0:
        raise DataError(f"{name}: is empty (shape {A.shape}); need at least one example")
    return A


def as_generator(random_state: object, name: str = "random_state") -> np.random.Generator:
    """``np.random.default_rng(random_state)``, or :class:`ConfigError` naming ``name``.

    Accepts None, a non-negative int (NumPy integers too), a Generator, a
    BitGenerator or a SeedSequence; booleans, negative or fractional seeds and
    anything else are refused by name.
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.BitGenerator | np.random.SeedSequence):
        return np.random.default_rng(random_state)
    ok = random_state is None or (isinstance(random_state, int | np.integer)
                                  and not isinstance(random_state, bool) and random_state >= 0)
    if not ok:
        raise ConfigError(f"{name}: expected None, an integer >= 0 or a numpy Generator, "
                          f"got {random_state!r}")
    return np.random.default_rng(random_state)  # type: ignore[arg-type]


def check_finite(A: Array, name: str, block_bytes: int = BLOCK_BYTES, *,
                 fits: np.dtype | None = None) -> None:
    """Raise :class:`DataError` naming the first row and column holding NaN or infinity.

    With ``fits`` (a narrower float dtype that ``A`` is about to be converted
    to), a finite value too large for it (|x| > its largest finite number, which
    the conversion would turn into infinity) is an error too.  Works in blocks of
    about ``block_bytes``, read by :func:`row_blocks`, so a memory-mapped array is
    neither loaded whole nor left mapped into the process.
    """
    if A.dtype.kind not in "fc":
        return
    limit = None
    if fits is not None and np.dtype(fits).kind == "f" and \
            np.finfo(fits).max < np.finfo(A.dtype).max:
        limit = float(np.finfo(fits).max)
    A2 = A.reshape(A.shape[0], -1) if A.ndim > 1 else A.reshape(-1, 1)
    rows = max(1, block_bytes // max(1, A2.shape[1] * A2.itemsize))
    for start, block in row_blocks(A2, rows, name):
        check_finite_block(block, name, start)
        if limit is not None:
            _check_fits_block(block, name, start, limit, np.dtype(fits))


def _check_fits_block(block: Array, name: str, start: int, limit: float,
                      dtype: np.dtype) -> None:
    """Raise DataError for the first entry of the finite ``block`` with |x| > ``limit``."""
    if block.max() <= limit and block.min() >= -limit:  # two passes, no temporaries
        return
    r, c = np.argwhere(np.abs(block) > limit)[0]
    raise DataError(f"{name}: value {block[r, c]:g} at row {start + r}, column {c} does not "
                    f"fit {dtype.name} (whose largest value is {limit:.4g})")


def row_blocks(A: Array, rows: int, name: str, *,
               exact: bool = False) -> Iterator[tuple[int, Array]]:
    """``(start, A[start:start + rows])`` for each block of rows of the 2-D ``A``.

    A memory-mapped ``A`` is read from its file (:class:`FileRows`) into one
    buffer, never through the mapping; each block is then only valid until the
    next one is yielded.  Rows further apart in the file than their size (a
    column of a wider table) make the blocks smaller, so that a block reads about
    as many bytes as ``rows`` contiguous rows would; with ``exact`` the blocks
    keep ``rows`` rows whatever the layout (results that depend on how rows are
    grouped, such as BLAS products, then come out the same for any storage).
    """
    n = A.shape[0]
    reader = FileRows.open(A, name)
    if reader is None:
        for start in range(0, n, rows):
            yield start, A[start:start + rows]
        return
    with reader:
        if reader.stride > reader.row_bytes and not exact:  # a block reads the gaps too
            rows = max(1, rows * reader.row_bytes // reader.stride)
        buf = np.empty((min(rows, n), A.shape[1]), A.dtype)
        for start in range(0, n, rows):
            stop = min(start + rows, n)
            yield start, reader.read_range(start, stop, buf[:stop - start])


def read_into_memory(A: Array, name: str, block_bytes: int = BLOCK_BYTES) -> Array:
    """``A`` as an array in the process's memory, read from its file if memory-mapped.

    ``np.asarray`` of a memmap leaves every page it touches mapped into the process
    (the whole file, for a column of it); this reads the rows with
    :func:`row_blocks` instead, so only the result itself takes memory.
    """
    if not isinstance(A, np.ndarray) or _mapped_file(A) is None:
        return np.asarray(A)
    A2 = A.reshape(A.shape[0], -1) if A.ndim > 1 else A.reshape(-1, 1)
    out = np.empty(A2.shape, A.dtype)
    rows = max(1, block_bytes // max(1, A2.shape[1] * A2.itemsize))
    for start, block in row_blocks(A2, rows, name):
        out[start:start + block.shape[0]] = block
    return out.reshape(A.shape)


def first_non_finite(block: Array) -> tuple[int, int] | None:
    """``(row, column)`` of the first NaN or infinity in the 2-D ``block``, or None."""
    # Any NaN or infinity makes the sum non-finite, and the sum needs no temporary; a
    # non-finite sum of finite values (overflow) falls through to the exact test.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(block.sum()):
            return None
    bad = ~np.isfinite(block)
    if not bad.any():
        return None
    r, c = np.argwhere(bad)[0]
    return int(r), int(c)


def check_finite_block(block: Array, name: str, start: int) -> None:
    """Raise DataError for the first non-finite entry of ``block`` (its rows ``start``, ...)."""
    where = first_non_finite(block)
    if where is None:
        return
    r, c = where
    what = "NaN" if np.isnan(block[r, c]) else "infinity"
    raise DataError(f"{name}: contains {what} at row {start + r}, column {c}")


def _mapped_file(A: Array) -> tuple[str, int] | None:
    """``(file name, byte position of A[0, 0])`` when A lies in a file-backed np.memmap.

    Follows A's chain of bases down to the memmap that owns the mapping; its
    ``offset`` is where its own first byte lies in the file, and A's first byte is
    as far from it in the file as in memory.  None for arrays in ordinary memory,
    for mappings of unnamed files, and for copy-on-write maps (``mode='c'``), whose
    pages may differ from the file.
    """
    obj: object = A
    while isinstance(obj, np.ndarray):
        if isinstance(obj, np.memmap) and isinstance(obj.base, mmap.mmap):
            if not obj.filename or obj.mode == "c":
                return None
            shift = A.__array_interface__["data"][0] - obj.__array_interface__["data"][0]
            return obj.filename, obj.offset + shift
        obj = obj.base
    return None


class FileRows:
    """Rows of a memory-mapped 2-D array, read from its file with positional reads.

    Reading through a memory map leaves every page it touched mapped into the
    process, and so counted in its resident memory, until the map is closed; where
    the page cache holds files in large folios one row can map megabytes, and an
    epoch of shuffled batches maps the whole file.  ``os.preadv`` copies the same
    bytes into a buffer that the process owns and maps nothing, so memory stays
    bounded by the buffers.  Rows must be contiguous in the file; use
    :meth:`open`, which returns None where this reader does not apply.  The file is
    opened read-only by name (the one the memmap was made from) and closed by
    :meth:`close` or at the end of a ``with`` block.
    """

    def __init__(self, A: Array, path: str, start: int, name: str):
        self.shape, self.dtype, self.name, self.path = A.shape, A.dtype, name, path
        self.row_bytes = A.shape[1] * A.itemsize
        self.stride = A.strides[0]  # file bytes from one row to the next
        self.start = start  # file position of row 0
        self._scratch: Array | None = None
        self._span: Array | None = None  # bytes of a span of strided rows (read_range)
        self._fd: int | None = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            self._iov_max = max(1, os.sysconf("SC_IOV_MAX"))
        except (ValueError, OSError):
            self._iov_max = 1024

    @classmethod
    def open(cls, A: Array, name: str) -> FileRows | None:
        """A reader for ``A`` if it is a 2-D view of a file-backed memmap, else None."""
        if not hasattr(os, "preadv") or A.ndim != 2 or A.size == 0:
            return None
        if A.shape[1] > 1 and A.strides[1] != A.itemsize:
            return None  # a row is not one run of bytes (Fortran order, column slices)
        where = _mapped_file(A)
        if where is None:
            return None
        try:
            reader = cls(A, *where, name)
        except OSError:
            return None  # the file is gone or unreadable: the mapping still works
        first = reader.start + min(0, reader.stride) * (A.shape[0] - 1)
        last = reader.start + max(0, reader.stride) * (A.shape[0] - 1) + reader.row_bytes
        if first < 0 or os.fstat(reader._fd).st_size < last:  # type: ignore[arg-type]
            reader.close()  # not the file that was mapped (it changed): keep to the mapping
            return None
        return reader

    def close(self) -> None:
        """Close the file (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> FileRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------

    def take(self, sel: Array, dtype: np.dtype, out: Array | None = None) -> Array:
        """Rows ``A[sel]`` converted to ``dtype``, as ``np.take`` would give them.

        Written into ``out`` (shape ``(len(sel), n_columns)``) when given; rows of
        another dtype than the file's go through a scratch buffer and are converted
        with ``np.copyto(casting='same_kind')``, as in memory.
        """
        m = sel.shape[0]
        direct = out is not None and out.dtype == self.dtype and out.flags.c_contiguous
        if out is None:
            buf = np.empty((m, self.shape[1]), self.dtype)
        elif direct:
            buf = out
        else:
            if self._scratch is None or self._scratch.shape[0] < m:
                self._scratch = np.empty((m, self.shape[1]), self.dtype)
            buf = self._scratch[:m]
        self._read_rows(sel, buf)
        if out is None:
            return buf if buf.dtype == dtype else buf.astype(dtype)
        if not direct:
            np.copyto(out, buf, casting="same_kind")
        return out

    def read_range(self, start: int, stop: int, out: Array) -> Array:
        """Rows ``start:stop`` into ``out`` (C-contiguous, the file's dtype).

        Rows that are further apart in the file than their own size (a column of a
        wider array) are read as the one span that covers them, then picked out:
        one read call instead of one per row.
        """
        m = stop - start
        if m <= 0:
            return out
        if self.stride == self.row_bytes:
            self._read(_bytes_of(out), self.start + start * self.row_bytes, start)
        elif self.stride > self.row_bytes:
            span = (m - 1) * self.stride + self.row_bytes
            if self._span is None or self._span.size < span:
                self._span = np.empty(span, np.uint8)
            self._read(memoryview(self._span[:span]), self.start + start * self.stride, start)
            rows = np.ndarray((m, self.shape[1]), self.dtype, self._span, 0,
                              (self.stride, self.dtype.itemsize))
            np.copyto(out, rows)
        else:
            self._read_rows(np.arange(start, stop), out)
        return out

    def _read_rows(self, sel: Array, out: Array) -> None:
        """Rows ``sel`` into ``out``, in order of their place in the file for locality."""
        n, m, rb = self.shape[0], sel.shape[0], self.row_bytes
        if m == 0:
            return
        order = np.argsort(sel, kind="stable")
        s = sel[order]
        if s[0] < 0 or s[-1] >= n:  # np.take's rules: -n <= i < n, negatives count back
            if s[0] < -n or s[-1] >= n:
                bad = s[0] if s[0] < -n else s[-1]
                raise IndexError(f"index {bad} is out of bounds for axis 0 with size {n}")
            sel = np.where(sel < 0, sel + n, sel)
            order = np.argsort(sel, kind="stable")
            s = sel[order]
        buf = _bytes_of(out)  # row i is buf[i * rb:(i + 1) * rb]
        # runs of rows that follow each other in the file are read by one call
        if self.stride == rb:
            ends = (np.flatnonzero(np.diff(s) != 1) + 1).tolist()
        else:
            ends = list(range(1, m))
        ends.append(m)
        dest, first = order.tolist(), s.tolist()
        fd, preadv, start, stride = self._fd, os.preadv, self.start, self.stride
        a = 0
        for b in ends:
            pos = start + first[a] * stride
            if b - a == 1:  # the usual case for shuffled batches: one row, one call
                row = buf[dest[a] * rb:(dest[a] + 1) * rb]
                if preadv(fd, [row], pos) != rb:  # type: ignore[arg-type]
                    self._read(row, pos, first[a])
            elif dest[a:b] == list(range(dest[a], dest[a] + b - a)):  # in place, too
                self._read(buf[dest[a] * rb:(dest[a] + b - a) * rb], pos, first[a])
            else:  # consecutive in the file, scattered in out: one vectored read per run
                for c in range(a, b, self._iov_max):
                    stop = min(b, c + self._iov_max)  # this run's rows only
                    rows = [buf[i * rb:(i + 1) * rb] for i in dest[c:stop]]
                    self._read_scattered(rows, start + first[c] * stride, first[c])
            a = b

    def _read(self, buf: memoryview, pos: int, row: int) -> None:
        """Fill ``buf`` from file position ``pos``, where row ``row`` starts."""
        done = 0
        while done < len(buf):
            got = os.preadv(self._fd, [buf[done:]], pos + done)  # type: ignore[arg-type]
            if got == 0:
                raise DataError(f"{self.name}: {self.path} ends before row "
                                f"{row + done // self.row_bytes} (the file was shortened "
                                "after it was opened)")
            done += got

    def _read_scattered(self, rows: list[memoryview], pos: int, row: int) -> None:
        """Consecutive rows of the file, from ``pos`` on, into the row buffers ``rows``."""
        got = os.preadv(self._fd, rows, pos)  # type: ignore[arg-type]
        if got != len(rows) * self.row_bytes:  # short: finish row by row, or report
            for i, buf in enumerate(rows):
                self._read(buf, pos + i * self.row_bytes, row + i)


def _bytes_of(out: Array) -> memoryview:
    """The bytes of the C-contiguous array ``out`` as a flat, writable memoryview."""
    return memoryview(out.reshape(-1).view(np.uint8))


def as_2d(X: object, name: str, width: int | None, dtype: np.dtype | None,
          *, check_values: bool = True) -> tuple[Array, bool]:
    """Validate ``X`` as an (N, width) float array of ``dtype``.

    A 1-D array of length ``width`` is one example; when ``width == 1`` a 1-D
    array is a column of examples.  Returns the 2-D array and whether the input
    was a single 1-D example (so results can be given back as 1-D).
    """
    A = check_numeric(X, name)
    single = False
    if A.ndim == 1:
        if width is not None and width != 1 and A.shape[0] == width:
            A, single = A[None, :], True
        elif width == 1 or width is None:
            A = A[:, None]
        else:
            raise ShapeError(
                f"{name}: a 1-D array must hold one example of {width} values, "
                f"got {A.shape[0]} values{_labels_hint(A, width)}"
            )
    elif A.ndim != 2:
        raise ShapeError(f"{name}: expected a 2-D array (examples × features), got {A.ndim}-D")
    if width is not None and A.shape[1] != width:
        noun = "features (columns)" if name.lower().startswith("x") else "columns"
        raise ShapeError(f"{name}: expected {width} {noun}, got {A.shape[1]}")
    if dtype is not None and A.dtype != dtype:
        if check_values:  # before converting: a value too large for dtype would become ±inf
            check_finite(A, name, fits=dtype)
            check_values = False
        with np.errstate(over="ignore"):
            A = A.astype(dtype)
    if check_values:
        check_finite(A, name)
    return A, single


def _labels_hint(A: Array, width: int) -> str:
    """A hint for whole numbers given where one-hot rows of ``width`` columns are wanted."""
    if A.dtype.kind not in "biu" and not np.array_equal(A, np.round(A)):
        return ""
    return (f"; class labels? the network wants one-hot rows of {width} columns "
            f"(np.eye({width})[labels]); chainrule.Model, the estimators and chainrule.viz "
            "take labels as they are")


def check_same_rows(X: Array, Y: Array, x_name: str = "X", y_name: str = "y") -> None:
    """Raise :class:`ShapeError` unless ``X`` and ``Y`` have the same number of examples."""
    if X.shape[0] != Y.shape[0]:
        raise ShapeError(
            f"{y_name}: has {Y.shape[0]} examples (rows) but {x_name} has {X.shape[0]}"
        )
