"""NumPy-only math: activations, costs, the network, its chain rule, gradient checks, landscapes."""

from .activations import (
    ACTIVATIONS,
    Activation,
    Scratch,
    get_activation,
)
from .costs import (
    COSTS,
    Cost,
    get_cost,
)
from .gradcheck import (
    GradCheckResult,
    check_gradient,
    check_network_gradient,
    numerical_gradient,
)
from .landscape import (
    DescentPath,
    GradientField,
    Landscape,
    cost_surface,
    default_values,
    descent_path,
    gradient_field,
    not_toy,
    param_label,
)
from .ledger import (
    LayerGradient,
    Ledger,
    explain,
)
from .network import (
    Cache,
    ChainRule,
    Factor,
    Network,
    ParamRef,
    parse_param,
)

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "Activation",
    "Cache",
    "ChainRule",
    "Cost",
    "DescentPath",
    "Factor",
    "GradCheckResult",
    "GradientField",
    "Landscape",
    "LayerGradient",
    "Ledger",
    "Network",
    "ParamRef",
    "Scratch",
    "check_gradient",
    "check_network_gradient",
    "cost_surface",
    "default_values",
    "descent_path",
    "explain",
    "get_activation",
    "get_cost",
    "gradient_field",
    "not_toy",
    "numerical_gradient",
    "param_label",
    "parse_param",
]
