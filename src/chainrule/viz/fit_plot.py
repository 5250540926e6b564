"""The fit of a network with one input as a plot object: its output on a dense grid.

The exercise's NOT neuron is trained on two points, x = 0 and x = 1; a line drawn
between its outputs there hides the tanh between them (0.85 at x = 0.5, not the
midpoint).  Built from a trained thing, the display evaluates the network on a
dense grid over the data (plus a margin), so the line is the network's function.
A network with two outputs of one input (the heart of the course) can be drawn
as a curve in the plane instead: ``(a₀(t), a₁(t))`` over its target.
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
    from matplotlib.lines import Line2D

__all__ = ["FitDisplay"]

Array = np.ndarray


def columns(a: object, name: str) -> Array:
    """``a`` as a 2-D float array: a 1-D one becomes a column (a tensor read to the host)."""
    arr = np.asarray(host_array(a, name), dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ShapeError(f"{name}: expected a 1-D or 2-D array, got {arr.ndim}-D")
    return arr


class FitDisplay(Display):
    """A network's outputs against its one input, over the targets.

    Parameters
    ----------
    x_grid : ndarray of shape (G,)
        Where the network was evaluated, increasing.
    outputs : ndarray of shape (G, m)
        The network's outputs there, one column per output.
    x : ndarray of shape (N,)
        The examples' input.
    targets : ndarray of shape (N, m)
        Their targets.
    output_names : sequence of str, optional
        One per output (default 0, 1, ...; none for a single output).
    xlabel, ylabel : str
    curve : bool, default False
        Draw two outputs against each other (a curve in the plane, equal aspect)
        instead of each against x.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        The network's lines, one per output (one curve with ``curve``).
    ax_, figure_ : matplotlib Axes and Figure
    """

    def __init__(self, x_grid: Array, outputs: Array, x: Array, targets: Array, *,
                 output_names: Sequence[str] | None = None, xlabel: str = "x",
                 ylabel: str = "y", curve: bool = False):
        self.x_grid, self.outputs = np.asarray(x_grid, float), columns(outputs, "outputs")
        self.x, self.targets = np.asarray(x, float).reshape(-1), columns(targets, "targets")
        if self.targets.shape != (self.x.size, self.outputs.shape[1]):
            raise ShapeError(f"targets: expected shape ({self.x.size}, {self.outputs.shape[1]}) "
                             f"(one row per example, one column per output), got "
                             f"{self.targets.shape}")
        if curve and self.outputs.shape[1] != 2:
            raise ShapeError(f"outputs: a curve in the plane needs 2 outputs, got "
                             f"{self.outputs.shape[1]}")
        if output_names is not None and len(output_names) != self.outputs.shape[1]:
            raise ShapeError(f"names: expected {self.outputs.shape[1]} names (one per output), "
                             f"got {len(output_names)}")
        self.output_names = None if output_names is None else [str(n) for n in output_names]
        self.xlabel, self.ylabel, self.curve = xlabel, ylabel, bool(curve)
        self.figsize = (5.0, 5.0) if curve else (6.0, 4.0)

    @classmethod
    def from_estimator(cls, fitted: Any, X: object, y: object, *, resolution: int = 400,
                       curve: bool | None = None, ax: Axes | None = None,
                       **kwargs: Any) -> FitDisplay:
        """Evaluate a network with one input on a dense grid and draw it over the data.

        Parameters
        ----------
        fitted : MLPRegressor, MLPClassifier, Model or Network
            With one input.
        X : array-like of shape (N,) or (N, 1)
            The examples' input, in its own units.
        y : array-like
            Their targets (or class labels, drawn as the network's 0/1 targets).
        resolution : int, default 400
            Grid points, from a tenth of the data's range below it to as much above.
        curve : bool, optional
            Draw two outputs as a curve in the plane; by default for a regressor
            with two outputs.
        ax : matplotlib Axes, optional
        **kwargs
            Passed to :meth:`plot` and on to ``Axes.plot`` of the network's lines.
        """
        f = as_fitted(fitted, y)
        net = f.network
        if net.n_inputs != 1:
            raise ConfigError(f"fitted: a fit against x needs 1 input, the network has "
                              f"{net.n_inputs}")
        if isinstance(resolution, bool) or int(resolution) != resolution or resolution < 2:
            raise ConfigError(f"resolution: expected a whole number ≥ 2, got {resolution!r}")
        x = f.model.inputs(columns(X, "X") if not hasattr(X, "columns") else X)[:, 0]
        targets = f.targets(y, x.size)
        lo, hi = float(x.min()), float(x.max())
        pad = 0.1 * (hi - lo if hi > lo else 1.0)
        grid = np.linspace(lo - pad, hi + pad, int(resolution))
        outputs = f.model.outputs(grid[:, None])  # (resolution, n_outputs)
        if curve is None:
            curve = f.classes is None and net.n_outputs == 2
        names = f.feature_names(X)
        targets_named = f.model.target_names
        output_names = f.class_names or (list(targets_named) if targets_named is not None
                                         and len(targets_named) == net.n_outputs else None)
        if net.n_outputs == 1 and not curve:
            output_names = None
        display = cls(grid, outputs, x, targets, output_names=output_names,
                      xlabel=literal_text(names[0]) if names else "x",
                      ylabel="y" if output_names is None or len(output_names) != 1
                      else literal_text(output_names[0]), curve=curve)
        return display.plot(ax=ax, **kwargs)

    from_model = from_estimator
    from_network = from_estimator

    def plot(self, ax: Axes | None = None, *, target_kwargs: dict[str, Any] | None = None,
             **kwargs: Any) -> FitDisplay:
        """Draw the targets (points, or a grey curve) and the network's lines.

        Parameters
        ----------
        target_kwargs : dict, optional
            Passed to ``Axes.plot`` of the targets.
        **kwargs
            Passed to ``Axes.plot`` of the network's lines (e.g. ``linewidth=3``).
        """
        ax = self._start(ax)
        order = np.argsort(self.x, kind="stable")
        T = self.targets[order]
        if self.curve:
            ax.plot(T[:, 0], T[:, 1], **{"color": "0.7", "linewidth": 4, "label": "target",
                                         "solid_capstyle": "round", **(target_kwargs or {})})
            self.lines_ = ax.plot(self.outputs[:, 0], self.outputs[:, 1], **{
                "color": "tab:red", "linewidth": 1.5, "label": "network", **kwargs})
            ax.set_aspect("equal", adjustable="datalim")
            x_name, y_name = self.output_names or ("output 0", "output 1")
            ax.set_xlabel(literal_text(x_name))
            ax.set_ylabel(literal_text(y_name))
            ax.set_title("The network's curve over its target")
        else:
            self.lines_ = self._against_x(ax, order, target_kwargs or {}, kwargs)
            ax.set_xlabel(self.xlabel)
            ax.set_ylabel(self.ylabel)
            ax.set_title("Network output against its target")
        ax.legend(fontsize="small")
        return self

    def _against_x(self, ax: Axes, order: Array, target_kwargs: dict[str, Any],
                   kwargs: dict[str, Any]) -> list[Line2D]:
        """Each output's targets (points) and the network's line against x."""
        lines = []
        m = self.outputs.shape[1]
        for j in range(m):
            if self.output_names is not None:
                suffix = f" {literal_text(self.output_names[j])}"
            else:
                suffix = f" {j}" if m > 1 else ""
            colour = f"C{j % 10}"
            ax.plot(self.x[order], self.targets[order, j], **{
                "marker": "o", "linestyle": "none", "color": colour, "markersize": 4,
                "alpha": 0.6, "markeredgecolor": "black", "markeredgewidth": 0.4,
                "zorder": 3, "label": f"target{suffix}", **target_kwargs})
            lines += ax.plot(self.x_grid, self.outputs[:, j], **{
                "linestyle": "-", "color": colour, "linewidth": 2, "label": f"network{suffix}",
                **kwargs})
        return lines
