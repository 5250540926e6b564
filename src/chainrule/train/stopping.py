"""Early stopping: watch a score for improvement, keep the best weights, say when it stalls.

The score is lower-is-better: the validation cost, the training cost, or whatever the
caller watches (scikit-learn's estimators watch minus the validation accuracy or R²).
Two rules say what counts as an improvement by ``tol``:

* ``'tol'`` (chainrule's, and Keras's): an epoch improves when ``score < bar − tol``,
  where ``bar`` is the score of the last improvement (a fall by less than ``tol`` does
  not move it);
* ``'min'`` (scikit-learn's): an epoch improves when ``score <= best − tol``, against
  the lowest score so far.

After ``patience`` epochs in a row without improvement the score has *stalled*. Under
both rules ``best`` (and the weights kept) is the lowest score so far: a new lowest
score by less than ``tol`` is kept as the best without counting as an improvement.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..optim.checks import check_bool, check_choice, check_int, check_real
from ..utils.namespace import assign, to_numpy

__all__ = ["EarlyStopping"]

Array = np.ndarray
RULES = ("tol", "min")


class EarlyStopping:
    """The state of early stopping: the best score, the epochs without improvement.

    Parameters
    ----------
    tol : float, default 1e-4
        The least decrease of the score that counts as an improvement (>= 0).
    patience : int or math.inf, default 10
        Epochs in a row without improvement after which the score has stalled.
    rule : {'tol', 'min'}, default 'tol'
        What counts as an improvement and what ``best`` is (see the module).
    stop : bool, default True
        Whether a stall ends training (else the best is only tracked).
    restore_best : bool, default False
        Keep a copy of the weights at the best score, to put back when training ends.

    Attributes
    ----------
    best : float
        The lowest score so far (``inf`` before the first).
    best_epoch : int or None
        The epoch of ``best``, counted from 1 (as :class:`~chainrule.train.History`
        counts epochs).
    bar : float
        The score an improvement must beat by ``tol`` (see the module).
    bad_epochs : int
        Epochs in a row without improvement.
    stalled_at : int or None
        The last epoch at which the score had stalled.
    best_params : ndarray or None
        The weights at ``best`` (with ``restore_best``).
    """

    def __init__(self, tol: float = 1e-4, patience: int | float = 10, *, rule: str = "tol",
                 stop: bool = True, restore_best: bool = False):
        self.tol = check_real(tol, "tol", 0.0)
        if not (isinstance(patience, float) and math.isinf(patience) and patience > 0):
            patience = check_int(patience, "patience")
        self.patience = patience
        self.rule = check_choice(rule, "rule", RULES)
        self._running_min = self.rule == "min"
        self.stop = check_bool(stop, "early_stopping")
        self.restore_best = check_bool(restore_best, "restore_best")
        self.best = math.inf
        self.bar = math.inf  # the score an improvement must beat by tol
        self.best_epoch: int | None = None
        self.bad_epochs = 0
        self.stalled_at: int | None = None
        self.best_params: Array | None = None

    def update(self, epoch: int, score: float, params: Array) -> bool:
        """Note ``epoch``'s score (NaN is no improvement); True when ``best`` changed.

        A new best keeps a copy of ``params`` with ``restore_best``.
        """
        if self._running_min:
            improved = score <= self.bar - self.tol
        else:
            improved = score < self.bar - self.tol
        new_best = score < self.best  # implied by improved: best >= bar − tol
        if improved or (new_best and self._running_min):
            self.bar = float(score)
        self.bad_epochs = 0 if improved else self.bad_epochs + 1
        if self.bad_epochs >= self.patience:
            self.stalled_at = epoch
        if new_best:
            self.best, self.best_epoch = float(score), epoch
            if self.restore_best:
                if self.best_params is None or self.best_params.shape != params.shape:
                    self.best_params = to_numpy(params).copy()  # on the host
                else:
                    np.copyto(self.best_params, to_numpy(params))
        return new_best

    @property
    def stalled(self) -> bool:
        """No improvement for ``patience`` epochs in a row."""
        return self.bad_epochs >= self.patience

    def restart(self) -> None:
        """Start counting epochs without improvement again (after η was lowered)."""
        self.bad_epochs = 0

    def restore(self, params: Array) -> bool:
        """Put the best weights into ``params``; False if none were kept."""
        if self.best_params is None:
            return False
        assign(params, self.best_params)
        return True

    def state_dict(self) -> dict[str, Any]:
        """The changing state, in the trainer's checkpoint layout."""
        return {"best_score": self.best, "bar_score": self.bar, "bad_epochs": self.bad_epochs,
                "best_params": None if self.best_params is None else self.best_params.copy()}

    def load_state_dict(self, state: dict[str, Any], best_epoch: int | None) -> None:
        """Restore :meth:`state_dict` (``best_epoch`` comes from the history)."""
        bad = state["bad_epochs"]
        if isinstance(bad, bool) or not isinstance(bad, int | np.integer) or bad < 0:
            raise ConfigError(f"bad_epochs: expected an integer >= 0, got {bad!r}")
        self.best, self.bad_epochs = float(state["best_score"]), int(bad)
        self.bar = float(state.get("bar_score", self.best))  # older states: bar was best
        best = state["best_params"]
        self.best_params = None if best is None else np.array(best)
        self.best_epoch = best_epoch
