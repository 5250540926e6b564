"""The registry of solvers: every way of training a network, by name.

Each entry is a solver class whose attributes say what it is (:class:`Solver`): whether
it takes steps on mini-batches or minimises the full-batch cost, whether it has a
learning rate, whether its state can be checkpointed, how it is described.  The
training engine, the estimators and the command line ask these questions here; no
other module tests a solver's name.

========  =================================  ==========  =============  ============
name      solver                             full batch  learning rate  checkpoints
========  =================================  ==========  =============  ============
gd        gradient descent ``θ ← θ − η g``   no          yes            yes
sgd       SGD with momentum (Nesterov)       no          yes            yes
adam      Adam                               no          yes            yes
lbfgs     L-BFGS (SciPy's L-BFGS-B)          yes         no             no
========  =================================  ==========  =============  ============

A new optimiser is a subclass of :class:`~chainrule.optim.optimizers.Optimizer` with an
``_update`` method, added to the tuple below.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from .checks import check_kwargs
from .lbfgs import LBFGS
from .optimizers import SGD, Adam, GradientDescent, Optimizer, Solver

__all__ = ["SOLVERS", "make_solver", "solver_class", "solver_names"]

SOLVERS: dict[str, type[Solver]] = {cls.name: cls for cls in (GradientDescent, SGD, Adam, LBFGS)}


def _key(name: str) -> str:
    """Names are matched without case, hyphens or underscores ('L-BFGS' is 'lbfgs')."""
    return name.lower().replace("-", "").replace("_", "")


_BY_KEY = {_key(n): cls for cls in SOLVERS.values() for n in (cls.name, *cls.aliases)}


def solver_names() -> list[str]:
    """Every name a solver is known by, aliases after their solver's name."""
    return [n for cls in SOLVERS.values() for n in (cls.name, *cls.aliases)]


def solver_class(name: str) -> type[Solver]:
    """The solver class called ``name`` (or one of its aliases).

    Raises
    ------
    ConfigError
        For an unknown name, listing the known ones.
    """
    cls = _BY_KEY.get(_key(name)) if isinstance(name, str) else None
    if cls is None:
        raise ConfigError(f"optimizer: expected one of {', '.join(solver_names())}, "
                          f"got {name!r}")
    return cls


def make_solver(solver: str | Solver, learning_rate: float | None = None,
                **options: Any) -> Solver:
    """A ready solver: ``solver`` itself if it is one, else one built by name.

    ``learning_rate`` sets ``η`` of solvers that have one (a built solver's rate is
    replaced) and is ignored by those that do not (L-BFGS); ``options`` go to the
    constructor, and unknown ones raise :class:`ConfigError` naming them.
    """
    if isinstance(solver, Solver):
        if learning_rate is not None and isinstance(solver, Optimizer):
            solver.learning_rate = float(learning_rate)
        return solver
    cls = solver_class(solver)
    kw = dict(options)
    if learning_rate is not None and cls.has_learning_rate:
        kw["learning_rate"] = learning_rate
    check_kwargs(cls, kw, "optimizer")
    return cls(**kw)
