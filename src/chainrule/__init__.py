"""chainrule: feed-forward networks trained by back-propagation, every chain-rule factor in view.

The core (activations, losses, network, gradcheck) needs only NumPy::

    >>> from chainrule import Network
    >>> net = Network([1, 1], "tanh", weights=[[[1.3]]], biases=[[-0.1]])
    >>> round(float(net.predict([[1.0]])[0, 0]), 3)
    0.834
"""

from .activations import ACTIVATIONS, Activation, get_activation
from .errors import (
    ChainruleError,
    ConfigError,
    DataError,
    DivergenceError,
    ModelFileError,
    ShapeError,
)
from .gradcheck import GradCheckResult, check_gradient, check_network_gradient
from .losses import COSTS, Cost, get_cost
from .network import Cache, ChainRule, Factor, Network, ParamRef, parse_param

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "Activation",
    "Cache",
    "ChainRule",
    "ChainruleError",
    "ConfigError",
    "Cost",
    "DataError",
    "DivergenceError",
    "Factor",
    "GradCheckResult",
    "ModelFileError",
    "Network",
    "ParamRef",
    "ShapeError",
    "__version__",
    "check_gradient",
    "check_network_gradient",
    "get_activation",
    "get_cost",
    "parse_param",
]
