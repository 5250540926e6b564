"""Splitting examples into a training part and a held-out part, by index."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import ConfigError, ShapeError
from .checks import as_rng

__all__ = ["split"]

Array = np.ndarray


def split(X: object, y: object = None, fraction: float = 0.2,
          random_state: object = None) -> tuple[Array, Array]:
    """Random train/held-out split as index arrays.

    Indices rather than copies keep a memory-mapped ``X`` mapped: index it one
    batch at a time.  ``n_held = ⌈fraction · N⌉`` as in scikit-learn's
    ``train_test_split``; both index arrays are sorted so reading a memmap
    through them runs forwards through the file.

    Parameters
    ----------
    X : array-like with N rows
    y : array-like with N rows, optional
        Only checked to have as many rows as ``X``.
    fraction : float in (0, 1), default 0.2
        Share of the rows held out.
    random_state : None, int or numpy Generator

    Returns
    -------
    train_idx, held_idx : ndarray of intp
        Disjoint; together every row index ``0 … N−1`` once.
    """
    n = int(np.shape(X)[0]) if np.ndim(X) else 0
    if y is not None and np.ndim(y) and int(np.shape(y)[0]) != n:
        raise ShapeError(f"y: has {np.shape(y)[0]} examples (rows) but X has {n}")
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) \
            or not 0.0 < fraction < 1.0:
        raise ConfigError(f"fraction: expected a number strictly between 0 and 1, got {fraction!r}")
    # round() first so that e.g. 0.1 · 30 counts as 3, not 3.0000000000000004 -> 4.
    n_held = math.ceil(round(fraction * n, 9))
    if n_held < 1 or n_held >= n:
        raise ConfigError(f"fraction: {fraction} of {n} examples leaves {n_held} held out and "
                          f"{n - n_held} for training; each part needs at least one")
    perm = as_rng(random_state).permutation(n)
    return (np.sort(perm[n_held:]).astype(np.intp, copy=False),
            np.sort(perm[:n_held]).astype(np.intp, copy=False))

