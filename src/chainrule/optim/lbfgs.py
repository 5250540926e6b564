"""L-BFGS: the full-batch solver, SciPy's L-BFGS-B on the flat parameter vector.

Where the step optimisers of :mod:`chainrule.optim.optimizers` turn one mini-batch's
gradient into a step, L-BFGS minimises the full-batch cost ``C(θ)`` itself: it asks
for ``C`` and ``∂C/∂θ`` at points of its choosing, builds a curvature estimate from
the last gradients and finds each step's length by a line search, so it has no
learning rate.  This is scikit-learn's ``solver='lbfgs'``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import DataError, ShapeError
from .checks import check_int, check_rate
from .optimizers import Solver

__all__ = ["LBFGS", "minimize_lbfgs"]

Array = np.ndarray


class LBFGS(Solver):
    """The L-BFGS solver: minimises a full-batch cost with :func:`minimize_lbfgs`.

    Its state (SciPy's curvature pairs) lives inside one SciPy call, so a run cannot
    be checkpointed and resumed.

    Parameters
    ----------
    max_fun : int, default 15000
        Most evaluations of ``C`` and ``∂C/∂θ`` in one run (scikit-learn's ``max_fun``).
    """

    name = "lbfgs"
    label = "L-BFGS"
    full_batch = True
    has_learning_rate = False
    checkpointable = False
    hyperparameters = ("max_fun",)

    def __init__(self, max_fun: int = 15000):
        self.max_fun = check_int(max_fun, "max_fun")

    def __repr__(self) -> str:
        return f"LBFGS(max_fun={self.max_fun!r})"

    def minimize(self, fun_and_grad: Callable[[Array], tuple[float, Array]], x0: Array, *,
                 max_iter: int, tol: float,
                 callback: Callable[[Any], bool | None] | None = None) -> Any:
        """:func:`minimize_lbfgs` with this solver's ``max_fun``; ``x0`` ends at the answer."""
        return minimize_lbfgs(fun_and_grad, x0, max_iter=max_iter, tol=tol,
                              max_fun=self.max_fun, callback=callback)


def minimize_lbfgs(fun_and_grad: Callable[[Array], tuple[float, Array]], x0: Array, *,
                   max_iter: int = 200, tol: float = 1e-4, max_fun: int = 15000,
                   callback: Callable[[Any], bool | None] | None = None) -> Any:
    """Minimise ``C(θ)`` with SciPy's L-BFGS-B, starting from and ending in ``x0``.

    SciPy works in float64.  The conversion happens only at its boundary: each
    point SciPy asks for is written into ``x0`` itself (cast to ``x0``'s dtype)
    and ``fun_and_grad(x0)`` is called, so when ``x0`` is a network's
    ``params`` the network already holds the point and ``fun_and_grad`` may
    ignore its argument; the gradient is copied to float64 (it may be a
    buffer that the next evaluation overwrites).  At the end the solution
    ``result.x`` is written into ``x0``.  With float32 parameters the function
    is evaluated at float32-rounded points, so very small ``tol`` may end in a
    line-search failure rather than convergence.

    Parameters
    ----------
    fun_and_grad : callable ``θ -> (C, ∂C/∂θ)``
        Cost and gradient at ``θ`` (gradient of ``x0``'s size).
    x0 : ndarray of shape (n,)
        Writable float vector: the starting point, overwritten with the answer.
    max_iter : int, default 200
        Most iterations (SciPy's ``maxiter``).
    tol : float, default 1e-4
        Stop when the largest gradient component is below this (SciPy's ``gtol``).
    max_fun : int, default 15000
        Most evaluations of ``fun_and_grad`` (SciPy's ``maxfun``).
    callback : callable, optional
        Called after each iteration with an ``OptimizeResult`` holding ``x``
        (``x0``, with the iterate written in), ``fun`` and ``nit``; returning
        True stops the run.

    Returns
    -------
    scipy.optimize.OptimizeResult
        SciPy's result, message and counts unchanged (``x`` in float64).
    """
    from scipy.optimize import OptimizeResult, minimize

    if not isinstance(x0, np.ndarray) or x0.dtype.kind != "f":
        raise DataError(f"x0: expected a float ndarray, got {type(x0).__name__}")
    if x0.ndim != 1:
        raise ShapeError(f"x0: expected a 1-D vector, got shape {x0.shape}")
    if not x0.flags.writeable:
        raise DataError("x0: expected a writable array (the answer is written into it)")
    max_iter = check_int(max_iter, "max_iter")
    max_fun = check_int(max_fun, "max_fun")
    tol = check_rate(tol, "tol")

    def fun(theta: Array) -> tuple[float, Array]:
        x0[...] = theta
        cost, grad = fun_and_grad(x0)
        grad64 = np.array(grad, dtype=np.float64, copy=True).reshape(-1)  # (n,)
        if grad64.shape != x0.shape:
            raise ShapeError(f"fun_and_grad: gradient has {grad64.size} values, "
                             f"expected {x0.size}")
        return float(cost), grad64

    scipy_callback = None
    if callback is not None:
        nit = 0

        def scipy_callback(intermediate_result: Any) -> None:
            nonlocal nit
            nit += 1
            x0[...] = intermediate_result.x
            info = OptimizeResult(x=x0, fun=float(intermediate_result.fun), nit=nit)
            if callback(info):
                raise StopIteration  # SciPy ends the run and says so in result.message

    result = minimize(
        fun, x0.astype(np.float64), method="L-BFGS-B", jac=True,
        callback=scipy_callback,
        options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
    )
    x0[...] = result.x
    return result
