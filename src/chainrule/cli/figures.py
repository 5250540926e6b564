"""The pictures of ``train --plot`` (and the saving that ``landscape`` shares): files only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .data_prep import TrainingData
from .outputs import make_folder
from .printing import plain

if TYPE_CHECKING:
    from ..model import Model
    from ..train.loop import History

Array = np.ndarray


def files_only_backend() -> None:
    """Agg, unless pyplot is already in use: the CLI writes files and never opens a window."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")


def save_plot(ax: Any, path: Path) -> None:
    """Save the Axes' figure atomically and close it (the CLI keeps no figures open)."""
    import matplotlib.pyplot as plt

    from ..viz.plots import save_figure

    try:
        save_figure(ax.figure, path)
    finally:
        plt.close(ax.figure)


def write_plots(folder: Path, model: Model, data: TrainingData, Y: Array,
                history: History) -> list[tuple[Path, str]]:
    """The pictures that fit the task, drawn in the data's own units (not standardised);
    ``Y`` holds the network's targets.

    Returns (path, what it shows) pairs.
    """
    from ..viz import plots as plotting

    files_only_backend()
    make_folder(folder, "--plot")
    written: list[tuple[Path, str]] = []
    net = model.network
    P = model.outputs(data.X)  # (N, n_out)
    regression = data.task == "regression"
    text = plotting.literal_text  # user names drawn as they are, never as mathtext
    if regression and net.n_inputs == 1 and net.n_outputs == 2:
        names = data.target_names if len(data.target_names) == 2 else None
        ax = plotting.plot_curve_2d(Y, P, names=names)
        if data.dataset == "heart":
            ax.set_xlabel("x(t), scaled")
            ax.set_ylabel("y(t), scaled")
            ax.set_title(f"The {'-'.join(map(str, net.layer_sizes))} network's curve "
                         "over the heart")
        written.append((folder / plot_names(data.dataset)[0],
                        "the network's curve (red) over the target (grey)"))
    elif regression and net.n_inputs == 1:
        ax = plotting.plot_fit_1d(model, data.X, Y)  # the network's line on a dense grid
        ax.set_xlabel(text(data.feature_names[0]))
        if len(data.target_names) == 1:
            ax.set_ylabel(text(data.target_names[0]))
        written.append((folder / "fit.png", "the network's output over the targets"))
    elif data.task == "classification" and net.n_inputs == 2:
        names = data.class_names or data.classes
        ax = plotting.plot_decision_regions(model.unscaled_network(), data.X, Y,
                                            class_names=names)
        ax.set_xlabel(text(data.feature_names[0]))
        ax.set_ylabel(text(data.feature_names[1]))
        written.append((folder / "decision_regions.png",
                        "the decision regions with the data on top"))
    else:
        ax = None
    if ax is not None:
        save_plot(ax, written[-1][0])
    cost_png = folder / "cost_curve.png"
    # Series that were never recorded (no validation set) are left out of the legend.
    curves = {k: v for k, v in history.to_dict().items()
              if not (isinstance(v, list) and v and all(plain(x) is None for x in v))}
    save_plot(plotting.plot_cost_curve(curves), cost_png)
    written.append((cost_png, "the cost C per epoch"))
    return written


def plot_names(dataset: str | None) -> list[str]:
    """The files ``--plot`` may write (:func:`write_plots` picks those that fit the task)."""
    return [f"{dataset or 'curve'}.png", "fit.png", "decision_regions.png", "cost_curve.png"]
