"""The rows of a run held by another array library (PyTorch, CuPy), on their device.

:func:`~chainrule.train.fit` hands the engine a :class:`DeviceRows` when X and y are
arrays of another library than NumPy: the network's parameters are moved to their device
(:meth:`Network.move_to <chainrule.nn.network.Network.move_to>`), each batch is gathered
there (``xp.take``), and only the numbers the engine records (the batch's cost, its count
of correct rows) come back to the host.  It is a data source as
:class:`~chainrule.train.batches.ArrayRows` is, so the loop, the schedules, early stopping
and the divergence guard are the engine's own.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConfigError
from ..nn import Network
from ..utils.namespace import Namespace

__all__ = ["DeviceRows"]

Array = Any
CHUNK = 4096  # rows per forward pass when many rows are evaluated


class DeviceRows:
    """Validated rows ``X`` (N, n_in) and targets ``Y`` (N, n_out) of the namespace ``ns``,
    with their sample weights (a NumPy vector, or None: every weight 1)."""

    def __init__(self, X: Array, Y: Array, ns: Namespace, weights: np.ndarray | None = None):
        self.X, self.Y, self.ns = X, Y, ns
        self.weights = weights
        self._weights = None if weights is None else ns.asarray(weights)  # on the device

    def with_weights(self, weights: np.ndarray) -> DeviceRows:
        """The same rows with checked sample weights."""
        return DeviceRows(self.X, self.Y, self.ns, weights)

    @property
    def n_rows(self) -> int:
        return int(self.X.shape[0])

    def _rows(self, rows: np.ndarray | None) -> tuple[Array, Array, Array | None]:
        if rows is None:
            return self.X, self.Y, self._weights
        xp = self.ns.xp
        sel = self.ns.asarray(rows)  # (m,) indices, on the device
        w = None if self._weights is None else xp.take(self._weights, sel, axis=0)
        return xp.take(self.X, sel, axis=0), xp.take(self.Y, sel, axis=0), w

    def batch_terms(self, network: Network, rows: np.ndarray | None, *, count_correct: bool,
                    gradient: bool = True) -> tuple[float, float, int, Array | None]:
        """One batch's ``(Σ_k s_k C_k, Σ_k s_k, correct, ∂C/∂θ)``, as
        :func:`chainrule.train.batches.batch_terms` gives them for NumPy rows."""
        xp = self.ns.xp
        Xb, Yb, wb = self._rows(rows)
        c = network.forward(Xb, check=False)
        C = network.cached_costs(Yb)  # (m,)
        if wb is None:
            cost, weight = float(xp.sum(C)), C.shape[0]
        else:
            cost, weight = float(xp.sum(wb * C)), float(xp.sum(wb))
        correct = self._correct(c.A[-1], Yb) if count_correct else 0
        grad = network.backward(Yb, wb) if gradient and weight > 0 else None
        return cost, weight, correct, grad

    def _correct(self, A: Array, Y: Array) -> int:
        """Rows whose largest output is the target's (one output: both on one side of ½)."""
        xp = self.ns.xp
        if A.shape[1] == 1:
            same = (A[:, 0] >= 0.5) == (Y[:, 0] >= 0.5)
        else:
            same = xp.argmax(A, axis=1) == xp.argmax(Y, axis=1)
        return int(xp.sum(xp.astype(same, xp.int64)))

    def pass_terms(self, network: Network, rows: np.ndarray | None, *, count_correct: bool,
                   grad: np.ndarray | None = None) -> tuple[float, int]:
        """``Σ_k s_k C_k`` and the correct rows over the selected rows, in chunks; a
        gradient is not summed here (the full-batch solvers run on the host)."""
        if grad is not None:
            raise ConfigError(f"optimizer: the full-batch solvers (L-BFGS) run in SciPy on "
                              f"the host; X is {self.ns.name} on {self.ns.device}: train with "
                              "'adam', 'sgd' or 'gd', or on NumPy arrays")
        idx = np.arange(self.n_rows) if rows is None else rows
        total, correct = 0.0, 0
        for start in range(0, idx.size, CHUNK):
            cost, _, right, _ = self.batch_terms(network, idx[start:start + CHUNK],
                                                 count_correct=count_correct, gradient=False)
            total, correct = total + cost, correct + right
        return total, correct

    def weight_total(self, rows: np.ndarray | None) -> float:
        """``Σ s_k`` over the selected rows (all when None): their number without weights."""
        if self.weights is None:
            return self.n_rows if rows is None else rows.size
        return float(np.add.reduce(self.weights if rows is None else self.weights[rows]))

    def summary(self) -> dict[str, Any]:
        """Refused: a checkpoint fingerprints its data on the host."""
        raise ConfigError(f"checkpoint: checkpoints are written for NumPy data; X is "
                          f"{self.ns.name} on {self.ns.device}")
