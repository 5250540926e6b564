"""chainrule: feed-forward networks trained by back-propagation, every chain-rule factor in view.

The core (activations, losses, network, gradcheck, optim, training) needs only NumPy
(SciPy for L-BFGS, imported when used)::

    >>> from chainrule import Network
    >>> net = Network([1, 1], "tanh", weights=[[[1.3]]], biases=[[-0.1]])
    >>> round(float(net.predict([[1.0]])[0, 0]), 3)
    0.834

The scikit-learn estimators are here too, ``chainrule.MLPClassifier`` and
``chainrule.MLPRegressor`` (from :mod:`chainrule.estimators`), imported on first use so
that ``import chainrule`` does not import scikit-learn.
"""

from typing import Any

from .errors import (
    ChainruleError,
    ConfigError,
    DataError,
    DivergenceError,
    ModelFileError,
    ShapeError,
)
from .model.model import Evaluation, Model, load_model
from .nn.activations import ACTIVATIONS, Activation, get_activation
from .nn.costs import COSTS, Cost, get_cost
from .nn.gradcheck import GradCheckResult, check_gradient, check_network_gradient
from .nn.network import Cache, ChainRule, Factor, Network, ParamRef, parse_param
from .optim.optimizers import SGD, Adam, GradientDescent, Optimizer, get_optimizer
from .train.loop import History, Trainer, evaluate, fit
from .utils.version import __version__

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "SGD",
    "Activation",
    "Adam",
    "Cache",
    "ChainRule",
    "ChainruleError",
    "ConfigError",
    "Cost",
    "DataError",
    "DivergenceError",
    "Evaluation",
    "Factor",
    "GradCheckResult",
    "GradientDescent",
    "History",
    "MLPClassifier",
    "MLPRegressor",
    "Model",
    "ModelFileError",
    "Network",
    "Optimizer",
    "ParamRef",
    "ShapeError",
    "Trainer",
    "__version__",
    "check_gradient",
    "check_network_gradient",
    "evaluate",
    "fit",
    "get_activation",
    "get_cost",
    "get_optimizer",
    "load_model",
    "parse_param",
]

# the faces that need more than NumPy, imported when first asked for
LAZY = {"MLPClassifier": "chainrule.estimators", "MLPRegressor": "chainrule.estimators"}


def __getattr__(name: str) -> Any:
    if name in LAZY:
        import importlib

        return getattr(importlib.import_module(LAZY[name]), name)
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(LAZY))
