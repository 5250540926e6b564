"""NumPy-only math: activations, costs, the network, its chain rule, gradient checks, landscapes."""

from . import activations, chain, costs, gradcheck, landscape, layers, ledger, network, registry
from .activations import (
    ACTIVATIONS,
    Activation,
    Scratch,
    get_activation,
)
from .chain import (
    ChainRule,
    Factor,
    ParamRef,
    chain_factors,
    latex_number,
    parse_param,
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
    gradient_rms,
    not_toy,
    param_label,
)
from .layers import (
    Cache,
    backward,
    sparse_backward,
    sparse_weighted_sum,
    weighted_sum,
)
from .ledger import (
    LayerGradient,
    Ledger,
    explain,
    plain_number,
)
from .network import Network
from .registry import look_up

# each name once: ledger passes on chain's latex_number
__all__ = list(dict.fromkeys([
    *activations.__all__, *chain.__all__, *costs.__all__, *gradcheck.__all__,
    *landscape.__all__, *layers.__all__, *ledger.__all__, *network.__all__,
    *registry.__all__]))
