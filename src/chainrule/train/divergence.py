"""Divergence: the one place where a run is found to diverge, and undone.

A run diverges when a cost or a weight can no longer be trusted.  Today that means
not finite: a NaN or an infinity (:meth:`DivergenceGuard.cost_ok`,
:meth:`DivergenceGuard.weights_ok`); a runaway that stays finite is a test to add
there, and every caller follows.

The guard keeps the last weights known to be good, so that a diverged run can be put
back: the weights before training, then those of each epoch's end once the next
batch's cost, computed at them, was seen to be finite (an epoch's end weights wait
as *pending* until then).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import DivergenceError

__all__ = ["DivergenceGuard"]

Array = np.ndarray


class DivergenceGuard:
    """Detects divergence and keeps the weights to go back to.

    Parameters
    ----------
    params : ndarray
        The weights at the start of the run (copied: the first good ones).
    epoch : int
        The epochs completed before the run.
    """

    def __init__(self, params: Array, epoch: int):
        self.good = params.copy()
        self.good_epoch = epoch
        self._spare = np.empty_like(self.good)
        self.pending_epoch: int | None = None  # an epoch end's weights wait in _spare

    @staticmethod
    def cost_ok(cost: float) -> bool:
        """Whether a cost can be trusted: finite."""
        return math.isfinite(cost)

    @staticmethod
    def weights_ok(params: Array) -> bool:
        """Whether the weights can be trusted: all finite."""
        # a finite sum means every weight is finite; only an overflowing sum needs a closer look
        return math.isfinite(float(np.add.reduce(params))) or bool(np.isfinite(params).all())

    def epoch_end(self, params: Array, epoch: int) -> None:
        """Keep the weights of ``epoch``'s end, pending until a cost at them is seen."""
        np.copyto(self._spare, params)
        self.pending_epoch = epoch

    def confirm(self) -> None:
        """A finite cost was computed at the pending weights: they become the good ones."""
        if self.pending_epoch is not None:
            self.good, self._spare = self._spare, self.good
            self.good_epoch, self.pending_epoch = self.pending_epoch, None

    def diverged(self, params: Array, what: str, *, epoch: int, batch: int | None,
                 learning_rate: float | None) -> DivergenceError:
        """Put the good weights back into ``params``; the error to raise, saying ``what``.

        The message names the epoch, the batch and the weights kept, and advises a
        smaller learning rate (for a solver without one: scaling the data).
        """
        params[...] = self.good
        e = self.good_epoch
        kept = (f"The weights at the end of epoch {e}, the last with a finite cost, are kept"
                if e else "The weights from before training are kept")
        advice = "scale the data" if learning_rate is None else \
            f"try a smaller learning rate (now {learning_rate:g})"
        return DivergenceError(f"training diverged: {what}; {advice}. {kept}.", epoch=epoch,
                               batch=batch, kept_epoch=e)
