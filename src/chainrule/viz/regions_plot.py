"""Decision regions as a plot object: each class's region, shaded by the probability.

A grid over the data (plus a margin) is classified as the model predicts: the
largest output, or ``a ≥ 1/2`` for a single output.  Each grid point takes its
class's colour, mixed with white: the surer the network (the larger the class's
probability), the deeper the colour, so the shading fades towards the boundaries.
Networks whose outputs are not probabilities (squared error on tanh outputs) get
flat colours.  The data go on top in their classes' colours.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError, ShapeError
from ..nn.landscape import host_array
from .display import Display, literal_text
from .fitted import as_fitted

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["DecisionRegionsDisplay"]

Array = np.ndarray

# The share of a class's colour at the least and the most certain grid points.
LIGHTEST, DEEPEST = 0.12, 0.6


class DecisionRegionsDisplay(Display):
    """Decision regions of a classifier with two inputs, with the data on top.

    Parameters
    ----------
    xx0, xx1 : ndarray of shape (n1, n0)
        The grid, as ``np.meshgrid`` gives it.
    predicted : ndarray of int, shape (n1, n0)
        The class (its position among the classes) at each grid point.
    confidence : ndarray of shape (n1, n0) or None
        The probability of that class, or None when the outputs are not probabilities.
    X : ndarray of shape (N, 2)
        The data, in the inputs' own units.
    labels : ndarray of int, shape (N,)
        Each example's class (its position among the classes).
    class_names : list of str
        One per class, in output order.
    xlabel, ylabel : str
        Axis labels (the feature names, or x₀ and x₁).

    Attributes
    ----------
    surface_ : matplotlib AxesImage
        The shaded regions (after :meth:`plot`).
    scatter_ : matplotlib PathCollection
        The data.
    ax_, figure_ : matplotlib Axes and Figure
    """

    figsize = (5.5, 5.0)

    def __init__(self, xx0: Array, xx1: Array, predicted: Array, confidence: Array | None,
                 X: Array, labels: Array, class_names: Sequence[str], *,
                 xlabel: str = "x₀", ylabel: str = "x₁"):
        self.xx0, self.xx1, self.predicted, self.confidence = xx0, xx1, predicted, confidence
        self.X, self.labels, self.class_names = X, labels, list(class_names)
        self.xlabel, self.ylabel = xlabel, ylabel

    @classmethod
    def from_estimator(cls, fitted: Any, X: object, y: object, *, resolution: int = 200,
                       class_names: Sequence[object] | None = None, ax: Axes | None = None,
                       **kwargs: Any) -> DecisionRegionsDisplay:
        """Classify a grid over the data and draw the regions.

        Parameters
        ----------
        fitted : MLPClassifier, Model or Network
            With two inputs.  A network is taken for a classifier whatever its cost.
        X : array-like of shape (N, 2)
            The data in their own units (a Model scales them for its network).
        y : array-like
            Class labels (integers, text), one-hot rows or a 0/1 column.
        resolution : int, default 200
            Grid points along each axis.
        class_names : sequence, optional
            Names for the legend, one per class in output order (default: the
            model's class names, or the labels).
        ax : matplotlib Axes, optional
        **kwargs
            Passed to :meth:`plot` and on to ``Axes.imshow`` (e.g. ``alpha=``).
        """
        f = as_fitted(fitted, y, classify=True, name="fitted")
        if f.network.n_inputs != 2:
            raise ConfigError(f"fitted: decision regions need 2 inputs, the network has "
                              f"{f.network.n_inputs}")
        if isinstance(resolution, bool) or int(resolution) != resolution or resolution < 2:
            raise ConfigError(f"resolution: expected a whole number ≥ 2, got {resolution!r}")
        X2 = f.model.inputs(host_array(X, "X"))  # (N, 2), not yet scaled
        labels = f.class_index(y, X2.shape[0], "labels")
        names = list(f.class_names or ()) if class_names is None else \
            [str(c) for c in class_names]
        k = len(f.classes or ())
        if len(names) != k:
            raise ShapeError(f"class_names: expected {k} names (one per class), "
                             f"got {len(names)}")
        xx0, xx1 = _grid(X2, int(resolution))
        grid = np.column_stack([xx0.ravel(), xx1.ravel()])  # (resolution², 2)
        P = f.probabilities(grid)
        if P is None:  # outputs that are not probabilities: the predicted class alone
            A = f.model.outputs(grid)  # (resolution², n_outputs)
            predicted = A.argmax(axis=1) if A.shape[1] > 1 else (A[:, 0] >= 0.5).astype(int)
            confidence = None
        else:  # the class the model predicts: a single output's second where a ≥ 1/2
            predicted = (P[:, 1] >= 0.5).astype(int) if f.network.n_outputs == 1 \
                else P.argmax(axis=1)
            confidence = P[np.arange(P.shape[0]), predicted]
        feature_names = f.feature_names(X) or ["x₀", "x₁"]
        display = cls(xx0, xx1, predicted.reshape(xx0.shape),
                      None if confidence is None else confidence.reshape(xx0.shape), X2,
                      labels, names, xlabel=literal_text(feature_names[0]),
                      ylabel=literal_text(feature_names[1]))
        return display.plot(ax=ax, **kwargs)

    from_model = from_estimator
    from_network = from_estimator

    def plot(self, ax: Axes | None = None, *, scatter_kwargs: dict[str, Any] | None = None,
             **kwargs: Any) -> DecisionRegionsDisplay:
        """Draw the shaded regions, the data and a legend of the classes.

        Parameters
        ----------
        scatter_kwargs : dict, optional
            Passed to ``Axes.scatter`` of the data (e.g. ``s=30``).
        **kwargs
            Passed to ``Axes.imshow`` of the regions (e.g. ``alpha=0.8``,
            ``interpolation='bilinear'``).
        """
        from matplotlib.colors import to_rgb
        from matplotlib.lines import Line2D

        ax = self._start(ax)
        k = len(self.class_names)
        colours = np.array([to_rgb(f"C{j % 10}") for j in range(k)])  # (k, 3)
        ax.imshow(self.shading(colours), origin="lower", aspect="auto",
                  **{"extent": (self.xx0[0, 0], self.xx0[0, -1], self.xx1[0, 0],
                                self.xx1[-1, 0]), "interpolation": "nearest", **kwargs})
        self.surface_ = ax.images[-1]
        self.scatter_ = ax.scatter(self.X[:, 0], self.X[:, 1], **{
            "c": colours[self.labels], "s": 14, "edgecolors": "black", "linewidths": 0.4,
            **(scatter_kwargs or {})})
        handles = [Line2D([], [], marker="o", linestyle="", markerfacecolor=c,
                          markeredgecolor="black", markeredgewidth=0.4) for c in colours]
        ax.legend(handles, [literal_text(n) for n in self.class_names], loc="best",
                  fontsize="small", title="class")
        ax.set_xlabel(self.xlabel)
        ax.set_ylabel(self.ylabel)
        shaded = "" if self.confidence is None else ", deeper where the network is surer"
        ax.set_title(f"Decision regions{shaded}")
        return self

    def shading(self, colours: Array) -> Array:
        """The RGB image of the regions: each point's class colour mixed with white, by
        the class's probability (from 1/k, a tie, to 1, certain)."""
        k = colours.shape[0]
        if self.confidence is None:
            share = np.full(self.predicted.shape, (LIGHTEST + DEEPEST) / 2)
        else:
            sure = np.clip((self.confidence - 1 / k) / (1 - 1 / k), 0.0, 1.0)
            share = LIGHTEST + (DEEPEST - LIGHTEST) * sure
        return 1.0 - share[..., None] * (1.0 - colours[self.predicted])  # (n1, n0, 3)


def _grid(X: Array, resolution: int) -> tuple[Array, Array]:
    """A ``resolution × resolution`` grid over the data and a tenth of its range beyond."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.1 * np.where(hi > lo, hi - lo, 1.0)
    g0 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    g1 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    return np.meshgrid(g0, g1)

