"""Activation functions σ and their derivatives σ'.

Each activation computes ``A = σ(Z)`` in place into a preallocated buffer, and
turns an upstream gradient ``dA = ∂C/∂A`` into ``dZ = ∂C/∂Z`` using the cached
``Z`` and ``A`` of the forward pass (nothing is recomputed).  Where the
derivative is a function of the output it is taken from ``A``, as scikit-learn
does: for tanh ``σ'(z) = 1/cosh² z = 1 − tanh² z = 1 − a²``, which never
overflows.  Its error is within rounding of 1 in absolute terms; deep in
saturation, where σ' is itself below ε (|z| > 18 for tanh, z > 36 for the
logistic in float64), it comes out as 0 or ε instead of its tiny true value, as
in scikit-learn and PyTorch, whose backward passes also work from the output.

Activations are looked up by name in :data:`ACTIVATIONS`; model files store the
name, never code.

Speed: a network passes each layer's preallocated :class:`Scratch` so that a
training step allocates nothing; without it the functions allocate their
temporaries (any shape works then, e.g. the landscape's stacked grids).  The
masks of relu and leaky relu are compared into a bool buffer and copied into a
float buffer before multiplying: a same-dtype product is several times faster
than boolean-mask indexing or a product with a bool array.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..errors import ConfigError
from .registry import look_up

__all__ = ["ACTIVATIONS", "Activation", "Scratch", "get_activation"]

Array = np.ndarray

LEAKY_SLOPE = 0.01


class Scratch(NamedTuple):
    """Preallocated work arrays, each of ``Z``'s shape and memory layout.

    ``values`` has ``Z``'s dtype and may be overwritten; ``mask`` is bool;
    ``zeros`` holds zeros and is only read (``np.maximum(Z, zeros)`` is about four
    times faster than ``np.maximum(Z, 0)``, whose scalar operand takes a slow loop).
    """

    values: Array
    mask: Array
    zeros: Array


@dataclass(frozen=True)
class Activation:
    """An element-wise activation σ (or softmax) with its derivative.

    Attributes
    ----------
    name : str
        Registry key, stored in model files.
    formula, derivative_formula : str
        The formulas, for display (``σ(z)`` and ``σ'(z)``).
    forward : callable ``(Z, out, scratch=None) -> out``
        Computes ``A = σ(Z)`` into ``out`` (which may be ``Z`` itself).
    backward : callable ``(dA, Z, A, scratch=None) -> None``
        Overwrites ``dA`` with ``dZ = dA ⊙ σ'(Z)`` (a Jacobian-vector product
        for softmax).  ``Z`` and ``A`` are the cached forward values.  With a
        :class:`Scratch` nothing is allocated.
    derivative : callable ``(Z, A) -> σ'(Z)``
        The element-wise derivative as a new array (not for softmax).
    elementwise : bool
        False for softmax, whose Jacobian ∂a/∂z is a full matrix.
    derivative_from_z : callable ``Z -> σ'(Z)`` or None
        σ' from z alone, exact relative to σ' even deep in saturation (where
        ``derivative``, working from the rounded output, gives 0); used by
        :meth:`jacobian` for the chain-rule ledger, not by training.
    """

    name: str
    formula: str
    derivative_formula: str
    forward: Callable[..., Array]
    backward: Callable[..., None]
    derivative: Callable[[Array, Array], Array]
    elementwise: bool = True
    derivative_from_z: Callable[[Array], Array] | None = None

    def __call__(self, Z: Array) -> Array:
        """Return ``σ(Z)`` as a new array."""
        Z = np.asarray(Z)
        return self.forward(Z, np.empty_like(Z, dtype=_float_dtype(Z)))

    def jacobian(self, z: Array) -> Array:
        """``∂a/∂z`` for one example ``z`` of shape (n,), as an (n, n) matrix.

        ``diag(σ'(z))`` for element-wise activations; ``diag(a) − a aᵀ`` for softmax.
        """
        z = np.asarray(z)
        if self.derivative_from_z is not None:
            return np.diag(self.derivative_from_z(z))
        a = self(z[None, :])[0]
        if self.elementwise:
            return np.diag(self.derivative(z, a))
        return np.diag(a) - np.outer(a, a)


def _float_dtype(Z: Array) -> np.dtype:
    # np.issubdtype(Z.dtype, np.floating) by the kind: the same test, 1 µs less per call
    return Z.dtype if Z.dtype.kind == "f" else np.dtype(np.float64)


def _work(scratch: Scratch | None, like: Array) -> Array:
    """A float work array shaped like ``like``: the scratch one, or a new one."""
    return np.empty_like(like) if scratch is None else scratch.values


def _positive_mask(scratch: Scratch | None, Z: Array) -> Array:
    """``[z > 0]`` as 0.0/1.0 in Z's dtype, via a bool buffer."""
    if scratch is None:
        return np.greater(Z, 0).astype(Z.dtype)
    mask = np.greater(Z, 0, out=scratch.mask)
    # bool -> uint8 is a free reinterpretation; uint8 -> float is a fast vectorised cast
    np.copyto(scratch.values, mask.view(np.uint8))
    return scratch.values


# identity: σ(z) = z, σ'(z) = 1
def _identity_forward(Z: Array, out: Array, scratch: Scratch | None = None) -> Array:
    if out is not Z:
        np.copyto(out, Z)
    return out


def _identity_backward(dA: Array, Z: Array, A: Array, scratch: Scratch | None = None) -> None:
    pass


# tanh: σ'(z) = 1/cosh² z = 1 − a²
def _tanh_forward(Z: Array, out: Array, scratch: Scratch | None = None) -> Array:
    return np.tanh(Z, out=out)


def _tanh_backward(dA: Array, Z: Array, A: Array, scratch: Scratch | None = None) -> None:
    tmp = np.multiply(A, A, out=_work(scratch, A))
    np.subtract(1, tmp, out=tmp)  # σ'(z) = 1 − a², rounded exactly as _tanh_derivative
    np.multiply(dA, tmp, out=dA)


def _tanh_derivative(Z: Array, A: Array) -> Array:
    return 1 - A * A


def _tanh_derivative_from_z(Z: Array) -> Array:
    # 1/cosh² z = 4e^{−2|z|}/(1 + e^{−2|z|})²: no overflow, and no 1 − a² cancellation
    e = np.exp(-2 * np.abs(Z))
    return 4 * e / ((1 + e) * (1 + e))


# logistic: σ(z) = 1/(1 + e^−z), σ'(z) = a(1 − a)
def _logistic_forward(Z: Array, out: Array, scratch: Scratch | None = None) -> Array:
    # 1/(1 + e^−z) is correct to rounding, relative to σ(z), wherever σ(z) is a normal
    # number (½(1 + tanh(z/2)), the form without exp, loses all digits below z ≈ −37).
    # e^−z overflows to ∞ only where σ(z) is subnormal or 0, and 1/(1 + ∞) = 0 is then
    # right: the overflow is expected and not warned about.
    np.negative(Z, out=out)
    if out.size and np.maximum.reduce(out, axis=None) > _exp_safe(out.dtype):
        with np.errstate(over="ignore"):  # rare: only far in the left tail
            np.exp(out, out=out)
    else:
        np.exp(out, out=out)
    np.add(out, 1, out=out)
    np.divide(1, out, out=out)
    return out


_EXP_SAFE: dict[np.dtype, float] = {}


def _exp_safe(dtype: np.dtype) -> float:
    """A bound below the largest x whose e^x is finite in ``dtype`` (found once per dtype)."""
    bound = _EXP_SAFE.get(dtype)
    if bound is None:
        bound = _EXP_SAFE[dtype] = 0.999 * float(np.log(np.finfo(dtype).max))
    return bound


def _logistic_backward(dA: Array, Z: Array, A: Array, scratch: Scratch | None = None) -> None:
    # (1 − a) first: dA·a − dA·a² would cancel catastrophically as a → 1
    tmp = np.subtract(1, A, out=_work(scratch, A))
    np.multiply(tmp, A, out=tmp)
    np.multiply(dA, tmp, out=dA)


def _logistic_derivative(Z: Array, A: Array) -> Array:
    return A * (1 - A)


def _logistic_derivative_from_z(Z: Array) -> Array:
    # σ(z) σ(−z) = e^{−|z|}/(1 + e^{−|z|})²: no 1 − a cancellation as a → 1
    e = np.exp(-np.abs(Z))
    return e / ((1 + e) * (1 + e))


# relu: σ(z) = max(z, 0), σ'(z) = [z > 0]
def _relu_forward(Z: Array, out: Array, scratch: Scratch | None = None) -> Array:
    return np.maximum(Z, 0 if scratch is None else scratch.zeros, out=out)


def _relu_backward(dA: Array, Z: Array, A: Array, scratch: Scratch | None = None) -> None:
    np.multiply(dA, _positive_mask(scratch, Z), out=dA)


def _relu_derivative(Z: Array, A: Array) -> Array:
    return (Z > 0).astype(A.dtype)


# leaky relu: σ(z) = z for z > 0, 0.01 z otherwise
def _leaky_forward(Z: Array, out: Array, scratch: Scratch | None = None) -> Array:
    # max(z, 0.01 z) picks z for z > 0 and 0.01 z otherwise
    np.multiply(Z, LEAKY_SLOPE, out=out)
    return np.maximum(Z, out, out=out)


def _leaky_backward(dA: Array, Z: Array, A: Array, scratch: Scratch | None = None) -> None:
    # σ' = 0.01 + 0.99 [z > 0]: exactly 0.01 or 1.0 after rounding, in float64 and float32
    slope = _positive_mask(scratch, Z)
    np.multiply(slope, slope.dtype.type(1 - LEAKY_SLOPE), out=slope)
    np.add(slope, slope.dtype.type(LEAKY_SLOPE), out=slope)
    np.multiply(dA, slope, out=dA)


def _leaky_derivative(Z: Array, A: Array) -> Array:
    return np.where(Z > 0, 1, LEAKY_SLOPE).astype(A.dtype)


# softplus: σ(z) = log(1 + e^z) = max(z, 0) + log1p(e^−|z|), σ'(z) = logistic(z)
def _softplus_forward(Z: Array, out: Array, scratch: Scratch | None = None) -> Array:
    tmp = np.abs(Z, out=_work(scratch, Z))
    np.negative(tmp, out=tmp)
    np.exp(tmp, out=tmp)
    np.log1p(tmp, out=tmp)
    np.maximum(Z, 0 if scratch is None else scratch.zeros, out=out)
    np.add(out, tmp, out=out)
    return out


def _softplus_backward(dA: Array, Z: Array, A: Array, scratch: Scratch | None = None) -> None:
    np.multiply(dA, _logistic_forward(Z, _work(scratch, Z)), out=dA)


def _softplus_derivative(Z: Array, A: Array) -> Array:
    return _logistic_forward(Z, np.empty_like(Z))


# exp: σ(z) = e^z, σ'(z) = e^z = a: the output layer of the Poisson cost (a log link, as
# scikit-learn's MLPRegressor(loss='poisson') has it).  e^z overflows to ∞ from z ≈ 709
# (float64; 88 in float32): that is its value, not warned about; training reports the
# infinite cost as a divergence.
def _exp_forward(Z: Array, out: Array, scratch: Scratch | None = None) -> Array:
    if Z.size and np.maximum.reduce(Z, axis=None) > _exp_safe(out.dtype):
        with np.errstate(over="ignore"):  # rare: a diverging network
            return np.exp(Z, out=out)
    return np.exp(Z, out=out)


def _exp_backward(dA: Array, Z: Array, A: Array, scratch: Scratch | None = None) -> None:
    np.multiply(dA, A, out=dA)


def _exp_derivative(Z: Array, A: Array) -> Array:
    return A.copy()


def _exp_derivative_from_z(Z: Array) -> Array:
    with np.errstate(over="ignore"):
        return np.exp(Z)


# softmax over each row (the last axis): a_i = e^{z_i} / Σ_j e^{z_j}; ∂a/∂z = diag(a) − a aᵀ
def _softmax_forward(Z: Array, out: Array, scratch: Scratch | None = None) -> Array:
    # Row reductions through the ufuncs' own reduce (no Python wrapper); they are fast
    # when Z is column-major, as a network's output layer is.
    m = np.maximum.reduce(Z, axis=-1, keepdims=True)  # (…, N, 1)
    np.subtract(Z, m, out=out)
    np.exp(out, out=out)
    np.divide(out, np.add.reduce(out, axis=-1, keepdims=True), out=out)
    return out


def _softmax_backward(dA: Array, Z: Array, A: Array, scratch: Scratch | None = None) -> None:
    # dZ = (diag(a) − a aᵀ) dA = a ⊙ (dA − ⟨dA, a⟩), one row per example
    tmp = np.multiply(dA, A, out=_work(scratch, A))
    np.subtract(dA, np.add.reduce(tmp, axis=-1, keepdims=True), out=dA)
    np.multiply(dA, A, out=dA)


def _softmax_derivative(Z: Array, A: Array) -> Array:
    raise ConfigError("softmax has no element-wise derivative; use Activation.jacobian")


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("identity", "z", "1", _identity_forward, _identity_backward,
                   lambda Z, A: np.ones_like(A)),
        Activation("tanh", "tanh(z)", "1/cosh²(z) = 1 − a²", _tanh_forward, _tanh_backward,
                   _tanh_derivative, derivative_from_z=_tanh_derivative_from_z),
        Activation("logistic", "1/(1 + e^−z)", "a(1 − a)", _logistic_forward,
                   _logistic_backward, _logistic_derivative,
                   derivative_from_z=_logistic_derivative_from_z),
        Activation("relu", "max(z, 0)", "[z > 0]", _relu_forward, _relu_backward,
                   _relu_derivative),
        Activation("leaky_relu", "max(z, 0.01 z)", "1 if z > 0 else 0.01", _leaky_forward,
                   _leaky_backward, _leaky_derivative),
        Activation("softplus", "log(1 + e^z)", "1/(1 + e^−z)", _softplus_forward,
                   _softplus_backward, _softplus_derivative),
        Activation("exp", "e^z", "e^z = a", _exp_forward, _exp_backward, _exp_derivative,
                   derivative_from_z=_exp_derivative_from_z),
        Activation("softmax", "e^z_i / Σ_j e^z_j", "diag(a) − a aᵀ", _softmax_forward,
                   _softmax_backward, _softmax_derivative, elementwise=False),
    ]
}
ALIASES = {"sigmoid": "logistic", "linear": "identity"}


def get_activation(name: str | Activation) -> Activation:
    """The activation σ called ``name``, from :data:`ACTIVATIONS`.

    Parameters
    ----------
    name : str or Activation
        ``'identity'`` (alias ``'linear'``), ``'tanh'``, ``'logistic'`` (alias
        ``'sigmoid'``), ``'relu'``, ``'leaky_relu'``, ``'softplus'``, ``'exp'`` or
        ``'softmax'``; an :class:`Activation` is returned as it is.

    Raises
    ------
    ConfigError
        If the name is unknown; the message lists the known names.
    """
    return look_up("activation", name, ACTIVATIONS, ALIASES, Activation)
