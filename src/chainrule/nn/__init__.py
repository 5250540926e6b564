"""NumPy-only math: activations, costs, the network, its chain rule, gradient checks, landscapes."""

from . import activations, costs, gradcheck, landscape, ledger, network
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

__all__ = [*activations.__all__, *costs.__all__, *gradcheck.__all__, *landscape.__all__,
           *ledger.__all__, *network.__all__]
