"""Optimisers that know no layers: they update one flat parameter array in place."""

from . import optimizers
from .optimizers import (
    OPTIMIZERS,
    SCHEDULES,
    SGD,
    Adam,
    ConstantLR,
    GradientDescent,
    InverseScalingLR,
    LRSchedule,
    Optimizer,
    ReduceLROnPlateau,
    get_optimizer,
    get_schedule,
    l2_penalty_grad,
    minimize_lbfgs,
)

__all__ = [*optimizers.__all__]
