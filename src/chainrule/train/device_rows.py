"""The rows of a run held by another array library (PyTorch, CuPy, ...), on their device.

:func:`~chainrule.train.fit` hands the engine a :class:`DeviceRows` when X and y are
arrays of another library than NumPy: the network's parameters are moved to their device
(:meth:`Network.move_to <chainrule.nn.network.Network.move_to>`), each batch is gathered
there (``xp.take``), and only the numbers the engine records (the batch's cost, its count
of correct rows) come back to the host.  It is a data source as
:class:`~chainrule.train.batches.ArrayRows` is, so the loop, the schedules, early stopping
and the divergence guard are the engine's own.

Nothing is read back from the device at each step: a read (``float()`` of a device array)
and a copy of indices from the host each wait until the device has done the work queued
before them, which on a GPU would drain its queue every step.  A batch's cost and count
of correct rows stay 0-d arrays on the device, which the engine reads together once an
epoch (:meth:`DeviceRows.read`); an epoch's order of rows is copied to the device once,
and each batch takes a slice of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..nn import Network
from ..utils.namespace import Namespace, to_numpy

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
        self._order: tuple[np.ndarray, Array] | None = None  # host indices, their device copy

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
        sel = self._on_device(rows)  # (m,) indices, on the device
        w = None if self._weights is None else xp.take(self._weights, sel, axis=0)
        return xp.take(self.X, sel, axis=0), xp.take(self.Y, sel, axis=0), w

    def _on_device(self, rows: np.ndarray) -> Array:
        """``rows`` on the device: a slice of the device's copy of the array they are a
        slice of (an epoch's order, copied once), or a copy of their own."""
        base = rows.base
        if not (isinstance(base, np.ndarray) and base.ndim == 1 and rows.ndim == 1
                and base.dtype == rows.dtype and rows.strides == base.strides):
            return self.ns.asarray(rows)
        if self._order is None or self._order[0] is not base:
            self._order = (base, self.ns.asarray(base))  # the engine never changes it in place
        start = (rows.ctypes.data - base.ctypes.data) // rows.itemsize
        return self._order[1][start:start + rows.shape[0]]

    def read(self, values: Sequence[Any]) -> list[float]:
        """Numbers, some of them 0-d arrays on the device, as floats: the device's in one
        copy to the host (float64), one wait for the device instead of one each."""
        xp = self.ns.xp
        out = [v if isinstance(v, int | float) else None for v in values]
        held = [i for i, v in enumerate(out) if v is None]
        if held:
            host = to_numpy(xp.stack([xp.astype(values[i], xp.float64) for i in held]))
            for i, v in zip(held, host.tolist()):
                out[i] = v
        return out  # type: ignore[return-value]

    def batch_terms(self, network: Network, rows: np.ndarray | None, *, count_correct: bool,
                    gradient: bool = True) -> tuple[Array, float, Array | int, Array | None]:
        """One batch's ``(Σ_k s_k C_k, Σ_k s_k, correct, ∂C/∂θ)``, as
        :func:`chainrule.train.batches.batch_terms` gives them for NumPy rows, but the
        cost and the count as 0-d arrays on the device (see :meth:`read`); ``Σ s_k`` is
        summed on the host, where the weights are too."""
        xp = self.ns.xp
        Xb, Yb, wb = self._rows(rows)
        c = network.forward(Xb, check=False)
        C = network.cached_costs(Yb)  # (m,)
        cost = xp.sum(C) if wb is None else xp.sum(wb * C)
        weight = self.weight_total(rows)
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
        return xp.sum(xp.astype(same, xp.int64))  # on the device

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
            total, correct = total + cost, correct + right  # on the device
        total, correct = self.read([total, correct])
        return total, int(correct)

    def weight_total(self, rows: np.ndarray | None) -> float:
        """``Σ s_k`` over the selected rows (all when None): their number without weights."""
        if self.weights is None:
            return self.n_rows if rows is None else rows.size
        return float(np.add.reduce(self.weights if rows is None else self.weights[rows]))

    def summary(self) -> dict[str, Any]:
        """Refused: a checkpoint fingerprints its data on the host."""
        raise ConfigError(f"checkpoint: checkpoints are written for NumPy data; X is "
                          f"{self.ns.name} on {self.ns.device}")
