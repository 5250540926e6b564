"""Gradient checking by central finite differences.

For a cost ``f(θ)`` and a claimed gradient ``g``, each checked component is
compared with ``n_j = (f(θ + h e_j) − f(θ − h e_j)) / 2h``, where
``h = eps · max(1, |θ_j|)``.  The truncation error is O(h²) and the rounding
error O(ε_machine |f| / h), so ``eps = 1e-6`` gives about ten correct digits in
float64.  A component passes when

    |g_j − n_j| ≤ atol + rtol · max(|g_j|, |n_j|) + ν_j,

where ν_j allows for the finite difference's own error, at the scale of the
numbers at hand (no absolute floor: a gradient of 1e-8 is checked as closely as
one of 1):

* rounding: ``2 ε (|f(θ + h e_j)| + |f(θ − h e_j)|) / 2h``, the most that the last
  bits of the two costs can move ``n_j``;
* for a component that fails on that alone, also ``2 |n_j − n_j(10h)|``: the
  difference with a ten times longer step shows a truncation error or a rounding
  error larger than the first bound (a cost computed with cancellation, e.g. a
  saturated tanh near its target).

So a wrong derivative is caught wherever it differs from the right one by more
than the differences can resolve: the exercise's wrong answer ∂z/∂b = a(1) at
w = −1.298, b = 4.984 (x = 0, y = 1) is 9.4e−5 off, relative, but only 3.3e−12
in absolute terms, which an absolute tolerance of 1e−8 let through.

The check works on any callable, so it can test a user's own derivative code
(the exercise's ``dCdw`` and ``dCdb``) as well as :meth:`Network.backprop`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..utils import html
from ..utils.html import plain_number
from ..utils.namespace import to_numpy
from ..utils.validation import as_generator

__all__ = ["GradCheckResult", "check_gradient", "check_network_gradient", "numerical_gradient"]

Array = np.ndarray


@dataclass(frozen=True)
class GradCheckResult:
    """Per-parameter comparison of an analytic gradient with central differences.

    Attributes
    ----------
    indices : ndarray of int
        Positions of the checked components in θ.
    analytic, numeric : ndarray
        The claimed and the finite-difference derivatives at those positions.
    rel_error : ndarray
        ``|analytic − numeric| / max(|analytic|, |numeric|)`` (0 where both are 0).
    abs_error : ndarray
        ``|analytic − numeric|``.
    passed : bool
        Whether every component is within tolerance.
    rtol, atol : float
        The tolerances the check used.
    names : list of str or None
        Parameter names (e.g. ``'W1[0,2]'``) when known.
    noise : ndarray or None
        ν_j, the allowance for each finite difference's own error (module docstring);
        None: none.
    """

    indices: Array
    analytic: Array
    numeric: Array
    rel_error: Array
    abs_error: Array
    passed: bool
    rtol: float
    atol: float
    names: list[str] | None = None
    noise: Array | None = None

    @property
    def max_rel_error(self) -> float:
        return float(self.rel_error.max()) if self.rel_error.size else 0.0

    @property
    def failures(self) -> Array:
        """Indices (into θ) of the components that failed."""
        return self.indices[~_within(self.abs_error, self.analytic, self.numeric, self.rtol,
                                     self.atol, self.noise)]

    def __bool__(self) -> bool:
        return self.passed

    def summary(self) -> str:
        n = self.indices.size
        checked = f"{n} component{'s' if n != 1 else ''}"
        verdict = (f"passed on {checked}" if self.passed else
                   f"FAILED on {self.failures.size} of {checked}")
        return (f"gradient check {verdict}: "
                f"max relative error {self.max_rel_error:.2e} (rtol {self.rtol:g}, "
                f"atol {self.atol:g}, and each difference's own error)")

    def __repr__(self) -> str:
        return f"GradCheckResult({self.summary()})"

    def worst(self, n: int = html.MAX_SHOWN) -> Array:
        """Positions (into the checked components) of the ``n`` largest relative errors,
        largest first."""
        return np.argsort(-self.rel_error, kind="stable")[:n]

    def _repr_html_(self) -> str:
        failed = set(self.failures.tolist())
        rows = []
        for k in self.worst():
            j = int(self.indices[k])
            name = self.names[k] if self.names is not None else f"θ[{j}]"
            rows.append([name, plain_number(self.analytic[k], ".10g"),
                         plain_number(self.numeric[k], ".10g"),
                         plain_number(self.rel_error[k], ".2e"),
                         "FAILED" if j in failed else "ok"])
        shown = len(rows)
        caption = (f"the {shown} largest relative errors of {self.indices.size}"
                   if shown < self.indices.size else None)
        table = html.table(["component", "analytic", "finite difference", "rel. error",
                            "verdict"], rows, caption=caption)
        return html.block(self.summary(), table)


def numerical_gradient(f: Callable[[Array], float], theta: Array, indices: Array | None = None,
                       eps: float = 1e-6) -> Array:
    """Central differences of ``f`` at ``theta`` for the given components.

    ``theta`` is perturbed in place and restored exactly, so it may be a
    network's live parameter vector.
    """
    return _central_differences(f, np.asarray(theta), indices, eps)[0]


def _central_differences(f: Callable[[Array], float], theta: Array, indices: Array | None,
                         eps: float) -> tuple[Array, Array]:
    """``n_j = (f(θ + h e_j) − f(θ − h e_j)) / 2h`` and the rounding bound of each,
    ``ε (|f(θ + h e_j)| + |f(θ − h e_j)|) / 2h`` (ε of θ's dtype; 0 where a cost is not
    finite)."""
    if indices is None:
        indices = np.arange(theta.size)
    flat = theta.flat  # C-order positions, written through to θ whatever its strides
    out = np.empty(len(indices), dtype=np.float64)
    rounding = np.empty(len(indices), dtype=np.float64)
    machine_eps = float(np.finfo(theta.dtype).eps) if theta.dtype.kind == "f" else 0.0
    for k, j in enumerate(indices):
        old = flat[j]
        h = eps * max(1.0, abs(float(old)))
        flat[j] = old + h
        f_plus = float(f(theta))
        flat[j] = old - h
        f_minus = float(f(theta))
        flat[j] = old
        out[k] = (f_plus - f_minus) / (2 * h)
        bound = machine_eps * (abs(f_plus) + abs(f_minus)) / (2 * h)
        rounding[k] = bound if np.isfinite(bound) else 0.0
    return out, rounding


# ν_j: multiples of the rounding bound, and of |n_j − n_j(10h)| for components failing at first
ROUNDING_ALLOWANCE = 2.0
STEP_ALLOWANCE = 2.0
COARSE_STEP = 10.0


def _within(abs_err: Array, analytic: Array, numeric: Array, rtol: float, atol: float,
            noise: Array | None) -> Array:
    """``|g − n| ≤ atol + rtol · max(|g|, |n|) + ν``, component by component (NaN fails)."""
    tol = atol + rtol * np.maximum(np.abs(analytic), np.abs(numeric))
    if noise is not None:
        tol = tol + noise
    return abs_err <= tol


def check_gradient(
    f: Callable[[Array], float],
    grad: Callable[[Array], Array] | Array,
    theta: Array,
    *,
    eps: float = 1e-6,
    rtol: float = 1e-6,
    atol: float = 0.0,
    n_samples: int | None = None,
    random_state: int | np.random.Generator | None = 0,
    names: list[str] | None = None,
) -> GradCheckResult:
    """Compare a claimed gradient with central finite differences.

    A component passes when ``|g_j − n_j| ≤ atol + rtol · max(|g_j|, |n_j|) + ν_j``,
    with ν_j the allowance for the finite difference's own error (see the module's
    docstring): the criterion follows the scale of the cost and of each derivative.

    Parameters
    ----------
    f : callable ``theta -> float``
        The cost as a function of the parameters.
    grad : callable ``theta -> array`` or array
        The claimed gradient ∂f/∂θ (same shape as θ).
    theta : ndarray
        Where to check.  Perturbed in place and restored.
    eps : float
        Relative step size h.
    rtol, atol : float
        Tolerances of the pass test (``atol``, 0 by default, is an absolute floor).
    n_samples : int, optional
        Check a seeded random sample of this many components (for large networks).
    names : list of str, optional
        A name per component of θ, used in reports.

    Returns
    -------
    GradCheckResult
    """
    theta = np.asarray(theta)
    if not np.issubdtype(theta.dtype, np.floating):
        raise ConfigError(f"theta: expected a floating-point array, got dtype {theta.dtype}")
    if eps <= 0 or not np.isfinite(eps):
        raise ConfigError(f"eps: expected a positive step size, got {eps!r}")
    g = np.asarray(grad(theta) if callable(grad) else grad, dtype=np.float64).reshape(-1).copy()
    if g.size != theta.size:
        raise ConfigError(f"grad: expected {theta.size} components (one per parameter), "
                          f"got {g.size}")
    if n_samples is not None and n_samples < theta.size:
        rng = as_generator(random_state)
        idx = np.sort(rng.choice(theta.size, size=n_samples, replace=False))
    else:
        idx = np.arange(theta.size)
    numeric, rounding = _central_differences(f, theta, idx, eps)
    analytic = g[idx]
    abs_err = np.abs(analytic - numeric)
    noise = ROUNDING_ALLOWANCE * rounding
    suspects = np.flatnonzero(~_within(abs_err, analytic, numeric, rtol, atol, noise))
    if suspects.size:  # a longer step shows what the rounding bound missed
        coarse = _central_differences(f, theta, idx[suspects], COARSE_STEP * eps)[0]
        spread = STEP_ALLOWANCE * np.abs(numeric[suspects] - coarse)
        noise[suspects] += np.where(np.isfinite(spread), spread, 0.0)
    scale = np.maximum(np.abs(analytic), np.abs(numeric))
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(scale > 0, abs_err / np.where(scale > 0, scale, 1), 0.0)
    passed = bool(np.all(_within(abs_err, analytic, numeric, rtol, atol, noise)))
    picked = [names[j] for j in idx] if names is not None else None
    return GradCheckResult(idx, analytic, numeric, rel, abs_err, passed, rtol, atol, picked,
                           noise)


def check_network_gradient(network, X: object, Y: object, **kwargs: object) -> GradCheckResult:
    """Check :meth:`Network.backprop` on a batch against central differences.

    Keyword arguments go to :func:`check_gradient` (``n_samples=`` for large networks).
    A float32 network's gradient is compared with central differences of a float64
    twin (the same weights, widened exactly), since differences taken in float32
    would carry rounding errors of about ε₃₂/h ≈ 0.1; the default tolerances are then
    float32's: ``rtol=1e-3`` and ``atol = 1e-4 · max_j |∂C/∂θ_j|`` (back-propagation
    in float32 rounds each component to a few ε₃₂ of the largest terms summed into it).
    A network on another array library (:meth:`Network.move_to`) computes its gradient
    there; the differences are taken of a copy moved to NumPy on the host.
    """
    from .network import Network

    X2, Y2 = network.check_XY(X, Y)
    network.forward(X2, check=False)
    g = to_numpy(network.backward(Y2)).astype(np.float64)  # a copy, widened if float32
    twin = network
    if network.namespace is not None:  # the differences on the host, of a float64 twin
        twin = network.copy().move_to(None)
        X2, Y2 = to_numpy(X2), to_numpy(Y2)
    if twin.dtype != np.float64:
        twin = Network(network.layer_sizes, [a.name for a in network.activations],
                       cost=network.cost.name, dtype=np.float64,
                       weights=[W.astype(np.float64) for W in twin.W],
                       biases=[b.astype(np.float64) for b in twin.b])
        X2, Y2 = X2.astype(np.float64), Y2.astype(np.float64)
        kwargs.setdefault("rtol", 1e-3)
        kwargs.setdefault("atol", 1e-4 * float(np.abs(g).max(initial=0.0)))

    def f(theta: Array) -> float:  # theta is the twin's params, perturbed in place
        twin.forward(X2, check=False)
        return twin.cached_cost(Y2)

    return check_gradient(f, g, twin.params, names=network.param_names(), **kwargs)  # type: ignore[arg-type]
