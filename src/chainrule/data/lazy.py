"""Dask collections met by duck typing: a function mapped over their blocks of rows, lazily.

A model asked to predict on a Dask array or DataFrame gives back a Dask array that
computes, block by block where the blocks live, what it would give for each block in
memory.  Nothing of Dask is imported here: the collections' own ``map_blocks`` and
``map_partitions`` do the work.

Training with Dask computes on NumPy chunks on the workers: an array of another
library (a PyTorch tensor, a CuPy array) given next to a Dask collection is refused by
name (:func:`check_host_arrays`), never moved silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import DataError, ShapeError
from ..utils.namespace import is_numpy

__all__ = ["check_host_arrays", "is_lazy", "map_rows"]


def is_lazy(X: object) -> bool:
    """Whether ``X`` is a Dask array, DataFrame or Series (a graph not yet computed)."""
    return hasattr(X, "__dask_graph__") and (hasattr(X, "map_blocks")
                                             or hasattr(X, "map_partitions"))


def check_host_arrays(**arrays: object) -> None:
    """Refuse, by its name, an array of another library than NumPy among ``arrays``
    given to training with Dask (each a Dask collection, a NumPy array, an array-like
    or None).

    Raises
    ------
    DataError
        Naming the argument: Dask training computes on NumPy chunks on the workers.
    """
    for name, a in arrays.items():
        if not is_lazy(a) and not is_numpy(a):
            library = type(a).__module__.split(".")[0]
            raise DataError(f"{name}: a {library} {type(a).__name__}; training with Dask "
                            "computes on NumPy chunks on the workers: give a NumPy or Dask "
                            "array (tensor.cpu().numpy())")


def map_rows(X: Any, fn: Callable[[Any], np.ndarray], *, width: int | None,
             dtype: np.dtype) -> Any:
    """``fn`` over each block of rows of ``X``, as a lazy Dask array.

    ``fn`` maps a block of m rows (a NumPy array, or a pandas DataFrame for a Dask
    DataFrame) to an array of shape (m,) when ``width`` is None, else (m, width).
    A Dask array's blocks keep their row chunks; a DataFrame's partitions give a
    Dask array whose row chunks are known once computed.
    """
    shape = (0,) if width is None else (0, width)
    if hasattr(X, "map_partitions"):
        return X.map_partitions(fn, meta=np.empty(shape, dtype))
    if X.ndim == 1:  # one value a row (class labels): blocks of rows as they are
        if width is None:
            return X.map_blocks(fn, dtype=dtype, meta=np.empty(shape, dtype))
        return X.map_blocks(fn, new_axis=1, chunks=(X.chunks[0], (width,)), dtype=dtype,
                            meta=np.empty(shape, dtype))
    if X.ndim != 2:
        raise ShapeError(f"X: expected a 2-D Dask array (examples × features), got {X.ndim}-D")
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})  # every block holds whole rows
    if width is None:
        return X.map_blocks(fn, drop_axis=1, dtype=dtype, meta=np.empty(shape, dtype))
    return X.map_blocks(fn, chunks=(X.chunks[0], (width,)), dtype=dtype,
                        meta=np.empty(shape, dtype))
