"""The cost landscape: the training-set cost over a grid of two parameters.

The exercise draws the cost of its NOT neuron, ``C(w, b) = ½[(tanh(b) − 1)² +
tanh²(w + b)]``, as a contour map over the weight and the bias.  Here the same
map is drawn for any two scalar parameters θ_x and θ_y of any network (say
``W2[0,1]`` and ``b1[3]`` of a trained one), every other parameter held fixed::

    C[j, i] = C(θ_x = xs[i], θ_y = ys[j])          (like np.meshgrid(xs, ys))

The grid is evaluated as one batched computation, not one forward pass per
point.  With ``i`` the lower of the two parameters' layers:

* layers ``1 … i−1`` do not depend on θ_x or θ_y and are computed once;
* changing a weight ``W(i)[r,c]`` by Δ adds ``Δ · a(i−1)_c`` to column r of
  ``Z(i)`` (a bias adds Δ), so only one or two columns of ``Z(i)`` vary over
  the grid, and ``Z(i+1)`` is its value at the network's parameters plus a
  rank-one or rank-two correction;
* from there up every layer carries a leading grid axis, shape (G, N, n),
  computed in chunks of G that keep the temporaries small.

:func:`gradient_field` back-propagates through the same batched layers, and
:func:`descent_path` follows gradient descent on just the two parameters.

These maps are NumPy computations on the host.  A network on another array library's
device (:meth:`Network.move_to`) is read into a host copy first, and tensors given as
``X`` and ``Y`` are read to the host (``on_host``): the results are NumPy arrays
to plot, and the network itself is left where it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple

import numpy as np

from ..errors import ConfigError, DivergenceError
from ..utils import html
from ..utils.html import plain_number
from ..utils.namespace import as_data, is_numpy, to_numpy
from .chain import ParamRef, parse_param
from .costs import output_delta
from .layers import backward, weighted_sum
from .network import Network

__all__ = [
    "DescentPath",
    "GradientField",
    "Landscape",
    "cost_surface",
    "default_values",
    "descent_path",
    "gradient_field",
    "gradient_rms",
    "not_toy",
    "param_label",
]

Array = np.ndarray

# Grid values of one axis: 1-D, strictly increasing (None: a default around the parameter).
Values = Sequence[float] | Array | None

# Grid-shaped temporaries are processed in chunks of about this many numbers:
# small enough to stay in cache (2 MB of float64), large enough for BLAS.
CHUNK_ELEMENTS = 2**18
# Never let one chunk's temporaries exceed this many bytes.
MEMORY_BUDGET = 256 * 2**20
# Examples per block of gradient_rms: its temporaries are a few (rows, n_l) arrays.
RMS_ROWS = 4096


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Landscape:
    """The training-set cost over a grid of two parameters.

    Attributes
    ----------
    xs, ys : ndarray of shape (nx,) and (ny,)
        The values of θ_x and θ_y.
    C : ndarray of shape (ny, nx)
        ``C[j, i]`` is the cost at ``(xs[i], ys[j])``, as ``np.meshgrid(xs, ys)``.
    param_x, param_y : str
        The parameters, e.g. ``'W1[0,0]'`` and ``'b1[0]'``.
    x0, y0 : float
        Their values in the network (the network itself is left unchanged).
    label_x, label_y : str
        Axis labels in the exercise's notation (``'w(1)'``, ``'W(2)[0,1]'``).
    cost : str
        Name of the network's cost.
    """

    xs: Array
    ys: Array
    C: Array
    param_x: str
    param_y: str
    x0: float
    y0: float
    label_x: str
    label_y: str
    cost: str

    def argmin(self) -> tuple[float, float, float]:
        """``(x, y, C)`` at the lowest grid point."""
        j, i = np.unravel_index(np.argmin(self.C), self.C.shape)
        return float(self.xs[i]), float(self.ys[j]), float(self.C[j, i])

    def __repr__(self) -> str:
        x, y, low = self.argmin()
        return (f"Landscape(C ({self.cost}) over {_axis_text(self.label_x, self.xs)} × "
                f"{_axis_text(self.label_y, self.ys)}; lowest {_g(low)} at ({_g(x)}, {_g(y)}), "
                f"highest {_g(np.nanmax(self.C))}; the network at ({_g(self.x0)}, {_g(self.y0)}))")

    def _repr_html_(self) -> str:
        x, y, low = self.argmin()
        axes = html.table(
            ["axis", "parameter", "from", "to", "points", "the network's value"],
            [["x", self.label_x, _g(self.xs[0]), _g(self.xs[-1]), self.xs.size, _g(self.x0)],
             ["y", self.label_y, _g(self.ys[0]), _g(self.ys[-1]), self.ys.size, _g(self.y0)]])
        costs = html.table(["", "C", self.label_x, self.label_y],
                           [["lowest on the grid", _g(low), _g(x), _g(y)],
                            ["highest on the grid", _g(np.nanmax(self.C)), "", ""]])
        return html.block(f"Landscape: the cost C ({self.cost}) over {self.label_x} and "
                          f"{self.label_y}", axes, costs,
                          note="Draw it with chainrule.viz.LandscapeDisplay or plot_landscape.")


@dataclass(frozen=True)
class GradientField:
    """``∂C/∂θ_x`` and ``∂C/∂θ_y`` over a grid, each of shape (ny, nx) like :class:`Landscape`."""

    xs: Array
    ys: Array
    dC_dx: Array
    dC_dy: Array
    param_x: str
    param_y: str

    def __repr__(self) -> str:
        return (f"GradientField(∂C/∂{self.param_x} and ∂C/∂{self.param_y} over "
                f"{_axis_text(self.param_x, self.xs)} × {_axis_text(self.param_y, self.ys)})")


class DescentPath(NamedTuple):
    """Gradient descent on two parameters: ``points`` (n_steps + 1, 2) and their ``costs``."""

    points: Array
    costs: Array

    def __repr__(self) -> str:
        (x0, y0), (x1, y1) = self.points[0], self.points[-1]
        return (f"DescentPath({len(self.points) - 1} steps from ({_g(x0)}, {_g(y0)}) to "
                f"({_g(x1)}, {_g(y1)}), cost {_g(self.costs[0])} → {_g(self.costs[-1])})")

    def _repr_html_(self) -> str:
        rows = []
        for t in html.shown_indices(len(self.points)):
            if t is None:
                rows.append(["⋮", "", "", ""])
            else:
                rows.append([t, _g(self.points[t, 0]), _g(self.points[t, 1]),
                             _g(self.costs[t])])
        table = html.table(["step", "θ_x", "θ_y", "C"], rows)
        return html.block(f"Gradient descent on two parameters: {len(self.points) - 1} steps",
                          table)


def _g(x: float) -> str:
    """A number with 4 significant digits, never ``-0``."""
    return plain_number(x, ".4g")


def _axis_text(label: str, values: Array) -> str:
    """``w(1) ∈ [-4, 4] (201 values)``."""
    return f"{label} ∈ [{_g(values[0])}, {_g(values[-1])}] ({values.size} values)"


class NotToy(NamedTuple):
    """The exercise's NOT neuron and its two training examples."""

    network: Network
    X: Array
    Y: Array


def not_toy() -> NotToy:
    """The exercise's NOT example: one tanh neuron, w(1) = 1.3, b(1) = −0.1, (0 → 1) and (1 → 0).

    >>> net, X, Y = not_toy()
    >>> round(net.compute_cost(X, Y), 3)   # ½(C_0 + C_1) = ½(1.209 + 0.695); exercise: 1.2, 0.696
    0.952
    """
    net = Network([1, 1], "tanh", weights=[[[1.3]]], biases=[[-0.1]])
    return NotToy(net, np.array([[0.0], [1.0]]), np.array([[1.0], [0.0]]))


def param_label(network: Network, param: str | ParamRef) -> str:
    """Axis label in the exercise's notation: ``w(1)``, ``b(1)`` for one neuron, else ``W(2)[0,1]``.
    """
    p = parse_param(param)
    network.flat_index(p)  # range check
    if network.W[p.layer - 1].shape == (1, 1):
        return f"{'w' if p.kind == 'W' else 'b'}({p.layer})"
    return p.symbol


def on_host(network: Network, X: object, Y: object) -> tuple[Network, object, object]:
    """The network, inputs and targets for a computation that runs in NumPy on the host.

    A network on a device becomes a host copy (``network.copy().move_to(None)``; the
    network itself stays where it is); tensors ``X`` and ``Y`` are read to the host
    (checked as data first: sparse, complex and ``meta`` tensors are refused, naming
    them).  NumPy input and array-likes pass as they are.
    """
    if network.namespace is not None:
        network = network.copy().move_to(None)
    return network, host_array(X, "X"), host_array(Y, "Y")


def host_array(a: object, name: str) -> object:
    """``a`` read to the host when it is another library's array (checked as data first,
    naming ``name``); NumPy arrays, array-likes and tables as they are."""
    return a if is_numpy(a) else to_numpy(as_data(a, name))


def default_values(center: float, half_width: float = 4.0, n: int = 201) -> Array:
    """``n`` evenly spaced values from ``center − half_width`` to ``center + half_width``."""
    return np.linspace(center - half_width, center + half_width, n)


# ---------------------------------------------------------------------------
# What every grid computation shares
# ---------------------------------------------------------------------------


@dataclass
class _Setup:
    X: Array  # (N, n_in), validated
    Y: Array  # (N, n_out)
    px: ParamRef
    py: ParamRef
    x0: float
    y0: float
    layer: int  # i: the lower of the two layers (1-based)
    A_in: Array  # a(i−1) of every example at the network's parameters, (N, n_{i−1})
    Zb: Array  # z(i) at the network's parameters, (N, n_i)
    Ab: Array  # a(i), (N, n_i)
    Zn: Array | None  # z(i+1), (N, n_{i+1}); None when i is the output layer


def _prepare(network: Network, X: object, Y: object, param_x: str | ParamRef,
             param_y: str | ParamRef) -> _Setup:
    X2, Y2 = network.check_XY(X, Y)
    (px, py), (kx, ky) = _two_params(network, param_x, param_y)
    i = min(px.layer, py.layer)
    c = network.forward(X2)
    # copies: the network's buffers are overwritten by its next forward pass
    Zn = c.Z[i].copy() if i < network.n_layers else None
    return _Setup(X2, Y2, px, py, float(network.params[kx]), float(network.params[ky]), i,
                  c.A[i - 1].copy(), c.Z[i - 1].copy(), c.A[i].copy(), Zn)


def _two_params(network: Network, param_x: str | ParamRef,
                param_y: str | ParamRef) -> tuple[tuple[ParamRef, ParamRef], list[int]]:
    """The two parameters and their flat indices; they must be different parameters."""
    px, py = parse_param(param_x), parse_param(param_y)
    k = [network.flat_index(px), network.flat_index(py)]
    if k[0] == k[1]:
        raise ConfigError(f"param_y: must differ from param_x, both are {px}")
    return (px, py), k


def _values(values: object, center: float, name: str, n_default: int) -> Array:
    """The grid values of one axis: 1-D, finite, strictly increasing."""
    if values is None:
        return default_values(center, n=n_default)
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size == 0:
        raise ConfigError(f"{name}: expected a 1-D sequence of values, got shape {v.shape}")
    if not np.isfinite(v).all():
        raise ConfigError(f"{name}: contains NaN or infinity")
    if v.size > 1 and not (np.diff(v) > 0).all():
        raise ConfigError(f"{name}: values must be strictly increasing")
    return v


def _blocks(nx: int, ny: int, floats_per_point: int,
            itemsize: int) -> Iterator[tuple[slice, slice]]:
    """Blocks ``(rows of ys, columns of xs)`` of the grid, small enough to stay in cache."""
    size = max(1, min(CHUNK_ELEMENTS // floats_per_point,
                      MEMORY_BUDGET // (floats_per_point * itemsize)))
    if size >= nx:
        step = size // nx
        for j in range(0, ny, step):
            yield slice(j, min(j + step, ny)), slice(0, nx)
    else:
        for j in range(ny):
            for i in range(0, nx, size):
                yield slice(j, j + 1), slice(i, min(i + size, nx))


def _grid_blocks(network: Network, s: _Setup, xs: Array, ys: Array,
                 floats_per_point: int) -> Iterator[tuple[slice, slice, Array, Array, Array]]:
    """Each block ``(rows, cols)`` of the grid with what its computation needs.

    Yields Δθ_x of shape (1, C) and Δθ_y of shape (R, 1), which broadcast to the
    (R, C) block, and Y tiled once per point of the block, (R·C·N, n_out).
    """
    N, dtype = s.X.shape[0], network.dtype
    Y_tiled = s.Y[:0]
    for rows, cols in _blocks(xs.size, ys.size, floats_per_point, dtype.itemsize):
        dx = (xs[cols] - s.x0).astype(dtype)[None, :]
        dy = (ys[rows] - s.y0).astype(dtype)[:, None]
        G = dx.size * dy.size
        if Y_tiled.shape[0] < G * N:  # the first block is the largest
            Y_tiled = np.tile(s.Y, (G, 1))  # (G·N, n_out)
        yield rows, cols, dx, dy, Y_tiled[:G * N]


def _shift(Zcol: Array, p: ParamRef, delta: Array, A_prev: Array) -> None:
    """Add θ = p's change to column p.row of z: ``Δ · a(l−1)_c`` (weight) or ``Δ`` (bias).

    ``Zcol`` is that column over a block of the grid, (R, C, N); ``delta``
    broadcasts to (R, C); ``A_prev`` is a(l−1), either (N, n) (the same at every
    grid point) or (R, C, N, n).
    """
    if p.kind == "W":
        Zcol += delta[..., None] * A_prev[..., p.col]
    else:
        Zcol += delta[..., None]


def _over_grid(network: Network, X: object, Y: object, param_x: str | ParamRef,
               param_y: str | ParamRef, values: tuple[object, object, int],
               block: Callable[..., tuple[Array, ...]], floats_per_point: Callable[..., int],
               ) -> tuple[_Setup, Array, Array, list[Array]]:
    """Evaluate ``block`` on every block of the grid; one (ny, nx) array per result."""
    s = _prepare(network, X, Y, param_x, param_y)
    x_values, y_values, n_default = values
    xs = _values(x_values, s.x0, "x_values", n_default)
    ys = _values(y_values, s.y0, "y_values", n_default)
    per_point = s.X.shape[0] * floats_per_point(network.layer_sizes, s.layer)
    out: list[Array] = []
    for rows, cols, dx, dy, Y_tiled in _grid_blocks(network, s, xs, ys, per_point):
        results = block(network, s, dx, dy, Y_tiled)
        if not out:
            out = [np.empty((ys.size, xs.size), network.dtype) for _ in results]
        for grid, r in zip(out, results):
            grid[rows, cols] = r
    return s, xs, ys, out


# ---------------------------------------------------------------------------
# The cost surface
# ---------------------------------------------------------------------------


def cost_surface(network: Network, X: object, Y: object,
                 param_x: str | ParamRef = "W1[0,0]", param_y: str | ParamRef = "b1[0]",
                 x_values: Values = None, y_values: Values = None) -> Landscape:
    """The training-set cost ``C = (1/N) Σ_k C_k`` over a grid of two parameters.

    Parameters
    ----------
    network : Network
        Left exactly as it was (its parameters are only read).
    X, Y : array-like of shape (N, n_in) and (N, n_out)
        The training set.
    param_x, param_y : str or ParamRef
        Two different scalar parameters, e.g. ``'W2[0,1]'`` and ``'b1[3]'``.
    x_values, y_values : array-like, optional
        Strictly increasing grid values; default 201 values within ±4 of the
        parameter's current value.

    Returns
    -------
    Landscape
        ``C[j, i]`` is the cost with θ_x = ``xs[i]`` and θ_y = ``ys[j]``.
    """
    network, X, Y = on_host(network, X, Y)
    s, xs, ys, (C,) = _over_grid(network, X, Y, param_x, param_y, (x_values, y_values, 201),
                                 _block_costs, _cost_floats)
    return Landscape(xs, ys, C, str(s.px), str(s.py), s.x0, s.y0,
                     param_label(network, s.px), param_label(network, s.py), network.cost.name)


def _cost_floats(sizes: Sequence[int], i: int) -> int:
    """Numbers per example and grid point that :func:`_block_costs` keeps at once."""
    return 3 * max(sizes[i - 1:]) + 3 * sizes[-1] + 4


def _block_costs(net: Network, s: _Setup, dx: Array, dy: Array, Y_tiled: Array) -> tuple[Array]:
    """The cost at every point of an (R, C) block, given Δθ_x (1, C) and Δθ_y (R, 1).

    Only the columns of ``z(i)`` that hold a moved neuron vary over the grid, and
    ``z(i+1)`` is its value at the network's parameters plus a rank-one (or
    rank-two) correction; from layer i + 2 up, the layers' weighted sums and σ
    (:mod:`chainrule.nn.layers`) run on the (R, C, N, n) stacks.
    """
    i, L = s.layer, net.n_layers
    grid, N = (dy.shape[0], dx.shape[1]), s.X.shape[0]
    moves = [(s.px, dx), (s.py, dy)]
    low = [(p, d) for p, d in moves if p.layer == i]
    high = [(p, d) for p, d in moves if p.layer != i]
    rows = sorted({p.row for p, _ in low})

    # z(i): only the columns of the moved neurons change over the grid
    Zc = np.empty((*grid, N, len(rows)), net.dtype)  # (R, C, N, k), k = 1 or 2
    Zc[...] = s.Zb[:, rows]
    for p, d in low:
        _shift(Zc[..., rows.index(p.row)], p, d, s.A_in)

    if i == L:
        Z = Zc
        if len(rows) < net.n_outputs:
            Z = np.empty((*grid, N, net.n_outputs), net.dtype)  # (R, C, N, n_L)
            Z[...] = s.Zb
            Z[..., rows] = Zc
    else:
        # z(i+1) = its value at the network's parameters + Σ_r Δa(i)_r W(i+1)[:, r]
        Ac = net.activations[i - 1](Zc)
        dA = Ac - s.Ab[:, rows]
        Z = dA[..., 0, None] * net.W[i][:, rows[0]]  # (R, C, N, n_{i+1})
        Z += s.Zn
        if len(rows) == 2:
            Z += dA[..., 1, None] * net.W[i][:, rows[1]]
        for p, d in high:
            if p.layer == i + 1 and p.kind == "W" and p.col in rows:  # a(i)_c moves too
                Z[..., p.row] += d[..., None] * Ac[..., rows.index(p.col)]
            elif p.layer == i + 1:
                _shift(Z[..., p.row], p, d, s.Ab)
        for l in range(i + 2, L + 1):
            A_prev = net.activations[l - 2](Z)
            Z = weighted_sum(A_prev, net.W[l - 1], net.b[l - 1])  # (R, C, N, n_l)
            for p, d in high:
                if p.layer == l:
                    _shift(Z[..., p.row], p, d, A_prev)
    A = net.activations[-1](Z)
    n_out = Z.shape[-1]
    Ck = net.cost.per_example(Z.reshape(-1, n_out), A.reshape(-1, n_out), Y_tiled)
    # mean over the N examples of each point, as a matrix-vector product (fast for small N)
    return ((Ck.reshape(-1, N) @ np.ones(N, Ck.dtype)).reshape(grid) / N,)


# ---------------------------------------------------------------------------
# The gradient field
# ---------------------------------------------------------------------------


def gradient_field(network: Network, X: object, Y: object,
                   param_x: str | ParamRef = "W1[0,0]", param_y: str | ParamRef = "b1[0]",
                   x_values: Values = None, y_values: Values = None) -> GradientField:
    """``∂C/∂θ_x`` and ``∂C/∂θ_y`` of the training-set cost over a grid of two parameters.

    Back-propagation with leading grid axes: the layers' forward and backward
    (:mod:`chainrule.nn.layers`) run on (R, C, N, n) stacks from layer i up,
    the moved parameters added at each grid point::

        dZ(L) = ∂C/∂Z(L),   dA(l−1) = dZ(l) W(l),   dZ(l−1) = dA(l−1) ⊙ σ'(Z(l−1))
        ∂C/∂W(l)[r,c] = Σ_k dZ(l)[k, r] a(l−1)[k, c],   ∂C/∂b(l)[r] = Σ_k dZ(l)[k, r]

    at every grid point (W(l) there includes the moved weight).  The values
    equal :meth:`Network.backprop` at those points.  The parameters are those of
    :func:`cost_surface`; the default grid is coarser: 21 values within ±4.

    Returns
    -------
    GradientField
        ``dC_dx[j, i]`` and ``dC_dy[j, i]`` at ``(xs[i], ys[j])``.
    """
    network, X, Y = on_host(network, X, Y)
    s, xs, ys, (gx, gy) = _over_grid(network, X, Y, param_x, param_y,
                                     (x_values, y_values, 21), _block_gradients,
                                     _gradient_floats)
    return GradientField(xs, ys, gx, gy, str(s.px), str(s.py))


def _gradient_floats(sizes: Sequence[int], i: int) -> int:
    """Numbers per example and grid point that :func:`_block_gradients` keeps at once."""
    return 3 * sum(sizes[i:]) + 3 * max(sizes[i:]) + 2 * sizes[-1]


def _block_forward(net: Network, s: _Setup, moves: list[tuple[ParamRef, Array]],
                   grid: tuple[int, int]) -> tuple[dict[int, Array], dict[int, Array]]:
    """``Z(l)`` and ``A(l)`` for l = i … L at every grid point, (R, C, N, n_l) each."""
    i, N = s.layer, s.X.shape[0]
    Zs, As = {}, {i - 1: s.A_in}  # As[i − 1] is a(i−1), the same at every point
    for l in range(i, net.n_layers + 1):
        if l == i:
            Z = np.empty((*grid, N, s.Zb.shape[1]), net.dtype)  # (R, C, N, n_i)
            Z[...] = s.Zb
        else:
            Z = weighted_sum(As[l - 1], net.W[l - 1], net.b[l - 1])  # (R, C, N, n_l)
        for p, d in moves:
            if p.layer == l:
                _shift(Z[..., p.row], p, d, As[l - 1])
        Zs[l], As[l] = Z, net.activations[l - 1](Z)
    return Zs, As


def _block_gradients(net: Network, s: _Setup, dx: Array, dy: Array,
                     Y_tiled: Array) -> tuple[Array, Array]:
    """``(∂C/∂θ_x, ∂C/∂θ_y)`` at every point of an (R, C) block."""
    i, L = s.layer, net.n_layers
    grid, N, n_out = (dy.shape[0], dx.shape[1]), s.X.shape[0], net.n_outputs
    moves = [(s.px, dx), (s.py, dy)]
    Zs, As = _block_forward(net, s, moves, grid)
    # the cost's delta is of the mean over its G·N rows, we want the mean over N
    dZ = np.empty((Y_tiled.shape[0], n_out), net.dtype)
    output_delta(net.cost, net.activations[-1], Zs[L].reshape(-1, n_out),
                 As[L].reshape(-1, n_out), Y_tiled, dZ)
    dZ = dZ.reshape(*grid, N, n_out)
    dZ *= grid[0] * grid[1]
    grads = {}
    for l in range(L, i - 1, -1):
        for p, _ in moves:
            if p.layer == l:  # θ's entry of dW(l) or db(l) at every point
                col = 0 if p.col is None else p.col
                dW, db, _ = backward(dZ[..., p.row:p.row + 1], As[l - 1][..., col:col + 1])
                grads[p] = (dW if p.kind == "W" else db).reshape(grid)
        if l > i:
            _, _, dA = backward(dZ, None, net.W[l - 1])  # (R, C, N, n_{l−1})
            for p, d in moves:
                if p.layer == l and p.kind == "W":  # ∂z(l)/∂a(l−1) is the moved W(l)
                    dA[..., p.col] += d[..., None] * dZ[..., p.row]
            net.activations[l - 2].backward(dA, Zs[l - 1], As[l - 1])
            dZ = dA  # dZ(l−1) = dA(l−1) ⊙ σ'(Z(l−1))
    return grads[s.px], grads[s.py]


# ---------------------------------------------------------------------------
# Gradient descent on two parameters
# ---------------------------------------------------------------------------


def descent_path(
    network: Network,
    X: object,
    Y: object,
    param_x: str | ParamRef = "W1[0,0]",
    param_y: str | ParamRef = "b1[0]",
    start: tuple[float, float] | None = None,
    learning_rate: float = 0.5,
    n_steps: int = 50,
) -> DescentPath:
    """Gradient descent on θ_x and θ_y alone, every other parameter fixed.

    ``θ ← θ − η ∂C/∂θ`` for the two parameters, with the gradient from
    :meth:`Network.backprop`.  The network's parameters are restored afterwards.

    Parameters
    ----------
    start : (float, float), optional
        Starting ``(θ_x, θ_y)``; default their current values.
    learning_rate : float
        The step size η > 0.
    n_steps : int
        Number of steps (≥ 0).

    Returns
    -------
    DescentPath
        ``points`` of shape (n_steps + 1, 2), starting point first, and the cost at each.

    Raises
    ------
    DivergenceError
        If the cost or a parameter stops being finite (η too large).
    """
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ConfigError(f"learning_rate: expected a positive number, got {learning_rate!r}")
    if int(n_steps) != n_steps or n_steps < 0:
        raise ConfigError(f"n_steps: expected a whole number ≥ 0, got {n_steps!r}")
    network, X, Y = on_host(network, X, Y)
    X2, Y2 = network.check_XY(X, Y)
    _, k = _two_params(network, param_x, param_y)
    saved = network.params[k].copy()
    theta = saved.astype(np.float64) if start is None else np.asarray(start, dtype=np.float64)
    if theta.shape != (2,) or not np.isfinite(theta).all():
        raise ConfigError(f"start: expected two finite numbers (θ_x, θ_y), got {start!r}")
    points = np.empty((int(n_steps) + 1, 2))
    costs = np.empty(int(n_steps) + 1)
    try:
        # overflow is not an error here: a diverging path is reported below
        with np.errstate(over="ignore", invalid="ignore"):
            for t in range(int(n_steps) + 1):
                network.params[k] = theta
                cost, grads = network.cost_and_gradient(X2, Y2)
                if not (np.isfinite(cost) and np.isfinite(grads[k]).all()):
                    raise DivergenceError(f"descent_path: the cost is {cost} after {t} steps; "
                                          f"try a learning_rate below {learning_rate:g}")
                points[t], costs[t] = network.params[k], cost
                theta = points[t] - learning_rate * grads[k]
    finally:
        network.params[k] = saved
    return DescentPath(points, costs)


# ---------------------------------------------------------------------------
# Which parameters matter
# ---------------------------------------------------------------------------


def gradient_rms(network: Network, X: object, Y: object) -> Array:
    """How hard the examples pull on each parameter: ``√((1/N) Σ_k (∂C_k/∂θ)²)``.

    For example k alone ``∂C_k/∂W(l)[r,c] = dZ_k[r] a(l−1)_k[c]`` and
    ``∂C_k/∂b(l)[r] = dZ_k[r]``, with ``dZ_k`` the example's row of back-propagation,
    so the sums of squares over the examples are ``(dZ ⊙ dZ)ᵀ (A ⊙ A)`` and
    ``Σ_k dZ ⊙ dZ``: one product per layer (the layer's :func:`backward` applied to
    the squares), never the (N, n_params) per-example gradients.  Unlike ``∂C/∂θ``,
    which is 0 for every parameter at a minimum, this is 0 only for a parameter that
    no example's cost depends on (the weights of an input that is always 0); the
    largest entries are the parameters along which the cost changes most.

    Returns
    -------
    ndarray of shape (n_params,)
        In the order of :attr:`Network.params`; the network is left unchanged.
    """
    network, X, Y = on_host(network, X, Y)
    X2, Y2 = network.check_XY(X, Y)
    L, N = network.n_layers, X2.shape[0]
    total = np.zeros(network.n_params)
    squares_W, squares_b = _param_views(network, total)
    for start in range(0, N, RMS_ROWS):
        c = network.forward(X2[start:start + RMS_ROWS], check=False)
        Yb = Y2[start:start + RMS_ROWS]
        with np.errstate(over="ignore", invalid="ignore"):
            # ∂C_k/∂Z(L) of each example: the delta of the block's mean cost, times its rows
            dZ = output_delta(network.cost, network.activations[-1], c.Z[L - 1], c.A[L], Yb,
                              np.empty_like(c.A[L])) * Yb.shape[0]  # (rows, n_L)
            for l in range(L, 0, -1):
                dW2, db2, _ = backward(dZ * dZ, c.A[l - 1] * c.A[l - 1])  # Σ_k squares
                squares_W[l - 1] += dW2
                squares_b[l - 1] += db2
                if l > 1:
                    _, _, dZ = backward(dZ, None, network.W[l - 1])  # dA(l−1), (rows, n)
                    network.activations[l - 2].backward(dZ, c.Z[l - 2], c.A[l - 1])
    return np.sqrt(total / N)


def _param_views(network: Network, flat: Array) -> tuple[list[Array], list[Array]]:
    """Per-layer views of ``flat`` shaped like the network's W(l) and b(l)."""
    Ws, bs = [], []
    for (w0, b0), (n_prev, n) in zip(network.offsets(), pairwise(network.layer_sizes)):
        Ws.append(flat[w0:b0].reshape(n, n_prev))  # (n_l, n_{l−1})
        bs.append(flat[b0:b0 + n])
    return Ws, bs
