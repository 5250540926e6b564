"""Plots (matplotlib) and the chain-rule ledger's tables (rich), each imported lazily."""

from . import ledger_text, plots
from .ledger_text import layers_table, ledger_table, render_ledger
from .plots import (
    plot_cost_curve,
    plot_curve_2d,
    plot_decision_regions,
    plot_fit_1d,
    plot_landscape,
    plot_network,
    save_figure,
)

__all__ = [*ledger_text.__all__, *plots.__all__]
