"""The L2 penalty: ``P(θ) = (α / 2n) Σ_i m_i θ_i²`` and its gradient ``(α / n) m ⊙ θ``.

The mask ``m`` marks the entries that are penalised (a network's weights; its biases
are not), so the penalty knows no layers, as the optimisers do not.  ``n`` is the
number of examples whose mean cost the penalty joins: the batch for a step, the whole
training set for a full-batch solver.  With scikit-learn's ``α`` this is its
``(α / 2n) Σ_l ‖W(l)‖²``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..utils.namespace import array_namespace
from .checks import check_real

__all__ = ["L2Penalty", "l2_penalty_grad"]

Array = np.ndarray


def l2_penalty_grad(grads: Array, params: Array, mask: Array, alpha_over_n: float,
                    *, out: Array | None = None) -> Array:
    """Add the gradient of ``(α / 2n) Σ m θ²`` to ``grads`` in place: ``g += (α/n) θ ⊙ m``.

    Parameters
    ----------
    grads, params : ndarray of shape (n_params,)
        The flat gradient (updated) and parameters.
    mask : ndarray of shape (n_params,), bool or float
        True (or 1) on weights, False (or 0) on biases, which are not penalised.
    alpha_over_n : float
        ``α / n`` for a batch of ``n`` examples.
    out : ndarray, optional
        Scratch buffer shaped like ``params``; pass one to allocate nothing.  It holds
        ``(α/n) θ ⊙ m`` afterwards.

    Returns
    -------
    grads : ndarray
        The same array, for chaining.
    """
    if alpha_over_n == 0:
        return grads
    s = np.empty_like(params) if out is None else out
    np.multiply(params, params.dtype.type(alpha_over_n), out=s)
    # a multiply by the mask is faster than ``np.add(..., where=mask)``
    np.multiply(s, mask, out=s)
    grads += s
    return grads


class L2Penalty:
    """``P(θ) = (α / 2n) Σ_i m_i θ_i²`` on the entries the mask marks.

    Parameters
    ----------
    alpha : float
        ``α`` (> 0).
    mask : ndarray of shape (n_params,), bool
        The penalised entries (weights, not biases).
    """

    def __init__(self, alpha: float, mask: Array):
        self.alpha = check_real(alpha, "alpha", 0.0, low_open=True)
        self.mask = np.asarray(mask, dtype=bool)
        self._scratch: Array | None = None
        self._device_mask: Any = None  # the mask in another array library, as 0/1
        self._xp: Any = None  # that library's namespace

    def _buffer(self, params: Array) -> Array:
        s = self._scratch
        if s is None or s.dtype != params.dtype or s.shape != params.shape:
            s = self._scratch = np.empty_like(params)
        return s

    def add_to(self, grads: Array, params: Array, n: int) -> float | Array:
        """``g += ∂P/∂θ = (α/n) m ⊙ θ`` in place; returns ``P(θ)`` at these ``params``.

        ``P = ½ (α/n) m ⊙ θ · θ``, from the same products as the gradient.  For params of
        another array library P is a 0-d array on their device (not read back each step).
        """
        if not isinstance(params, np.ndarray):  # another array library: on its device
            s = self._portable_terms(params, n)
            grads += s
            return self._xp.sum(s * params) * 0.5
        s = self._buffer(params)
        l2_penalty_grad(grads, params, self.mask, self.alpha / n, out=s)
        return 0.5 * float(np.dot(s, params))

    def __getstate__(self) -> dict[str, Any]:
        # a namespace (a module) does not pickle: the next step finds it again, and the mask
        state = dict(self.__dict__)
        state["_xp"] = state["_device_mask"] = None
        return state

    def _portable_terms(self, params: Array, n: int) -> Array:
        """``(α/n) θ ⊙ m`` for params of another array library, the mask moved there once."""
        mask = self._device_mask
        if mask is None or mask.dtype != params.dtype or mask.device != params.device:
            ns = array_namespace(params)
            self._xp = ns.xp  # its sum, for the penalty's value
            mask = self._device_mask = ns.xp.asarray(self.mask, dtype=params.dtype,
                                                     device=ns.device)
        return params * (self.alpha / n) * mask

    def value(self, params: Array, n: int) -> float:
        """``P(θ) = (α / 2n) Σ m θ²``, computed as :meth:`add_to` does."""
        if not isinstance(params, np.ndarray):
            return 0.5 * float(self._xp.sum(self._portable_terms(params, n) * params))
        s = self._buffer(params)
        np.multiply(params, params.dtype.type(self.alpha / n), out=s)
        np.multiply(s, self.mask, out=s)
        return 0.5 * float(np.dot(s, params))
