"""The estimators' hyperparameters: one table of names and defaults, and their checks.

scikit-learn's rule is that ``__init__`` only stores its arguments, each under its own
name, and that its signature lists every hyperparameter.  Both estimators take the
same ones (in scikit-learn's order, the regressor with ``loss`` first), so their
``__init__`` is made here from one table (:func:`storing_init`) rather than written
twice.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from numbers import Integral
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..optim.checks import check_bool, check_choice, check_int, check_real
from ..optim.solvers import solver_names
from ..utils.validation import as_float_dtype

__all__ = [
    "HIDDEN_ACTIVATIONS",
    "SCHEDULES",
    "check_hyperparameters",
    "hidden_sizes",
    "signature",
    "storing_init",
]

HIDDEN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu", "leaky_relu", "softplus")
SCHEDULES = ("constant", "invscaling", "adaptive")  # scikit-learn's learning_rate

Param = inspect.Parameter
_KW = Param.KEYWORD_ONLY

# (name, default, type) of the hyperparameters both estimators share, in scikit-learn's order;
# the regressor puts its loss first, the classifier after max_fun
SHARED = (
    ("hidden_layer_sizes", (100,), Any),
    ("activation", "relu", str),
    ("solver", "adam", str),
    ("alpha", 0.0001, float),
    ("batch_size", "auto", int | str),
    ("learning_rate", "constant", str),
    ("learning_rate_init", 0.001, float),
    ("power_t", 0.5, float),
    ("max_iter", 200, int),
    ("shuffle", True, bool),
    ("random_state", None, Any),
    ("tol", 1e-4, float),
    ("verbose", False, bool),
    ("warm_start", False, bool),
    ("momentum", 0.9, float),
    ("nesterovs_momentum", True, bool),
    ("early_stopping", False, bool),
    ("validation_fraction", 0.1, float),
    ("beta_1", 0.9, float),
    ("beta_2", 0.999, float),
    ("epsilon", 1e-8, float),
    ("n_iter_no_change", 10, int),
    ("max_fun", 15000, int),
)
# chainrule's own, after scikit-learn's
EXTRA = (("output_activation", None, str | None), ("dtype", None, str | None))


def signature(loss: str, *, loss_first: bool) -> inspect.Signature:
    """The ``__init__`` signature: ``self``, two (three with ``loss_first``) positional
    hyperparameters, then the rest keyword-only."""
    loss_param = ("loss", loss, str)
    rows = (loss_param, *SHARED, *EXTRA) if loss_first else (*SHARED, loss_param, *EXTRA)
    n_positional = 3 if loss_first else 2
    params = [Param("self", Param.POSITIONAL_OR_KEYWORD)]
    params += [Param(name, Param.POSITIONAL_OR_KEYWORD if i < n_positional else _KW,
                     default=default, annotation=kind)
               for i, (name, default, kind) in enumerate(rows)]
    return inspect.Signature(params, return_annotation=None)


def storing_init(sig: inspect.Signature) -> Callable[..., None]:
    """An ``__init__`` with signature ``sig`` that stores every argument under its name."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        bound = sig.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = sig  # type: ignore[attr-defined]
    __init__.__doc__ = "Store the hyperparameters (see the class's docstring)."
    return __init__


def hidden_sizes(value: object) -> list[int]:
    """``hidden_layer_sizes`` as a list: an int is one layer, a sequence one entry per layer."""
    sizes = [value] if np.ndim(value) == 0 else list(np.ravel(value))  # type: ignore[arg-type]
    for s in sizes:
        if isinstance(s, bool | np.bool_) or not isinstance(s, Integral) or s < 1:
            raise ConfigError(f"hidden_layer_sizes: expected positive integers (one per hidden "
                              f"layer), got {value!r}")
    return [int(s) for s in sizes]


def check_hyperparameters(est: Any) -> tuple[list[int], np.dtype | None]:
    """The hidden layer sizes and the dtype (None: the input's), once every hyperparameter
    of ``est`` is checked.

    Raises
    ------
    ConfigError
        Naming the first bad hyperparameter, what was expected and what came.
    """
    hidden = hidden_sizes(est.hidden_layer_sizes)
    check_choice(est.activation, "activation", HIDDEN_ACTIVATIONS)
    check_choice(est.solver, "solver", solver_names())
    check_choice(est.learning_rate, "learning_rate", SCHEDULES)
    if not (isinstance(est.batch_size, str) and est.batch_size == "auto"):
        check_int(est.batch_size, "batch_size")
    for name, low, high, low_open, high_open in (
            ("alpha", 0.0, np.inf, False, False),
            ("learning_rate_init", 0.0, np.inf, True, False),
            ("power_t", 0.0, np.inf, False, False),
            ("tol", 0.0, np.inf, False, False),
            ("momentum", 0.0, 1.0, False, False),
            ("validation_fraction", 0.0, 1.0, False, True),
            ("beta_1", 0.0, 1.0, False, True),
            ("beta_2", 0.0, 1.0, False, True),
            ("epsilon", 0.0, np.inf, True, False)):
        check_real(getattr(est, name), name, low, high, low_open=low_open, high_open=high_open)
    check_int(est.max_iter, "max_iter")
    if est.n_iter_no_change != np.inf:
        check_int(est.n_iter_no_change, "n_iter_no_change")
    check_int(est.max_fun, "max_fun")
    for name in ("shuffle", "warm_start", "nesterovs_momentum", "early_stopping"):
        check_bool(getattr(est, name), name)
    return hidden, None if est.dtype is None else as_float_dtype(est.dtype, "dtype")
