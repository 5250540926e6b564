"""Input checks shared by the core: every message names the argument and what was expected."""

from __future__ import annotations

import numpy as np

from .errors import ConfigError, DataError, ShapeError

Array = np.ndarray

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
    """``np.asarray(X)``, refusing object, string, complex and empty arrays."""
    try:
        A = np.asarray(X)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise DataError(f"{name}: cannot be read as a numeric array ({exc})") from None
    kind = A.dtype.kind
    if kind == "c":
        raise DataError(f"{name}: expected real numbers, got complex dtype {A.dtype}")
    if kind not in "biuf":
        raise DataError(f"{name}: expected a numeric array, got dtype {A.dtype}")
    if A.size == 0:
        raise DataError(f"{name}: is empty (shape {A.shape}); need at least one example")
    return A


def check_finite(A: Array, name: str, chunk_rows: int = 65536) -> None:
    """Raise :class:`DataError` naming the first row and column holding NaN or infinity.

    Works in blocks of rows, so a memory-mapped array is never loaded whole.
    """
    if A.dtype.kind not in "fc":
        return
    A2 = A.reshape(A.shape[0], -1) if A.ndim > 1 else A.reshape(-1, 1)
    for start in range(0, A2.shape[0], chunk_rows):
        block = A2[start:start + chunk_rows]
        if not np.isfinite(block).all():
            r, c = np.argwhere(~np.isfinite(block))[0]
            what = "NaN" if np.isnan(block[r, c]) else "infinity"
            raise DataError(f"{name}: contains {what} at row {start + r}, column {c}")


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
                f"got {A.shape[0]} values"
            )
    elif A.ndim != 2:
        raise ShapeError(f"{name}: expected a 2-D array (examples × features), got {A.ndim}-D")
    if width is not None and A.shape[1] != width:
        noun = "features (columns)" if name.lower().startswith("x") else "columns"
        raise ShapeError(f"{name}: expected {width} {noun}, got {A.shape[1]}")
    if dtype is not None and A.dtype != dtype:
        A = A.astype(dtype)
    if check_values:
        check_finite(A, name)
    return A, single


def check_same_rows(X: Array, Y: Array, x_name: str = "X", y_name: str = "y") -> None:
    """Raise :class:`ShapeError` unless ``X`` and ``Y`` have the same number of examples."""
    if X.shape[0] != Y.shape[0]:
        raise ShapeError(
            f"{y_name}: has {Y.shape[0]} examples (rows) but {x_name} has {X.shape[0]}"
        )
