"""Learning-rate schedules: rules that change an optimiser's ``η`` while training runs.

The training engine tells a schedule three things, in this order at an epoch's end:

* :meth:`LRSchedule.on_step` after every step (``optimizer.t`` already counts it);
* the schedule itself, ``schedule(epoch, score, optimizer, n)``, at the end of
  every epoch of ``n`` examples, with the score early stopping watches (the validation
  cost, else the training cost);
* :meth:`LRSchedule.on_plateau` when that score has stalled (no improvement by ``tol``
  for ``patience`` epochs): a schedule that lowers ``η`` there returns True and
  training goes on; otherwise early stopping (if on) ends the run.

chainrule's own schedules change ``η`` per step (``'invscaling'``) or watch the cost
themselves (``'adaptive'``); two more follow scikit-learn's ``MLP`` exactly, which counts
examples and acts between epochs (``'invscaling_by_epoch'``) and lowers ``η`` when
training would stop (``'divide_on_plateau'``).
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import ConfigError
from .checks import check_int, check_kwargs, check_rate, check_real
from .optimizers import Optimizer

__all__ = [
    "SCHEDULES",
    "ConstantLR",
    "DivideOnPlateau",
    "EpochInverseScalingLR",
    "InverseScalingLR",
    "LRSchedule",
    "ReduceLROnPlateau",
    "get_schedule",
]

State = dict[str, float | int]


class LRSchedule:
    """Base class: every hook does nothing, so ``η`` stays as it is.

    Attributes
    ----------
    name : str
        The name :func:`get_schedule` knows it by.
    dynamic : tuple of str
        The entries of :meth:`state_dict` that change during training; the others are
        its options (:meth:`options`), which a resumed run must share.
    """

    name = "schedule"
    dynamic: tuple[str, ...] = ()
    starts_from_learning_rate = False  # True: built with the optimiser's η as η₀

    def __call__(self, epoch: int, cost: float | None, optimizer: Optimizer,
                 examples: int = 0) -> None:
        """End of ``epoch`` (of ``examples`` examples) with score ``cost`` (None: not computed)."""

    def on_step(self, optimizer: Optimizer) -> None:
        """After ``optimizer.step``; ``optimizer.t`` already counts that step."""

    def on_plateau(self, optimizer: Optimizer) -> bool:
        """The watched score has stalled; return True if ``η`` was lowered instead of stopping."""
        return False

    def state_dict(self) -> State:
        """What :meth:`load_state_dict` needs to continue exactly."""
        return {}

    def options(self) -> State:
        """The options: :meth:`state_dict` without the entries that change in training."""
        return {k: v for k, v in self.state_dict().items() if k not in self.dynamic}

    def load_state_dict(self, state: dict) -> None:
        """Restore the result of :meth:`state_dict`."""

    def reset(self) -> None:
        """Forget what was learned during training."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.options().items())
        return f"{type(self).__name__}({args})"


class ConstantLR(LRSchedule):
    """Keep ``η`` as it is (scikit-learn's ``learning_rate='constant'``)."""

    name = "constant"


class InverseScalingLR(LRSchedule):
    """Decay ``η`` as an inverse power of the step count, step by step.

    Step ``k`` (1-based) uses ``η_k = η₀ / k^power_t``: after step ``t`` the
    rate is set to ``η₀ / (t + 1)^power_t`` for the next one.  (scikit-learn's
    ``'invscaling'`` counts examples and changes ``η`` between epochs only:
    :class:`EpochInverseScalingLR`.)

    Parameters
    ----------
    initial : float
        ``η₀`` (> 0), normally the optimiser's learning rate.
    power_t : float, default 0.5
        Exponent (>= 0).
    """

    name = "invscaling"
    starts_from_learning_rate = True

    def __init__(self, initial: float, power_t: float = 0.5):
        self.initial = check_rate(initial, "initial")
        self.power_t = check_real(power_t, "power_t", 0.0)

    def rate(self, t: int) -> float:
        """``η₀ / (t + 1)^power_t``, the rate for the step after ``t`` steps."""
        return self.initial / (t + 1) ** self.power_t

    def on_step(self, optimizer: Optimizer) -> None:
        optimizer.learning_rate = self.rate(optimizer.t)

    def __call__(self, epoch: int, cost: float | None, optimizer: Optimizer,
                 examples: int = 0) -> None:
        # idempotent: gives the same rate as on_step did, so calling both is safe
        optimizer.learning_rate = self.rate(optimizer.t)

    def state_dict(self) -> State:
        return {"initial": self.initial, "power_t": self.power_t}

    def load_state_dict(self, state: dict) -> None:
        fresh = InverseScalingLR(state["initial"], state["power_t"])
        self.initial, self.power_t = fresh.initial, fresh.power_t


class EpochInverseScalingLR(LRSchedule):
    """scikit-learn's ``'invscaling'``: ``η = η₀ / (s + 1)^power_t`` between epochs.

    ``s`` counts the examples trained on so far (scikit-learn's ``t_``): each epoch's end
    adds its examples to ``s`` and sets the rate for the next epoch.

    Parameters
    ----------
    initial : float
        ``η₀`` (> 0).
    power_t : float, default 0.5
        Exponent (>= 0).
    seen : int, default 0
        Examples already trained on (a continued fit starts from its count).
    """

    name = "invscaling_by_epoch"
    dynamic = ("seen",)
    starts_from_learning_rate = True

    def __init__(self, initial: float, power_t: float = 0.5, seen: int = 0):
        self.initial = check_rate(initial, "initial")
        self.power_t = check_real(power_t, "power_t", 0.0)
        self.seen = check_int(seen, "seen", low=0)

    def __call__(self, epoch: int, cost: float | None, optimizer: Optimizer,
                 examples: int = 0) -> None:
        self.seen += examples
        optimizer.learning_rate = self.initial / (self.seen + 1) ** self.power_t

    def state_dict(self) -> State:
        return {"initial": self.initial, "power_t": self.power_t, "seen": self.seen}

    def load_state_dict(self, state: dict) -> None:
        fresh = EpochInverseScalingLR(state["initial"], state["power_t"], state["seen"])
        self.initial, self.power_t, self.seen = fresh.initial, fresh.power_t, fresh.seen


class ReduceLROnPlateau(LRSchedule):
    """Multiply ``η`` by ``factor`` when the score stops falling, counting epochs itself.

    An epoch *improves* when ``cost <= best − tol``, ``best`` being the lowest
    cost so far.  After ``patience`` consecutive epochs without improvement,
    ``η ← max(η · factor, min_lr)`` and the count starts again.  When a
    reduction is due but ``η`` is already at ``min_lr``, ``exhausted``
    becomes True.  A NaN cost counts as no improvement.

    Parameters
    ----------
    factor : float, default 0.2
        Multiplier in (0, 1).
    patience : int, default 2
        Epochs without improvement before a reduction (>= 1).
    tol : float, default 1e-4
        The least decrease that counts as improvement (>= 0).
    min_lr : float, default 1e-6
        ``η`` never goes below this (>= 0).
    """

    name = "adaptive"
    dynamic = ("best", "n_bad_epochs", "exhausted")

    def __init__(self, factor: float = 0.2, patience: int = 2, tol: float = 1e-4,
                 min_lr: float = 1e-6):
        self.factor = check_real(factor, "factor", 0.0, 1.0, low_open=True, high_open=True)
        self.patience = check_int(patience, "patience")
        self.tol = check_real(tol, "tol", 0.0)
        self.min_lr = check_real(min_lr, "min_lr", 0.0)
        self.reset()

    def reset(self) -> None:
        self.best = math.inf
        self.n_bad_epochs = 0
        self.exhausted = False

    def __call__(self, epoch: int, cost: float | None, optimizer: Optimizer,
                 examples: int = 0) -> None:
        if cost is None:
            return
        cost = float(cost)
        if cost <= self.best - self.tol:
            self.n_bad_epochs = 0
        else:
            self.n_bad_epochs += 1
        if cost < self.best:
            self.best = cost
        if self.n_bad_epochs >= self.patience:
            self.n_bad_epochs = 0
            if optimizer.learning_rate <= self.min_lr:
                self.exhausted = True
            else:
                optimizer.learning_rate = max(optimizer.learning_rate * self.factor, self.min_lr)

    def state_dict(self) -> State:
        return {
            "factor": self.factor, "patience": self.patience, "tol": self.tol,
            "min_lr": self.min_lr, "best": self.best, "n_bad_epochs": self.n_bad_epochs,
            "exhausted": int(self.exhausted),
        }

    def load_state_dict(self, state: dict) -> None:
        fresh = ReduceLROnPlateau(state["factor"], state["patience"], state["tol"],
                                  state["min_lr"])
        self.factor, self.patience = fresh.factor, fresh.patience
        self.tol, self.min_lr = fresh.tol, fresh.min_lr
        self.best = float(state["best"])
        self.n_bad_epochs = check_int(state["n_bad_epochs"], "n_bad_epochs", low=0)
        self.exhausted = bool(state["exhausted"])


class DivideOnPlateau(LRSchedule):
    """scikit-learn's ``'adaptive'``: divide ``η`` when training would stop, until it is small.

    When the score early stopping watches has stalled: if ``η <= min_lr`` training
    stops; else ``η ← η / divisor`` and the count of epochs without improvement starts
    again.

    Parameters
    ----------
    divisor : float, default 5.0
        ``η`` is divided by this (> 1).
    min_lr : float, default 1e-6
        At or below this rate a stall stops training.
    """

    name = "divide_on_plateau"

    def __init__(self, divisor: float = 5.0, min_lr: float = 1e-6):
        self.divisor = check_real(divisor, "divisor", 1.0, low_open=True)
        self.min_lr = check_real(min_lr, "min_lr", 0.0)

    def on_plateau(self, optimizer: Optimizer) -> bool:
        if optimizer.learning_rate <= self.min_lr:
            return False
        optimizer.learning_rate /= self.divisor
        return True

    def state_dict(self) -> State:
        return {"divisor": self.divisor, "min_lr": self.min_lr}

    def load_state_dict(self, state: dict) -> None:
        fresh = DivideOnPlateau(state["divisor"], state["min_lr"])
        self.divisor, self.min_lr = fresh.divisor, fresh.min_lr


SCHEDULES: dict[str, type[LRSchedule]] = {
    "constant": ConstantLR,
    "invscaling": InverseScalingLR,
    "adaptive": ReduceLROnPlateau,
    "plateau": ReduceLROnPlateau,
    "invscaling_by_epoch": EpochInverseScalingLR,
    "divide_on_plateau": DivideOnPlateau,
}


def get_schedule(name: str, optimizer_lr: float, **kw: Any) -> LRSchedule:
    """Build a schedule by name (see :data:`SCHEDULES`; ``'plateau'`` is ``'adaptive'``).

    ``optimizer_lr`` is ``η₀`` of the inverse-scaling schedules; the others act on
    whatever rate the optimiser holds.  Unknown names or options raise
    :class:`ConfigError`.
    """
    key = name.lower() if isinstance(name, str) else None
    if key not in SCHEDULES:
        raise ConfigError(f"learning_rate schedule: expected one of {', '.join(SCHEDULES)}, "
                          f"got {name!r}")
    cls = SCHEDULES[key]
    check_kwargs(cls, kw, "schedule")
    if cls.starts_from_learning_rate:
        return cls(optimizer_lr, **kw)  # type: ignore[call-arg]
    return cls(**kw)
