"""Figures: the cost landscape, training curves, fits, decision regions and the network.

matplotlib is imported inside the functions, so ``import chainrule`` never loads
it.  Every function draws on ``ax`` (a new figure from ``plt.subplots`` when
``ax`` is None) and returns the Axes.  Nothing is shown and nothing is closed:
the caller owns the figures (``plt.close(ax.figure)`` when done), and the code
runs under the non-interactive Agg backend.  :func:`save_figure` writes a file
atomically.

The landscape follows the seed's contour map: white is low cost, black is high.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError, ShapeError
from ..nn.landscape import DescentPath, GradientField, Landscape
from ..nn.network import Network
from ..utils.files import atomic_write

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_cost_curve",
    "plot_curve_2d",
    "plot_decision_regions",
    "plot_fit_1d",
    "plot_landscape",
    "plot_network",
    "save_figure",
]

Array = np.ndarray

POSITIVE, NEGATIVE = "tab:blue", "tab:red"  # the sign of a weight in plot_network


def literal_text(text: object) -> str:
    """``str(text)`` drawn as it is: every ``$`` escaped as ``\\$`` so matplotlib does not
    read a pair of them as mathtext (``$\\foo$`` in a column name would fail to parse).

    Without an unescaped ``$`` matplotlib treats a string as plain text and shows each
    ``\\$`` as ``$``; backslashes elsewhere are drawn as they are.
    """
    return str(text).replace("$", r"\$")


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    # constrained layout keeps tick and axis labels inside the figure at its given size
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


# ---------------------------------------------------------------------------
# The cost landscape
# ---------------------------------------------------------------------------


def plot_landscape(
    landscape: Landscape,
    ax: Axes | None = None,
    path: DescentPath | Array | None = None,
    gradient: GradientField | None = None,
    levels: int = 30,
    colorbar: bool = True,
) -> Axes:
    """The seed's contour map of ``C(θ_x, θ_y)``: white is low cost, black is high.

    Parameters
    ----------
    landscape : Landscape
        From :func:`chainrule.nn.landscape.cost_surface`.
    path : DescentPath or array of shape (n, 2), optional
        A descent path, drawn as a line with markers from its start (circle) to
        its end (star).
    gradient : GradientField, optional
        Arrows along ``−∇C`` (downhill, across the contours), each scaled to fit
        its grid cell so that directions stay readable where the slope is small.
    levels : int
        Number of filled contour levels.
    colorbar : bool
        Add a colour bar labelled with the cost.

    Returns
    -------
    Axes
    """
    L = landscape
    ax = _axes(ax, (6.0, 5.0))
    # 'Greys' runs from white (lowest) to black (highest), as in the seed's figure
    filled = ax.contourf(L.xs, L.ys, L.C, levels=levels, cmap="Greys")
    ax.contour(L.xs, L.ys, L.C, levels=filled.levels, colors="0.55", linewidths=0.3)
    if colorbar:
        ax.figure.colorbar(filled, ax=ax, label=f"cost C ({L.cost})")
    ax.plot([L.x0], [L.y0], marker="X", color="tab:orange", markersize=9, linestyle="none",
            markeredgecolor="black", label="network's values", zorder=7)
    if gradient is not None:
        _draw_gradient(ax, gradient)
    if path is not None:
        _draw_path(ax, path)
    ax.set_xlim(L.xs[0], L.xs[-1])
    ax.set_ylim(L.ys[0], L.ys[-1])
    ax.set_xlabel(L.label_x)
    ax.set_ylabel(L.label_y)
    ax.set_title(f"C({L.label_x}, {L.label_y}): white = low cost, black = high")
    ax.legend(loc="upper right", fontsize="small", framealpha=0.8)
    return ax


def _draw_path(ax: Axes, path: DescentPath | Array) -> None:
    pts = np.asarray(path.points if isinstance(path, DescentPath) else path, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ShapeError(f"path: expected points of shape (n, 2), got {pts.shape}")
    ax.plot(pts[:, 0], pts[:, 1], "-o", color="tab:red", markersize=3, linewidth=1.2,
            label="gradient descent", zorder=5)
    ax.plot(pts[0, 0], pts[0, 1], "o", color="tab:red", markersize=8, markeredgecolor="black",
            zorder=6)
    ax.plot(pts[-1, 0], pts[-1, 1], "*", color="tab:red", markersize=13,
            markeredgecolor="black", zorder=6)


def _draw_gradient(ax: Axes, field: GradientField) -> None:
    U, V = -field.dC_dx, -field.dC_dy  # downhill
    # one cell of the gradient grid in each direction (a single row or column: 1 in data units)
    sx = np.min(np.diff(field.xs)) if field.xs.size > 1 else 1.0
    sy = np.min(np.diff(field.ys)) if field.ys.size > 1 else 1.0
    # scale each arrow to 80 % of a cell, keeping its direction in data coordinates
    reach = np.maximum(np.abs(U) / sx, np.abs(V) / sy)
    t = np.divide(0.8, reach, out=np.zeros_like(reach), where=reach > 0)
    ax.quiver(field.xs, field.ys, U * t, V * t, angles="xy", scale_units="xy", scale=1,
              color="tab:blue", width=0.004, label="−∇C (downhill)", zorder=3)


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def _floats(values: Any) -> Array:
    """A recorded series as floats, ``None`` entries (gaps) as NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _series(h: Mapping[str, Any], key: str, n: int) -> Array | None:
    """``h[key]`` as floats (None entries become NaN), or None when absent, empty or all NaN.

    A History without validation data records NaN every epoch: nothing to draw.
    """
    values = h.get(key)
    if values is None or len(values) == 0:
        return None
    arr = _floats(values)
    if arr.shape != (n,):
        raise ShapeError(f"history: {key!r} has {arr.size} values but 'cost' has {n}")
    return None if np.isnan(arr).all() else arr


def plot_cost_curve(history: Mapping[str, Any] | Any, ax: Axes | None = None) -> Axes:
    """Training cost (and validation cost and accuracy, when recorded) per epoch.

    Parameters
    ----------
    history : dict or History
        Keys ``'cost'`` and optionally ``'epoch'``, ``'val_cost'``,
        ``'val_accuracy'`` (lists of equal length; ``None`` entries are gaps);
        a :class:`chainrule.train.History` works too.

    Returns
    -------
    Axes
        The cost axis, log-scaled when every cost is positive; validation
        accuracy goes on a twin axis on the right.
    """
    h = history.to_dict() if hasattr(history, "to_dict") else history
    if not isinstance(h, Mapping) or h.get("cost") is None:
        raise ConfigError("history: expected a mapping with a 'cost' list (one value per epoch)")
    cost = _floats(h["cost"])
    if cost.ndim != 1 or cost.size == 0:
        raise ShapeError(f"history: 'cost' must be a non-empty list, got shape {cost.shape}")
    n = cost.size
    epoch = _series(h, "epoch", n)
    epoch = np.arange(1, n + 1) if epoch is None else epoch
    val_cost, val_acc = _series(h, "val_cost", n), _series(h, "val_accuracy", n)

    ax = _axes(ax, (6.0, 4.0))
    ax.plot(epoch, cost, color="tab:blue", label="training cost")
    if val_cost is not None:
        ax.plot(epoch, val_cost, color="tab:orange", label="validation cost")
    shown = np.concatenate([cost, val_cost if val_cost is not None else []])
    shown = shown[np.isfinite(shown)]
    if shown.size and (shown > 0).all():
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cost C")
    handles, labels = ax.get_legend_handles_labels()
    if val_acc is None:
        ax.legend(handles, labels, loc="best", fontsize="small")
    else:
        twin = ax.twinx()
        twin.plot(epoch, val_acc, color="tab:green", linestyle="--", label="validation accuracy")
        twin.set_ylabel("accuracy")
        twin.set_ylim(0, 1.02)
        more = twin.get_legend_handles_labels()
        _legend_over_both(ax, twin, handles + more[0], labels + more[1])
    ax.set_title("Cost per epoch")
    return ax


def _legend_over_both(ax: Axes, twin: Axes, handles: list[Any], labels: list[str]) -> None:
    """One legend for an axis and its twin, placed where neither axis's lines run.

    matplotlib's ``loc='best'`` looks only at the lines of the Axes that owns the
    legend.  The legend goes on the twin (drawn on top, so no line crosses it), and
    invisible copies of the cost axis's lines, in that axis's coordinates, are
    added to the twin as artists (not as data: its limits stay as they are) so that
    'best' avoids them too.
    """
    from matplotlib.lines import Line2D

    for line in ax.get_lines():
        twin.add_artist(Line2D(line.get_xdata(), line.get_ydata(), transform=ax.transData,
                               visible=False))
    twin.legend(handles, labels, loc="best", fontsize="small")


# ---------------------------------------------------------------------------
# Fits
# ---------------------------------------------------------------------------


def _columns(a: object, name: str) -> Array:
    arr = np.asarray(a, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ShapeError(f"{name}: expected a 1-D or 2-D array, got {arr.ndim}-D")
    return arr


def plot_fit_1d(x: object, y_true: object, y_pred: object, ax: Axes | None = None) -> Axes:
    """Targets (points) and the network's prediction (a line) against a 1-D input.

    ``x`` has shape (N,) or (N, 1); ``y_true`` and ``y_pred`` (N,) or (N, m),
    one curve per output.
    """
    X = _columns(x, "x")
    if X.shape[1] != 1:
        raise ShapeError(f"x: plot_fit_1d needs one input feature, got {X.shape[1]}")
    T, P = _columns(y_true, "y_true"), _columns(y_pred, "y_pred")
    if not X.shape[0] == T.shape[0] == P.shape[0] or T.shape[1] != P.shape[1]:
        raise ShapeError(f"y_true, y_pred: expected shapes ({X.shape[0]}, m), got {T.shape} "
                         f"and {P.shape}")
    order = np.argsort(X[:, 0], kind="stable")
    ax = _axes(ax, (6.0, 4.0))
    for j in range(T.shape[1]):
        suffix = f" {j}" if T.shape[1] > 1 else ""
        color = f"C{j}"
        ax.plot(X[order, 0], T[order, j], "o", color=color, markersize=3, alpha=0.5,
                label=f"target{suffix}")
        ax.plot(X[order, 0], P[order, j], "-", color=color, linewidth=2,
                label=f"network{suffix}")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize="small")
    ax.set_title("Network output against its target")
    return ax


def plot_curve_2d(y_true: object, y_pred: object, ax: Axes | None = None,
                  names: Sequence[object] | None = None) -> Axes:
    """A curve given as 2-D points in order (e.g. the heart): target and network, equal aspect.

    ``names`` labels the two coordinates (e.g. the target columns; default
    "output 0", "output 1").
    """
    T, P = _columns(y_true, "y_true"), _columns(y_pred, "y_pred")
    if T.shape[1] != 2 or P.shape[1] != 2 or T.shape[0] != P.shape[0]:
        raise ShapeError(f"y_true, y_pred: expected two (N, 2) arrays of points, got {T.shape} "
                         f"and {P.shape}")
    if names is not None and len(names) != 2:
        raise ShapeError(f"names: expected 2 names (one per coordinate), got {len(names)}")
    ax = _axes(ax, (5.0, 5.0))
    ax.plot(T[:, 0], T[:, 1], color="0.7", linewidth=4, label="target", solid_capstyle="round")
    ax.plot(P[:, 0], P[:, 1], color="tab:red", linewidth=1.5, label="network")
    ax.set_aspect("equal", adjustable="datalim")
    x_name, y_name = names if names is not None else ("output 0", "output 1")
    ax.set_xlabel(literal_text(x_name))
    ax.set_ylabel(literal_text(y_name))
    ax.legend(fontsize="small")
    ax.set_title("The network's curve over its target")
    return ax


# ---------------------------------------------------------------------------
# Classifiers
# ---------------------------------------------------------------------------


def _class_labels(labels: object, n: int) -> Array:
    """Integer classes from integer labels, one-hot rows or a single 0/1 column."""
    arr = np.asarray(labels)
    if arr.ndim == 2 and arr.shape[1] > 1:
        arr = arr.argmax(axis=1)
    elif arr.ndim == 2:
        arr = (arr[:, 0] > 0.5).astype(int)
    if arr.shape != (n,):
        raise ShapeError(f"labels: expected {n} class labels, got shape {np.shape(labels)}")
    return arr.astype(int)


def plot_decision_regions(network: Network, X: object, labels: object, ax: Axes | None = None,
                          resolution: int = 200,
                          class_names: Sequence[object] | None = None) -> Axes:
    """Decision regions of a classifier with two inputs, and the data on top.

    A grid of ``resolution × resolution`` points over the data (plus a margin)
    is classified by the argmax of the outputs, or by ``a > 0.5`` for a single
    output.  ``labels`` are class numbers (N,), one-hot rows (N, k) or a 0/1 column.
    A legend names each class's colour: ``class_names`` (one per class, in
    output order), or 0, 1, ...
    """
    from matplotlib.colors import BoundaryNorm, ListedColormap

    if network.n_inputs != 2:
        raise ConfigError(f"network: decision regions need 2 inputs, it has {network.n_inputs}")
    if int(resolution) != resolution or resolution < 2:
        raise ConfigError(f"resolution: expected a whole number ≥ 2, got {resolution!r}")
    X2, _ = network.check_X(X)
    y = _class_labels(labels, X2.shape[0])
    lo, hi = X2.min(axis=0), X2.max(axis=0)
    pad = 0.1 * np.where(hi > lo, hi - lo, 1.0)
    g0 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], int(resolution))
    g1 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], int(resolution))
    G0, G1 = np.meshgrid(g0, g1)
    out = network.predict(np.column_stack([G0.ravel(), G1.ravel()]))  # (resolution², n_out)
    pred = out.argmax(axis=1) if out.shape[1] > 1 else (out[:, 0] > 0.5).astype(int)
    k = max(out.shape[1], 2, int(y.max()) + 1)
    colors = [f"C{j % 10}" for j in range(k)]
    cmap, norm = ListedColormap(colors), BoundaryNorm(np.arange(-0.5, k), k)
    names = [str(j) for j in range(k)] if class_names is None else list(class_names)
    if len(names) != k:
        raise ShapeError(f"class_names: expected {k} names (one per class), got {len(names)}")

    ax = _axes(ax, (5.5, 5.0))
    ax.contourf(G0, G1, pred.reshape(G0.shape), levels=np.arange(-0.5, k), cmap=cmap,
                norm=norm, alpha=0.3)
    ax.scatter(X2[:, 0], X2[:, 1], c=y, cmap=cmap, norm=norm, s=14, edgecolors="black",
               linewidths=0.4)
    from matplotlib.lines import Line2D

    ax.legend([Line2D([], [], marker="o", linestyle="", markerfacecolor=c,
                      markeredgecolor="black", markeredgewidth=0.4) for c in colors],
              [literal_text(n) for n in names], loc="best", fontsize="small", title="class")
    ax.set_xlabel("x₀")
    ax.set_ylabel("x₁")
    ax.set_title("Decision regions")
    return ax


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------


def plot_network(network: Network, ax: Axes | None = None) -> Axes:
    """The network as a diagram: neurons as circles, one column per layer.

    Edges are coloured by the sign of their weight (blue positive, red
    negative) with widths proportional to ``|w|``; a neuron's fill shows its
    bias on the same colour scale.
    """
    from matplotlib.collections import LineCollection
    from matplotlib.colors import TwoSlopeNorm

    sizes = network.layer_sizes
    tallest = max(sizes)
    # neuron r of layer l sits at (l, y[l][r]), each column centred on 0
    y = [(n - 1) / 2 - np.arange(n) for n in sizes]
    w_max = max(float(np.abs(W).max()) for W in network.W) or 1.0
    segments, colors, widths = [], [], []
    for l, W in enumerate(network.W):
        for (r, c), w in np.ndenumerate(W):
            segments.append([(l, y[l][c]), (l + 1, y[l + 1][r])])
            colors.append(POSITIVE if w > 0 else NEGATIVE)
            widths.append(0.2 + 2.8 * abs(w) / w_max)

    ax = _axes(ax, (max(4.0, 1.6 * len(sizes)), max(3.0, min(0.45 * tallest, 12.0))))
    ax.add_collection(LineCollection(segments, colors=colors, linewidths=widths, alpha=0.8,
                                     zorder=1))
    b_max = max(float(np.abs(b).max()) for b in network.b) or 1.0
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-b_max, vmax=b_max)
    size = float(np.clip(2400 / tallest, 12, 500))
    ax.scatter(np.zeros(sizes[0]), y[0], s=size, c="white", edgecolors="black", zorder=2)
    for l, b in enumerate(network.b, 1):
        ax.scatter(np.full(sizes[l], l), y[l], s=size, c=b, cmap="RdBu", norm=norm,
                   edgecolors="black", zorder=2)
    for l, n in enumerate(sizes):
        what = "input" if l == 0 else ("output" if l == len(sizes) - 1 else f"hidden {l}")
        act = "" if l == 0 else f"\n{network.activations[l - 1].name}"
        ax.text(l, -(tallest - 1) / 2 - 0.8, f"{what} ({n}){act}", ha="center", va="top",
                fontsize="small")
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-(tallest - 1) / 2 - 2.0, (tallest - 1) / 2 + 0.8)
    ax.axis("off")
    ax.set_title("Weights: blue > 0, red < 0, width ∝ |w|")
    return ax


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


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
