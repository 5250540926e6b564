"""Plots (matplotlib) and the chain-rule ledger's tables (rich), each imported lazily.

The plot objects, in scikit-learn's style (``from_estimator``, ``from_model``,
``from_network``; ``plot(ax=None, **kwargs)``; ``ax_``, ``figure_``):
:class:`LandscapeDisplay`, :class:`DecisionRegionsDisplay`, :class:`FitDisplay`,
:class:`CostCurveDisplay` and :class:`NetworkDisplay`; the ``plot_*`` functions draw
them and return the Axes.  :func:`explain` is the chain-rule ledger of an estimator,
a Model or a Network, with plain class labels.
"""

from . import (
    cost_plot,
    display,
    fit_plot,
    fitted,
    landscape_plot,
    ledger_text,
    network_plot,
    plots,
    regions_plot,
)
from .cost_plot import CostCurveDisplay
from .display import Display
from .fit_plot import FitDisplay
from .fitted import Fitted, as_fitted, explain
from .landscape_plot import LandscapeDisplay, steepest_params
from .ledger_text import layers_table, ledger_table, render_ledger
from .network_plot import NetworkDisplay
from .plots import (
    literal_text,
    plot_cost_curve,
    plot_curve_2d,
    plot_decision_regions,
    plot_fit_1d,
    plot_landscape,
    plot_network,
    save_figure,
)
from .regions_plot import DecisionRegionsDisplay

__all__ = [*cost_plot.__all__, "Display", *fit_plot.__all__, *fitted.__all__,
           *landscape_plot.__all__, *ledger_text.__all__, *network_plot.__all__,
           *plots.__all__, *regions_plot.__all__]
