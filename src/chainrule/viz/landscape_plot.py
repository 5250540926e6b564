"""The cost landscape as a plot object: the exercise's contour map with a descent path.

White is low cost and black is high, as in the exercise's figure of its NOT neuron.
Built from a trained thing, the map is drawn by default over the two parameters
along which the examples' costs change most (:func:`chainrule.nn.gradient_rms`),
and says so: a trained model's first weight may belong to an input that is always
0 (a blank pixel), whose map is flat.  Cross-entropy costs span several decades
(a map nearly all white on a linear scale), so their colours are on a log scale.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError, DivergenceError, ShapeError
from ..nn.chain import ParamRef, parse_param
from ..nn.landscape import (
    DescentPath,
    GradientField,
    Landscape,
    cost_surface,
    descent_path,
    gradient_field,
    gradient_rms,
)
from ..nn.network import Network
from .display import Display
from .fitted import CLASSIFICATION_COSTS, as_fitted

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["LandscapeDisplay", "steepest_params"]

Array = np.ndarray
PATH_COLOUR = "tab:red"


def steepest_params(network: Network, X: Array, Y: Array,
                    params: Sequence[str | ParamRef] | None = None) -> tuple[str, str, str | None]:
    """The two parameters of a map and a note on why: by default those along which the
    examples' costs change most (the largest :func:`~chainrule.nn.gradient_rms`), in
    the network's order.

    ``X`` and ``Y`` are the network's inputs and targets.  Chosen ``params`` are
    kept, with a warning for one that no example's cost depends on (its map is flat).

    Returns
    -------
    (param_x, param_y, note)
        ``note`` says why these two (None for chosen ones).
    """
    rms = gradient_rms(network, X, Y)
    names = network.param_names()
    if params is None:
        top = sorted(np.argsort(-rms, kind="stable")[:2].tolist())
        note = (f"{names[top[0]]} and {names[top[1]]}: the two parameters along which the "
                f"examples' costs change most (RMS of ∂C_k/∂θ {rms[top[0]]:.3g} and "
                f"{rms[top[1]]:.3g})")
        return names[top[0]], names[top[1]], note
    if isinstance(params, str) or len(params) != 2:
        raise ConfigError(f"params: expected two parameters, e.g. ('W1[0,0]', 'b1[0]'), "
                          f"got {params!r}")
    chosen = [str(parse_param(p)) for p in params]
    best = sorted(np.argsort(-rms, kind="stable")[:2].tolist())
    for p in chosen:
        if rms[network.flat_index(p)] == 0:
            warnings.warn(f"params: no example's cost depends on {p} (∂C_k/∂θ = 0 for every "
                          f"example), so the map is flat along it; without a choice it is "
                          f"drawn over the two that matter most ({names[best[0]]}, "
                          f"{names[best[1]]})", UserWarning, stacklevel=3)
    return chosen[0], chosen[1], None


class LandscapeDisplay(Display):
    """The exercise's contour map of ``C(θ_x, θ_y)``, with a descent path and gradient arrows.

    Parameters
    ----------
    landscape : Landscape
        From :func:`chainrule.nn.cost_surface`.
    path : DescentPath or array of shape (n, 2), optional
        Drawn as a line from its start (a circle) to its end (a star).
    gradient : GradientField, optional
        Arrows along ``−∇C`` (downhill, across the contours).
    note : str, optional
        Why these two parameters; drawn under the title.
    log : bool, optional
        Colours on a log scale of C; by default for the cross-entropy costs.

    Attributes
    ----------
    surface_ : matplotlib QuadContourSet
        The filled contours (after :meth:`plot`).
    colorbar_ : matplotlib Colorbar or None
    ax_, figure_ : matplotlib Axes and Figure
    """

    figsize = (6.0, 5.0)

    def __init__(self, landscape: Landscape, *, path: DescentPath | Array | None = None,
                 gradient: GradientField | None = None, note: str | None = None,
                 log: bool | None = None):
        self.landscape, self.path, self.gradient = landscape, path, gradient
        self.note, self.log = note, log

    @classmethod
    def from_estimator(cls, fitted: Any, X: object, y: object, *,
                       params: Sequence[str | ParamRef] | None = None,
                       x_values: Sequence[float] | None = None,
                       y_values: Sequence[float] | None = None, path: bool = True,
                       learning_rate: float = 0.5, n_steps: int = 50, gradient: bool = False,
                       log: bool | None = None, ax: Axes | None = None,
                       **kwargs: Any) -> LandscapeDisplay:
        """Map the cost of a trained thing on its data, and draw it.

        Parameters
        ----------
        fitted : MLPClassifier, MLPRegressor, Model or Network
        X : array-like of shape (N, n_inputs)
            In the data's own units (a Model scales them).
        y : array-like
            Class labels (integers, text) or the network's targets.
        params : pair of str, optional
            The two parameters, e.g. ``('W1[0,0]', 'b1[0]')``; by default the two
            along which the examples' costs change most (:func:`steepest_params`).
        x_values, y_values : array-like, optional
            The grid (default: 201 values within ±4 of each parameter's value).
        path : bool, default True
            Gradient descent on the two parameters from the network's values
            (``learning_rate``, ``n_steps``); one that diverges is left out with
            a warning.
        gradient : bool, default False
            Arrows along −∇C on a 15 × 15 grid.
        log : bool, optional
            Colours on a log scale (default: for cross-entropy costs).
        ax : matplotlib Axes, optional
        **kwargs
            Passed to :meth:`plot` (``levels``, ``colorbar``) and on to ``contourf``
            (``cmap=``, ``alpha=``, ...).
        """
        f = as_fitted(fitted, y)
        Xs = f.inputs(X)
        Y = f.targets(y, Xs.shape[0])
        net = f.network
        px, py, note = steepest_params(net, Xs, Y, params)
        land = cost_surface(net, Xs, Y, px, py, x_values, y_values)
        steps = None
        if path:
            try:
                steps = descent_path(net, Xs, Y, px, py, learning_rate=learning_rate,
                                     n_steps=n_steps)
            except DivergenceError as exc:
                warnings.warn(f"path: left out, {exc}", UserWarning, stacklevel=2)
        arrows = None
        if gradient:
            arrows = gradient_field(net, Xs, Y, px, py, np.linspace(land.xs[0], land.xs[-1], 15),
                                    np.linspace(land.ys[0], land.ys[-1], 15))
        return cls(land, path=steps, gradient=arrows, note=note, log=log).plot(ax=ax, **kwargs)

    from_model = from_estimator
    from_network = from_estimator

    def plot(self, ax: Axes | None = None, *, levels: int = 30, log: bool | None = None,
             colorbar: bool = True, **kwargs: Any) -> LandscapeDisplay:
        """Draw the map (and the path and arrows) on ``ax``.

        Parameters
        ----------
        levels : int
            Number of filled contour levels.
        log : bool, optional
            Overrides the display's colour scale.
        colorbar : bool
            Add a colour bar labelled with the cost.
        **kwargs
            Passed to ``Axes.contourf`` (e.g. ``cmap='viridis'``; default 'Greys',
            white for the lowest cost).
        """
        L = self.landscape
        log = self.log if log is None else log
        log = L.cost in CLASSIFICATION_COSTS if log is None else log
        ax = self._start(ax)
        self.surface_ = _filled_contours(ax, L, levels, bool(log), kwargs)
        ax.contour(L.xs, L.ys, L.C, levels=self.surface_.levels, colors="0.55",
                   linewidths=0.3)
        self.colorbar_ = None
        if colorbar:
            scale = ", log scale" if log else ""
            self.colorbar_ = ax.figure.colorbar(self.surface_, ax=ax,
                                                label=f"cost C ({L.cost}{scale})")
        ax.plot([L.x0], [L.y0], marker="X", color="tab:orange", markersize=9,
                linestyle="none", markeredgecolor="black", label="network's values", zorder=7)
        if self.gradient is not None:
            draw_gradient(ax, self.gradient)
        if self.path is not None:
            draw_path(ax, self.path)
        ax.set_xlim(L.xs[0], L.xs[-1])
        ax.set_ylim(L.ys[0], L.ys[-1])
        ax.set_xlabel(L.label_x)
        ax.set_ylabel(L.label_y)
        title = f"C({L.label_x}, {L.label_y}): white = low cost, black = high"
        # the note wrapped to the width of the map (about 70 characters in a small font)
        ax.set_title(title if self.note is None else f"{title}\n{textwrap.fill(self.note, 70)}",
                     fontsize="medium" if self.note is None else "small")
        ax.legend(loc="upper right", fontsize="small", framealpha=0.8)
        return self


def _filled_contours(ax: Axes, L: Landscape, levels: int, log: bool,
                     kwargs: dict[str, Any]) -> Any:
    """``contourf`` of the map, on a linear or log scale of C; 'Greys' unless told."""
    options = {"cmap": "Greys", **kwargs}
    C = L.C
    finite = C[np.isfinite(C)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if log:
        from matplotlib.colors import LogNorm

        positive = finite[finite > 0]
        lo = float(positive.min()) if positive.size else 1e-12
        hi = max(hi, lo * 10)  # a flat map still gets a decade of colours
        bounds = np.geomspace(lo, hi, levels + 1)
        return ax.contourf(L.xs, L.ys, np.clip(C, lo, None), levels=bounds,
                           norm=LogNorm(lo, hi), **options)
    if hi <= lo:  # a flat map: one band, not a warning about missing levels
        hi = lo + max(abs(lo), 1.0) * 1e-9
        return ax.contourf(L.xs, L.ys, C, levels=[lo - (hi - lo), hi], **options)
    return ax.contourf(L.xs, L.ys, C, levels=levels, **options)


def draw_path(ax: Axes, path: DescentPath | Array) -> None:
    """A descent path: its line, its start (a circle) and its end (a star), all in the legend."""
    pts = np.asarray(path.points if isinstance(path, DescentPath) else path, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ShapeError(f"path: expected points of shape (n, 2), got {pts.shape}")
    ax.plot(pts[:, 0], pts[:, 1], "-o", color=PATH_COLOUR, markersize=3, linewidth=1.2,
            label="gradient descent", zorder=5)
    ax.plot(pts[0, 0], pts[0, 1], "o", color=PATH_COLOUR, markersize=8,
            markeredgecolor="black", label="start", zorder=6)
    ax.plot(pts[-1, 0], pts[-1, 1], "*", color=PATH_COLOUR, markersize=13,
            markeredgecolor="black", label=f"end (step {len(pts) - 1})", zorder=6)


def draw_gradient(ax: Axes, field: GradientField) -> None:
    """Arrows along ``−∇C`` (downhill), each scaled to 80 % of its grid cell."""
    U, V = -field.dC_dx, -field.dC_dy  # downhill
    # one cell of the gradient grid in each direction (a single row or column: 1 in data units)
    sx = np.min(np.diff(field.xs)) if field.xs.size > 1 else 1.0
    sy = np.min(np.diff(field.ys)) if field.ys.size > 1 else 1.0
    # scale each arrow to 80 % of a cell, keeping its direction in data coordinates
    reach = np.maximum(np.abs(U) / sx, np.abs(V) / sy)
    t = np.divide(0.8, reach, out=np.zeros_like(reach), where=reach > 0)
    ax.quiver(field.xs, field.ys, U * t, V * t, angles="xy", scale_units="xy", scale=1,
              color="tab:blue", width=0.004, label="−∇C (downhill)", zorder=3)
