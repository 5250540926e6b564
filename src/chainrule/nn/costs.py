"""Costs: how far the network's output ``a(N)`` is from the target ``y``.

The cost of one example is ``C_k``; the cost of a training set is the mean
``C = (1/N) Σ_k C_k`` (the exercise's definition).  Each cost also gives the output
delta ``dZ = ∂C/∂Z(N)`` of the mean cost, fused with its output activation where
that is both cheaper and more stable:

* squared error, ``C_k = |a − y|² = Σ_i (a_i − y_i)²`` (no ½), so
  ``∂C_k/∂a = 2(a − y)`` as in the exercise; any output activation.
* half squared error, ``C_k = ½|a − y|²``, so ``∂C_k/∂a = a − y``: the
  objective scikit-learn's MLPs minimise (its estimators use it); any output
  activation.
* binary cross-entropy with a logistic output,
  ``C_k = −Σ_i [y_i log a_i + (1 − y_i) log(1 − a_i)]``; the factors
  ``∂C_k/∂a = (a − y)/(a(1 − a))`` and ``∂a/∂z = a(1 − a)`` cancel, so
  ``∂C_k/∂z = a − y``.
* categorical cross-entropy with a softmax output, ``C_k = −Σ_i y_i log a_i``;
  with the softmax Jacobian the delta is ``∂C_k/∂z = a Σ_i y_i − y`` (``a − y``
  for one-hot or probability rows).
* Poisson, half the Poisson deviance, with an exponential output ``a = e^z``
  (a log link): ``C_k = Σ_i [y_i log(y_i/a_i) − y_i + a_i]`` for counts ``y ≥ 0``
  (``0 log 0 = 0``), scikit-learn's ``loss='poisson'``; ``∂C_k/∂a = 1 − y/a`` and
  ``∂a/∂z = a`` give ``∂C_k/∂z = a − y``.

The cross-entropies are evaluated from ``Z`` with log-sum-exp forms, so they
stay finite for any finite ``z``.

Speed: sums over a row (over the outputs of one example) are slow for a
row-major array, one short reduction per example, and fast for a column-major
one, one vector operation per output.  A network stores its output layer
column-major; for row-major arrays such as the targets ``Y`` the row sums are
taken as a matrix-vector product with a vector of ones, which BLAS does at
full speed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from .activations import Activation, Scratch
from .registry import look_up

__all__ = ["COSTS", "Cost", "get_cost"]

Array = np.ndarray


@dataclass(frozen=True)
class Cost:
    """A cost function paired with the output activations it accepts.

    Attributes
    ----------
    name : str
        Registry key, stored in model files.
    formula : str
        ``C_k`` as the exercise writes it.
    per_example : callable ``(Z, A, Y) -> (N,)``
        ``C_k`` for every row.
    dC_dA : callable ``(A, Y) -> (N, n_out)``
        ``∂C_k/∂a`` for every row (the first factor of the chain rule).
    dC_dA_formula : str
        ``∂C_k/∂a`` as a formula, for display.
    delta : callable ``(Z, A, Y, out) -> out``
        ``∂C/∂Z`` of the *mean* cost, written into ``out``.
    output_activations : tuple of str or None
        The output activations this cost is defined with (None: any).
    default_output_activation : str or None
        The output activation a network gets with this cost unless told otherwise.
    dC_dA_from_z : callable ``(Z, A, Y) -> (N, n_out)`` or None
        ``∂C_k/∂a`` exact where ``a`` is rounded to 0 or 1 (the chain-rule ledger's
        first factor); None where ``dC_dA`` is already exact.  A term whose weight
        (y or 1 − y) is 0 contributes 0, as in ``C_k`` itself; call it under
        ``np.errstate``: a factor truly beyond the range is ±∞.
    """

    name: str
    formula: str
    per_example: Callable[[Array, Array, Array], Array]
    dC_dA: Callable[[Array, Array], Array]
    delta: Callable[[Array, Array, Array, Array], Array]
    output_activations: tuple[str, ...] | None = None
    default_output_activation: str | None = None
    dC_dA_formula: str = "∂C_k/∂a"
    dC_dA_from_z: Callable[[Array, Array, Array], Array] | None = None

    def __call__(self, Z: Array, A: Array, Y: Array) -> float:
        """The training-set cost ``C = (1/N) Σ_k C_k``."""
        C = self.per_example(Z, A, Y)  # (N,)
        return float(np.add.reduce(C) / C.shape[0])  # np.mean's sum, without its overhead

    def check_output_activation(self, activation: Activation) -> None:
        """Raise :class:`ConfigError` if ``activation`` cannot end a network with this cost."""
        allowed = self.output_activations
        if allowed is not None and activation.name not in allowed:
            article = "an" if allowed[0][0] in "aeiou" else "a"
            raise ConfigError(
                f"output_activation: cost {self.name!r} needs {article} {' or '.join(allowed)} "
                f"output layer, got {activation.name!r}"
            )


_ONES: dict[tuple[int, np.dtype], Array] = {}


def _ones(n: int, dtype: np.dtype) -> Array:
    """A read-only vector of n ones, made once per length and dtype."""
    v = _ONES.get((n, dtype))
    if v is None:
        v = _ONES[(n, dtype)] = np.ones(n, dtype)
        v.flags.writeable = False
    return v


def _row_sums(M: Array) -> Array:
    """``Σ_i M[k, i]`` for every row k, shape (N,), by the faster route for M's layout."""
    if M.shape[1] == 1:
        return M[:, 0].copy()
    if M.flags.f_contiguous or M.dtype.kind != "f":
        return np.add.reduce(M, axis=1)
    return M.dot(_ones(M.shape[1], M.dtype))  # a BLAS matrix-vector product


# squared error: C_k = Σ_i (a_i − y_i)²
def _se_per_example(Z: Array, A: Array, Y: Array) -> Array:
    D = np.subtract(A, Y)  # in the layout of the operands (column-major for a network)
    np.multiply(D, D, out=D)
    return _row_sums(D)


def _se_dC_dA(A: Array, Y: Array) -> Array:
    return 2 * (A - Y)


def _se_delta_dA(Z: Array, A: Array, Y: Array, out: Array) -> Array:
    # ∂C/∂A of the mean cost: 2(A − Y)/N; the caller applies σ'
    np.subtract(A, Y, out=out)
    np.multiply(out, out.dtype.type(2.0 / A.shape[0]), out=out)
    return out


# half squared error: C_k = ½ Σ_i (a_i − y_i)²
def _hse_per_example(Z: Array, A: Array, Y: Array) -> Array:
    C = _se_per_example(Z, A, Y)
    return np.multiply(C, C.dtype.type(0.5), out=C)


def _hse_dC_dA(A: Array, Y: Array) -> Array:
    return A - Y


def _hse_delta_dA(Z: Array, A: Array, Y: Array, out: Array) -> Array:
    # ∂C/∂A of the mean cost: (A − Y)/N; the caller applies σ'
    np.subtract(A, Y, out=out)
    np.multiply(out, out.dtype.type(1.0 / A.shape[0]), out=out)
    return out


# binary cross-entropy from z: −[y log σ(z) + (1−y) log σ(−z)] = softplus(z) − y z
def _softplus(Z: Array) -> Array:
    return np.maximum(Z, 0) + np.log1p(np.exp(-np.abs(Z)))


def _bce_per_example(Z: Array, A: Array, Y: Array) -> Array:
    YZ = np.multiply(Y, Z)
    return _row_sums(np.subtract(_softplus(Z), YZ, out=YZ))


def _bce_dC_dA(A: Array, Y: Array) -> Array:
    return (A - Y) / (A * (1 - A))


def _bce_dC_dA_from_z(Z: Array, A: Array, Y: Array) -> Array:
    # −y/a + (1 − y)/(1 − a), with 1 − a = σ(−z) = 1/(1 + e^z) exact as a → 1
    one_minus_a = 1 / (1 + np.exp(Z))
    return (np.where(Y != 0, -Y / A, 0.0)
            + np.where(Y != 1, (1 - Y) / one_minus_a, 0.0)).astype(A.dtype)


def _matched_delta(Z: Array, A: Array, Y: Array, out: Array) -> Array:
    # logistic + BCE, exp + Poisson: ∂C_k/∂z = a − y (σ' cancels against ∂C/∂a)
    np.subtract(A, Y, out=out)
    np.multiply(out, out.dtype.type(1.0 / A.shape[0]), out=out)
    return out


# categorical cross-entropy from z: −Σ_i y_i (z_i − logsumexp(z))
def _cce_per_example(Z: Array, A: Array, Y: Array) -> Array:
    # C_k = −Σ_i y_i log a_i is exact to rounding while every a_i is a normal number (the
    # softmax never rounds a_i up from 0); then it costs a third of the form below
    if A.size and np.minimum.reduce(A, axis=None) >= np.finfo(A.dtype).tiny:
        L = np.log(A)
        np.multiply(L, Y, out=L)
        C = _row_sums(L)
        return np.negative(C, out=C)  # (N,)
    # otherwise from Z: C_k = Σ_i y_i (lse − z_i) with lse − z_i = log Σ_j e^{z_j − m} − (z_i − m),
    # m = max_j z_j: no term overflows, nothing cancels against a large m, and a_i = 0 is fine
    D = np.subtract(Z, np.maximum.reduce(Z, axis=1, keepdims=True))  # z − m, Z's layout
    log_s = np.log(_row_sums(np.exp(D)))  # (N,)
    np.subtract(log_s[:, None], D, out=D)  # lse − z
    np.multiply(D, Y, out=D)
    return _row_sums(D)  # (N,)


def _cce_dC_dA(A: Array, Y: Array) -> Array:
    return -Y / A


def _cce_dC_dA_from_z(Z: Array, A: Array, Y: Array) -> Array:
    return np.where(Y != 0, -Y / A, 0.0).astype(A.dtype)  # 0 where y is, even if a is 0


def _cce_delta(Z: Array, A: Array, Y: Array, out: Array) -> Array:
    # softmax + CCE: ∂C_k/∂z = a Σ_i y_i − y
    np.multiply(A, _row_sums(Y)[:, None], out=out)
    np.subtract(out, Y, out=out)
    np.multiply(out, out.dtype.type(1.0 / A.shape[0]), out=out)
    return out


# Poisson (half the deviance) from z = log a: Σ_i [y_i (log y_i − z_i) + a_i − y_i]
def _poisson_per_example(Z: Array, A: Array, Y: Array) -> Array:
    D = np.zeros_like(A)  # A's layout (column-major for a network)
    np.log(Y, out=D, where=Y > 0)  # log y, and 0 where y = 0: 0 log 0 = 0
    np.subtract(D, Z, out=D)
    np.multiply(D, Y, out=D)  # y log(y/a), the terms that cancel as a → y first
    np.add(D, A, out=D)
    np.subtract(D, Y, out=D)
    return _row_sums(D)


def _poisson_dC_dA(A: Array, Y: Array) -> Array:
    return 1 - Y / A


def _poisson_dC_dA_from_z(Z: Array, A: Array, Y: Array) -> Array:
    return (1 - Y * np.exp(-Z)).astype(A.dtype)  # y/a = y e^{−z}, exact where a underflows


COSTS: dict[str, Cost] = {
    c.name: c
    for c in [
        Cost("squared_error", "|a − y|² = Σ_i (a_i − y_i)²", _se_per_example, _se_dC_dA,
             _se_delta_dA, None, None, "2(a − y)"),
        Cost("half_squared_error", "½|a − y|² = ½ Σ_i (a_i − y_i)²", _hse_per_example,
             _hse_dC_dA, _hse_delta_dA, None, None, "a − y"),
        Cost("binary_cross_entropy", "−Σ_i [y_i log a_i + (1 − y_i) log(1 − a_i)]",
             _bce_per_example, _bce_dC_dA, _matched_delta, ("logistic",), "logistic",
             "(a − y)/(a(1 − a))", _bce_dC_dA_from_z),
        Cost("cross_entropy", "−Σ_i y_i log a_i", _cce_per_example, _cce_dC_dA, _cce_delta,
             ("softmax",), "softmax", "−y/a", _cce_dC_dA_from_z),
        Cost("poisson", "Σ_i [y_i log(y_i/a_i) − y_i + a_i]", _poisson_per_example,
             _poisson_dC_dA, _matched_delta, ("exp",), "exp", "1 − y/a",
             _poisson_dC_dA_from_z),
    ]
}
ALIASES = {
    "squared": "squared_error", "mse": "squared_error", "se": "squared_error",
    "bce": "binary_cross_entropy", "log_loss": "cross_entropy",
    "categorical_cross_entropy": "cross_entropy",
}


def get_cost(name: str | Cost) -> Cost:
    """The cost called ``name`` (a key of :data:`COSTS` or an alias: 'mse', 'bce',
    'log_loss', …); a :class:`Cost` is returned as it is.  An unknown name raises
    :class:`~chainrule.errors.ConfigError` listing the known ones."""
    return look_up("cost", name, COSTS, ALIASES, Cost)


def output_delta(cost: Cost, activation: Activation, Z: Array, A: Array, Y: Array,
                 out: Array, scratch: Scratch | None = None) -> Array:
    """``dZ(N) = ∂C/∂Z(N)`` of the mean cost, into ``out``.

    For squared error this is ``2(A − Y)/N ⊙ σ'(Z)`` (``(A − Y)/N ⊙ σ'(Z)`` for the
    half squared error); for the cross-entropies the
    fused forms above.  ``scratch`` (shaped like ``Z``) spares σ' its temporaries.
    """
    cost.delta(Z, A, Y, out)
    if cost.output_activations is None:
        activation.backward(out, Z, A, scratch)
    return out

