"""Plots (matplotlib, imported lazily)."""

from . import plots
from .plots import (
    plot_cost_curve,
    plot_curve_2d,
    plot_decision_regions,
    plot_fit_1d,
    plot_landscape,
    plot_network,
    save_figure,
)

__all__ = [*plots.__all__]
