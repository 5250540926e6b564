"""Gradient checking by central finite differences.

For a cost ``f(θ)`` and a claimed gradient ``g``, each checked component is
compared with ``(f(θ + h e_j) − f(θ − h e_j)) / 2h``, where
``h = eps · max(1, |θ_j|)``.  The truncation error is O(h²) and the rounding
error O(ε_machine |f| / h), so ``eps = 1e-6`` gives about ten correct digits in
float64.  A component passes when ``|g_j − n_j| ≤ atol + rtol · max(|g_j|, |n_j|)``.

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

    @property
    def max_rel_error(self) -> float:
        return float(self.rel_error.max()) if self.rel_error.size else 0.0

    @property
    def failures(self) -> Array:
        """Indices (into θ) of the components that failed."""
        bad = self.abs_error > self.atol + self.rtol * np.maximum(
            np.abs(self.analytic), np.abs(self.numeric))
        return self.indices[bad]

    def __bool__(self) -> bool:
        return self.passed

    def summary(self) -> str:
        verdict = "passed" if self.passed else f"FAILED on {self.failures.size} components"
        return (f"gradient check {verdict}: {self.indices.size} components, "
                f"max relative error {self.max_rel_error:.2e} (rtol {self.rtol:g}, "
                f"atol {self.atol:g})")

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
    theta = np.asarray(theta)
    if indices is None:
        indices = np.arange(theta.size)
    flat = theta.flat  # C-order positions, written through to θ whatever its strides
    out = np.empty(len(indices), dtype=np.float64)
    for k, j in enumerate(indices):
        old = flat[j]
        h = eps * max(1.0, abs(float(old)))
        flat[j] = old + h
        f_plus = float(f(theta))
        flat[j] = old - h
        f_minus = float(f(theta))
        flat[j] = old
        out[k] = (f_plus - f_minus) / (2 * h)
    return out


def check_gradient(
    f: Callable[[Array], float],
    grad: Callable[[Array], Array] | Array,
    theta: Array,
    *,
    eps: float = 1e-6,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    n_samples: int | None = None,
    random_state: int | np.random.Generator | None = 0,
    names: list[str] | None = None,
) -> GradCheckResult:
    """Compare a claimed gradient with central finite differences.

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
        Tolerances of the pass test.
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
    numeric = numerical_gradient(f, theta, idx, eps)
    analytic = g[idx]
    abs_err = np.abs(analytic - numeric)
    scale = np.maximum(np.abs(analytic), np.abs(numeric))
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(scale > 0, abs_err / np.where(scale > 0, scale, 1), 0.0)
    passed = bool(np.all(abs_err <= atol + rtol * scale))
    picked = [names[j] for j in idx] if names is not None else None
    return GradCheckResult(idx, analytic, numeric, rel, abs_err, passed, rtol, atol, picked)


def check_network_gradient(network, X: object, Y: object, **kwargs: object) -> GradCheckResult:
    """Check :meth:`Network.backprop` on a batch against central differences.

    Keyword arguments go to :func:`check_gradient` (``n_samples=`` for large networks).
    A float32 network's gradient is compared with central differences of a float64
    twin (the same weights, widened exactly), since differences taken in float32
    would carry rounding errors of about ε₃₂/h ≈ 0.1; the default tolerances are then
    float32's: ``rtol=1e-3`` and ``atol = 1e-4 · max_j |∂C/∂θ_j|`` (back-propagation
    in float32 rounds each component to a few ε₃₂ of the largest terms summed into it).
    """
    from .network import Network

    X2, Y2 = network.check_XY(X, Y)
    network.forward(X2, check=False)
    g = network.backward(Y2).astype(np.float64)  # a copy, widened if float32
    twin = network
    if network.dtype != np.float64:
        twin = Network(network.layer_sizes, [a.name for a in network.activations],
                       cost=network.cost.name, dtype=np.float64,
                       weights=[W.astype(np.float64) for W in network.W],
                       biases=[b.astype(np.float64) for b in network.b])
        X2, Y2 = X2.astype(np.float64), Y2.astype(np.float64)
        kwargs.setdefault("rtol", 1e-3)
        kwargs.setdefault("atol", 1e-4 * float(np.abs(g).max(initial=0.0)))

    def f(theta: Array) -> float:  # theta is the twin's params, perturbed in place
        twin.forward(X2, check=False)
        return twin.cached_cost(Y2)

    return check_gradient(f, g, twin.params, names=network.param_names(), **kwargs)  # type: ignore[arg-type]
