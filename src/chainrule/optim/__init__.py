"""Solvers that know no layers: they update one flat parameter array in place.

``optimizers`` (the step rules), ``lbfgs`` (the full-batch solver), ``solvers`` (the
registry by name), ``schedules`` (learning-rate schedules), ``penalty`` (L2) and
``checks`` (hyperparameter checks).
"""

from . import checks, lbfgs, optimizers, penalty, schedules, solvers
from .checks import (
    check_bool,
    check_choice,
    check_fraction,
    check_int,
    check_kwargs,
    check_rate,
    check_real,
)
from .lbfgs import LBFGS, minimize_lbfgs
from .optimizers import OPTIMIZERS, SGD, Adam, GradientDescent, Optimizer, Solver, get_optimizer
from .penalty import L2Penalty, l2_penalty_grad
from .schedules import (
    SCHEDULES,
    ConstantLR,
    DivideOnPlateau,
    EpochInverseScalingLR,
    InverseScalingLR,
    LRSchedule,
    ReduceLROnPlateau,
    get_schedule,
)
from .solvers import SOLVERS, make_solver, solver_class, solver_names

__all__ = [*checks.__all__, *lbfgs.__all__, *optimizers.__all__, *penalty.__all__,
           *schedules.__all__, *solvers.__all__]
