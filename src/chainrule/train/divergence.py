"""Divergence: the one place where a run is found to diverge, and undone.

A run diverges when a cost or a weight can no longer be trusted: one is not finite
(a NaN or an infinity: :meth:`DivergenceGuard.cost_ok`, :meth:`DivergenceGuard.weights_ok`),
or the run has run away while staying finite (:meth:`DivergenceGuard.weights_problem`, at
each epoch's end): a weight beyond the square root of the dtype's largest number (its
square, in a norm or a penalty, would overflow), or weights grown a millionfold from the
start of the run while the cost rose above its first value.  A classifier trained with
η = 1e12 has weights of 1e12 and a cost of 1e12 after one epoch, both finite: it is
caught there, and given back the weights it started from.

The guard keeps the last weights known to be good, so that a diverged run can be put
back: the weights before training, then those of each epoch's end once the next
batch's cost, computed at them, was seen to be finite (an epoch's end weights wait
as *pending* until then).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import DivergenceError
from ..utils.namespace import array_namespace, assign, is_numpy, namespace_dtype, to_numpy

__all__ = ["DivergenceGuard"]

Array = np.ndarray

# How much the weights may grow from the start of a run, while the cost rises, before the
# run is said to run away (a millionfold: a network trained on standardised inputs never
# needs it; one whose inputs are a millionth of a unit may, but then its cost falls).
RUNAWAY_GROWTH = 1e6


def _largest(params: Array) -> float:
    """``max_i |θ_i|`` (NaN if any is NaN), in two reductions that allocate nothing."""
    if params.shape[0] == 0:  # params is flat; .shape, not .size: a method of torch's
        return 0.0
    if isinstance(params, np.ndarray):
        return max(float(params.max()), -float(params.min()))
    xp = array_namespace(params).xp  # another library: the standard's functions, no methods
    return max(float(xp.max(params)), -float(xp.min(params)))


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
        self.good = to_numpy(params).copy()  # on the host, whatever the params' device
        self.good_epoch = epoch
        self._spare = np.empty_like(self.good)
        self.pending_epoch: int | None = None  # an epoch end's weights wait in _spare
        self.start_size = _largest(params)  # max |θ| when the run starts
        self.start_cost: float | None = None  # the first cost the run computes (at the start)
        self._ceiling = math.sqrt(float(np.finfo(namespace_dtype(params)).max))
        # max |θ_i| ≤ ‖θ‖: a sum of squares θ·θ at most a quarter of the smaller bound's
        # square clears every weight at once (the quarter covers the sum's rounding)
        bound = min(self._ceiling, RUNAWAY_GROWTH * (1.0 + self.start_size))
        self._clear = 0.25 * bound * bound

    def cost_ok(self, cost: float, n: int = 1) -> bool:
        """Whether a cost (the sum over ``n`` examples) can be trusted: finite.  The first
        one, as a mean, is kept as the cost at the start."""
        ok = math.isfinite(cost)
        if ok and self.start_cost is None:
            self.start_cost = cost / max(1, n)
        return ok

    def weights_problem(self, params: Array, cost: float) -> str | None:
        """What is wrong with the weights at an epoch's end, whose cost was ``cost``; None
        if nothing: non-finite, too large to square, or run away (module docstring)."""
        # One BLAS pass settles the usual case: this runs every epoch, and a 1-1 network's
        # epoch is one 12 µs step (vdot: ~1 µs, the two reductions of _largest: ~3.5 µs).
        # NaN or ∞ fail it, as does an overflowing sum (∞: np.vdot, unlike np.dot, warns
        # of no overflow), and go on to the exact checks.
        if is_numpy(params) and float(np.vdot(params, params)) <= self._clear:
            return None
        size = _largest(params)
        if not math.isfinite(size):
            return "the weights became non-finite"
        ceiling = self._ceiling
        if size > ceiling:
            return (f"the weights grew to {size:.3g}, beyond {ceiling:.3g} (their squares "
                    "overflow)")
        start = self.start_cost
        if start is not None and size > RUNAWAY_GROWTH * (1.0 + self.start_size) \
                and cost > start:
            return (f"the weights ran away, from at most {self.start_size:.3g} to "
                    f"{size:.3g}, while the cost rose from {start:.4g} to {cost:.4g}")
        return None

    @staticmethod
    def weights_ok(params: Array) -> bool:
        """Whether the weights can be trusted: all finite."""
        # a finite sum means every weight is finite; only an overflowing sum needs a closer look
        total = params.sum() if isinstance(params, np.ndarray) else \
            array_namespace(params).xp.sum(params)
        return math.isfinite(float(total)) or bool(np.isfinite(to_numpy(params)).all())

    def epoch_end(self, params: Array, epoch: int) -> None:
        """Keep the weights of ``epoch``'s end, pending until a cost at them is seen."""
        np.copyto(self._spare, to_numpy(params))
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
        smaller learning rate (for a solver without one, or when not even the cost at the
        start was finite: scaling the data, whose values are then too large to square).
        """
        assign(params, self.good)
        e = self.good_epoch
        kept = (f"The weights at the end of epoch {e}, the last with a finite cost, are kept"
                if e else "The weights from before training are kept")
        if self.start_cost is None and not e:  # no step was taken: the data is to blame
            advice = ("not even the cost at the starting weights is finite: the data's values "
                      "are too large for it (scale the targets and inputs)")
        elif learning_rate is None:
            advice = "scale the data"
        else:
            advice = f"try a smaller learning rate (now {learning_rate:g})"
        return DivergenceError(f"training diverged: {what}; {advice}. {kept}.", epoch=epoch,
                               batch=batch, kept_epoch=e)
