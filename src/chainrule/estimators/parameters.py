"""``coefs_`` and ``intercepts_``: scikit-learn's lists of weights, as views of the network.

scikit-learn keeps its weights in two plain lists, and its users read them, change
them in place, assign whole new lists (``est.coefs_ = [...]``) or single layers
(``est.coefs_[0] = W``), before fitting (to start ``partial_fit`` or a warm start from
weights of their own) or after.  chainrule's estimators keep every weight in the
network's one flat vector (``network_.params``); ``coefs_[l]`` and ``intercepts_[l]``
are views of ``W[l].T`` and ``b[l]`` in it, so reading and in-place changes reach the
network as they are, and assignments are copied into the views (:class:`LayerList`,
:func:`copy_layers`).  Before the first fit an assigned list is kept as it is, for the
fit that starts from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any, SupportsIndex

import numpy as np

from ..errors import DataError, ShapeError
from ..utils.namespace import assign, to_numpy

__all__ = ["LayerList", "copy_layer", "copy_layers", "starting_weights"]

Array = np.ndarray


def copy_layer(view: Array, value: object, name: str) -> None:
    """Copy ``value`` into the network's ``view``: same shape, finite numbers.

    Raises
    ------
    ShapeError, DataError
        Naming ``name`` (e.g. ``coefs_[1]``), with the shape expected and given.
    """
    try:
        arr = np.asarray(to_numpy(value), dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{name}: expected an array of numbers, got "
                        f"{type(value).__name__}") from None
    if arr.shape != view.shape:
        raise ShapeError(f"{name}: expected shape {view.shape}, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise DataError(f"{name}: contains NaN or infinity")
    if isinstance(view, np.ndarray):
        np.copyto(view, arr, casting="same_kind")
    else:  # a network on another library's device: the values go there
        assign(view, arr)


def copy_layers(views: Sequence[Array], values: object, name: str) -> None:
    """Copy a whole list assigned to ``name`` into the views, one layer after another."""
    if isinstance(values, np.ndarray) or not isinstance(values, Sequence):
        raise DataError(f"{name}: expected a list with one array per layer, got "
                        f"{type(values).__name__}")
    if len(values) != len(views):
        raise ShapeError(f"{name}: the network has {len(views)} layers, got {len(values)} "
                         "arrays")
    for l, (view, value) in enumerate(zip(views, values)):
        copy_layer(view, value, f"{name}[{l}]")


class LayerList(list):  # type: ignore[type-arg]
    """``coefs_`` or ``intercepts_`` of a fitted estimator: views into the network.

    ``lst[l] = array`` copies the array into layer ``l``'s view (checked as
    :func:`copy_layer` does) instead of replacing the list's item, so that the
    assignment reaches the network, as it would reach scikit-learn's list.
    """

    def __init__(self, views: Sequence[Array], name: str):
        super().__init__(views)
        self.name = name

    def __setitem__(self, index: SupportsIndex | slice, value: Any) -> None:
        if isinstance(index, slice):
            raise TypeError(f"{self.name}: assign one layer at a time ({self.name}[l] = "
                            "array) or the whole list")
        l = index.__index__()
        copy_layer(self[l], value, f"{self.name}[{l}]")


def starting_weights(coefs: object, intercepts: object, sizes: Sequence[int],
                     dtype: np.dtype) -> tuple[list[Array], list[Array]]:
    """Weights assigned before the first fit, as the network's ``W(l)`` and ``b(l)``.

    ``coefs[l]`` is scikit-learn's ``(n_{l−1}, n_l)`` orientation; ``sizes`` the
    network's layer sizes the data and ``hidden_layer_sizes`` ask for.

    Raises
    ------
    ShapeError, DataError
        If one of the two lists is missing or does not fit ``sizes``.
    """
    if coefs is None or intercepts is None:
        missing = "intercepts_" if intercepts is None else "coefs_"
        raise DataError(f"{missing}: a fit that starts from assigned weights needs both "
                        "coefs_ and intercepts_")
    Ws = [np.empty((n, n_prev), dtype) for n_prev, n in pairwise(sizes)]
    bs = [np.empty(n, dtype) for n in sizes[1:]]
    copy_layers([W.T for W in Ws], coefs, "coefs_")
    copy_layers(bs, intercepts, "intercepts_")
    return Ws, bs
