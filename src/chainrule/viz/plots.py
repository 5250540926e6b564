"""Figures as functions: the cost landscape, training curves, fits, decision regions, the network.

Each function draws one of the plot objects (:mod:`chainrule.viz`'s Display
classes) on ``ax`` (a new figure when ``ax`` is None) and returns the Axes;
``kwargs`` reach the matplotlib call of the main artist.  Each takes a fitted
estimator, a :class:`chainrule.Model` or a :class:`chainrule.Network` where a
trained thing is drawn, and class labels (integers, text) where targets are.
matplotlib is imported inside the functions, so ``import chainrule`` never loads
it; nothing is shown and nothing is closed (the caller owns the figures:
``plt.close(ax.figure)`` when done), and the code runs under the non-interactive
Agg backend.  :func:`save_figure` writes a file atomically.

The landscape follows the exercise's contour map: white is low cost, black is high.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError, ShapeError
from ..nn.landscape import DescentPath, GradientField, Landscape
from ..utils.files import atomic_write
from ..utils.namespace import is_numpy
from .cost_plot import CostCurveDisplay
from .display import literal_text
from .fit_plot import FitDisplay, columns
from .landscape_plot import LandscapeDisplay
from .network_plot import NetworkDisplay
from .regions_plot import DecisionRegionsDisplay

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "literal_text",
    "plot_cost_curve",
    "plot_curve_2d",
    "plot_decision_regions",
    "plot_fit_1d",
    "plot_landscape",
    "plot_network",
    "save_figure",
]

Array = np.ndarray


def _is_data(a: object) -> bool:
    """Whether ``a`` is data (an array of any library, a list, a table) rather than a
    trained thing."""
    return isinstance(a, np.ndarray | list | tuple) or hasattr(a, "columns") or \
        not is_numpy(a)


def plot_landscape(landscape: Landscape | Any, ax: Axes | None = None,
                   path: DescentPath | Array | None = None,
                   gradient: GradientField | None = None, levels: int = 30,
                   colorbar: bool = True, *, X: object = None, y: object = None,
                   params: Sequence[str] | None = None, log: bool | None = None,
                   **kwargs: Any) -> Axes:
    """The exercise's contour map of ``C(θ_x, θ_y)``: white is low cost, black is high.

    Parameters
    ----------
    landscape : Landscape, or MLPClassifier, MLPRegressor, Model or Network
        From :func:`chainrule.nn.cost_surface`; or a trained thing, mapped on
        ``X`` and ``y`` with its descent path (:meth:`LandscapeDisplay.from_estimator`,
        by default over the two parameters along which the cost changes most).
    path : DescentPath or array of shape (n, 2), optional
        A descent path, drawn from its start (circle) to its end (star).
    gradient : GradientField, optional
        Arrows along ``−∇C`` (downhill), each scaled to fit its grid cell.
    levels : int
        Number of filled contour levels.
    colorbar : bool
        Add a colour bar labelled with the cost.
    X, y : array-like, keyword only
        The data of a trained thing (class labels or targets).
    params : pair of str, optional
        A trained thing's two parameters.
    log : bool, optional
        Colours on a log scale of C (default: for the cross-entropy costs).
    **kwargs
        Passed to ``Axes.contourf`` (e.g. ``cmap=``).

    Returns
    -------
    Axes
    """
    if isinstance(landscape, Landscape):
        display = LandscapeDisplay(landscape, path=path, gradient=gradient, log=log)
        return display.plot(ax=ax, levels=levels, colorbar=colorbar, **kwargs).ax_
    if X is None or y is None or _is_data(ax):
        raise ConfigError("X, y: a map of a trained thing needs its data, as keywords: "
                          "plot_landscape(model, X=X, y=y)")
    return LandscapeDisplay.from_estimator(
        landscape, X, y, params=params, path=path is not False, gradient=gradient is True,
        log=log, ax=ax, levels=levels, colorbar=colorbar, **kwargs).ax_


def plot_cost_curve(record: Mapping[str, Any] | Any, ax: Axes | None = None, *,
                    log: bool | None = None, **kwargs: Any) -> Axes:
    """Training cost (and validation cost and accuracy, when recorded) per epoch.

    Parameters
    ----------
    record : History, dict, or MLPClassifier, MLPRegressor, Model or Network
        A History or a mapping with ``'cost'`` and optionally ``'epoch'``,
        ``'val_cost'``, ``'val_accuracy'`` (lists of equal length; ``None``
        entries are gaps); or a trained thing's record
        (:meth:`CostCurveDisplay.from_estimator`; a Network needs ``history=``).
    log : bool, optional
        A log-scaled cost axis (default: when every cost is positive).
    **kwargs
        Passed to ``Axes.plot`` of the training cost; ``history=`` with a Network.

    Returns
    -------
    Axes
        The cost axis; validation accuracy goes on a twin axis on the right.
    """
    if isinstance(record, Mapping) or hasattr(record, "to_dict"):
        return CostCurveDisplay.from_history(record, ax=ax, log=log, **kwargs).ax_
    return CostCurveDisplay.from_estimator(record, ax=ax, log=log, **kwargs).ax_


def plot_fit_1d(x: object, y_true: object, y_pred: object = None, ax: Axes | None = None,
                **kwargs: Any) -> Axes:
    """Targets (points) and the network's prediction (lines) against a 1-D input.

    Called as ``plot_fit_1d(fitted, X, y)`` with an estimator, a Model or a
    Network, the network's line is drawn on a dense grid over the data
    (:meth:`FitDisplay.from_estimator`).  Called with arrays (NumPy arrays, lists,
    or tensors, read to the host), ``x`` has shape (N,) or (N, 1); ``y_true`` and
    ``y_pred`` (N,) or (N, m), one curve per output, drawn through the given points.
    ``kwargs`` go to ``Axes.plot`` of the lines.
    """
    if not _is_data(x):
        return FitDisplay.from_estimator(x, y_true, y_pred, curve=False, ax=ax, **kwargs).ax_
    X = columns(x, "x")
    if X.shape[1] != 1:
        raise ShapeError(f"x: plot_fit_1d needs one input feature, got {X.shape[1]}")
    T, P = columns(y_true, "y_true"), columns(y_pred, "y_pred")
    if not X.shape[0] == T.shape[0] == P.shape[0] or T.shape[1] != P.shape[1]:
        raise ShapeError(f"y_true, y_pred: expected shapes ({X.shape[0]}, m), got {T.shape} "
                         f"and {P.shape}")
    order = np.argsort(X[:, 0], kind="stable")
    return FitDisplay(X[order, 0], P[order], X[:, 0], T).plot(ax=ax, **kwargs).ax_


def plot_curve_2d(y_true: object, y_pred: object, ax: Axes | None = None,
                  names: Sequence[object] | None = None, *, y: object = None,
                  **kwargs: Any) -> Axes:
    """A curve given as 2-D points in order (e.g. the heart): target and network, equal aspect.

    ``names`` labels the two coordinates (e.g. the target columns; default
    "output 0", "output 1").  Called as ``plot_curve_2d(fitted, X, y=y)`` with a
    trained network of one input and two outputs, the network's curve is drawn on a
    dense grid of its input.  ``kwargs`` go to ``Axes.plot`` of the network's curve.
    """
    if not _is_data(y_true):
        if y is None:
            raise ConfigError("y: the curve of a trained thing needs its targets: "
                              "plot_curve_2d(model, X, y=y)")
        return FitDisplay.from_estimator(y_true, y_pred, y, curve=True, ax=ax, **kwargs).ax_
    T, P = columns(y_true, "y_true"), columns(y_pred, "y_pred")
    if T.shape[1] != 2 or P.shape[1] != 2 or T.shape[0] != P.shape[0]:
        raise ShapeError(f"y_true, y_pred: expected two (N, 2) arrays of points, got {T.shape} "
                         f"and {P.shape}")
    t = np.arange(T.shape[0])  # the points' order
    names_ = None if names is None else [str(n) for n in names]
    return FitDisplay(t, P, t, T, output_names=names_, curve=True).plot(ax=ax, **kwargs).ax_


def plot_decision_regions(network: Any, X: object, labels: object, ax: Axes | None = None,
                          resolution: int = 200,
                          class_names: Sequence[object] | None = None, **kwargs: Any) -> Axes:
    """Decision regions of a classifier with two inputs, shaded by its certainty, and the data.

    ``network`` is a fitted estimator, a Model or a Network; ``labels`` are class
    labels (integers, text), one-hot rows (N, k) or a 0/1 column.  A grid of
    ``resolution × resolution`` points over the data (plus a margin) is classified
    as the model predicts (:class:`DecisionRegionsDisplay`).  A legend names each
    class's colour: ``class_names`` (one per class, in output order), or the
    model's names, or the labels.  ``kwargs`` go to ``Axes.imshow`` of the regions.
    """
    return DecisionRegionsDisplay.from_estimator(network, X, labels, resolution=resolution,
                                                 class_names=class_names, ax=ax,
                                                 **kwargs).ax_


def plot_network(network: Any, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """The network (of an estimator, a Model, or itself) as a diagram: neurons as circles,
    one column per layer (:class:`NetworkDisplay`).

    Edges are coloured by the sign of their weight (blue positive, red negative) with
    widths proportional to ``|w|``; a neuron's fill shows its bias on the same colour
    scale.  ``kwargs`` go to the edges' ``LineCollection``.
    """
    return NetworkDisplay.from_estimator(network, ax=ax, **kwargs).ax_


def save_figure(fig_or_ax: Figure | Axes, path: str | os.PathLike[str], dpi: float = 100) -> Path:
    """Write a figure atomically: to a temporary file in the same folder, then ``os.replace``.

    The format follows the suffix (``.png`` by default when there is none);
    missing folders are created.  A reader never sees a half-written file.

    Returns
    -------
    Path
        Where the figure was written.
    """
    from matplotlib.figure import Figure

    fig = fig_or_ax if isinstance(fig_or_ax, Figure) else getattr(fig_or_ax, "figure", None)
    if not isinstance(fig, Figure):
        raise ConfigError(f"fig_or_ax: expected a matplotlib Figure or Axes, got "
                          f"{type(fig_or_ax).__name__}")
    target = Path(path)
    fmt = target.suffix[1:].lower() or "png"
    if fmt not in fig.canvas.get_supported_filetypes():
        raise ConfigError(f"path: cannot write a {fmt!r} figure; use .png, .pdf or .svg")
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, lambda f: fig.savefig(f, format=fmt, dpi=dpi))
    return target
