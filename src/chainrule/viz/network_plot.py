"""The network as a diagram (a plot object): neurons as circles, one column per layer.

Edges are coloured by the sign of their weight (blue positive, red negative) with
widths proportional to ``|w|``; a neuron's fill shows its bias on the same colour
scale.  A layer of more neurons than ``max_neurons`` shows its first and last ones
with ``⋮`` between (and only their edges), so a digits network stays readable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError
from ..nn.network import Network
from ..utils.html import shown_indices
from .display import Display
from .fitted import as_fitted

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["NetworkDisplay"]

Array = np.ndarray

POSITIVE, NEGATIVE = "tab:blue", "tab:red"  # the sign of a weight


class NetworkDisplay(Display):
    """A network's diagram.

    Parameters
    ----------
    network : Network
    max_neurons : int, default 16
        Layers with more neurons show this many (the first ones, ``⋮``, the last one).

    Attributes
    ----------
    edges_ : matplotlib LineCollection
        One segment per weight drawn, in the order of the weights (after :meth:`plot`).
    shown_ : list of list of int
        The neurons drawn, per layer.
    ax_, figure_ : matplotlib Axes and Figure
    """

    def __init__(self, network: Network, *, max_neurons: int = 16):
        if isinstance(max_neurons, bool) or int(max_neurons) != max_neurons or max_neurons < 3:
            raise ConfigError(f"max_neurons: expected a whole number ≥ 3, got {max_neurons!r}")
        self.network, self.max_neurons = network, int(max_neurons)
        self.shown_ = [[i for i in shown_indices(n, self.max_neurons) if i is not None]
                       for n in network.layer_sizes]
        tallest = max(len(s) + (n > self.max_neurons)
                      for s, n in zip(self.shown_, network.layer_sizes))
        self.figsize = (max(4.0, 1.6 * len(self.shown_)), max(3.0, min(0.45 * tallest, 12.0)))

    @classmethod
    def from_estimator(cls, fitted: Any, *, max_neurons: int = 16, ax: Axes | None = None,
                       **kwargs: Any) -> NetworkDisplay:
        """Draw the network of a fitted estimator, a Model or a Network.

        ``kwargs`` go to :meth:`plot` and on to the edges' ``LineCollection``
        (e.g. ``alpha=``, ``linestyles=``).
        """
        return cls(as_fitted(fitted).network, max_neurons=max_neurons).plot(ax=ax, **kwargs)

    from_model = from_estimator
    from_network = from_estimator

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> NetworkDisplay:
        """Draw the diagram; ``kwargs`` go to the edges' ``LineCollection``."""
        from matplotlib.collections import LineCollection
        from matplotlib.colors import TwoSlopeNorm

        net, sizes = self.network, self.network.layer_sizes
        # a column is as tall as its neurons plus one place for ⋮; neuron r of layer l
        # sits at (l, y[l][r]), each column centred on 0
        places = [len(s) + (n > len(s)) for s, n in zip(self.shown_, sizes)]
        tallest = max(places)
        y = [_heights(s, n) for s, n in zip(self.shown_, sizes)]
        w_max = max(float(np.abs(W).max()) for W in net.W) or 1.0
        segments, colors, widths = [], [], []
        for l, W in enumerate(net.W):
            for r in self.shown_[l + 1]:
                for c in self.shown_[l]:
                    w = W[r, c]
                    segments.append([(l, y[l][c]), (l + 1, y[l + 1][r])])
                    colors.append(POSITIVE if w > 0 else NEGATIVE)
                    widths.append(0.2 + 2.8 * abs(w) / w_max)
        ax = self._start(ax)
        self.edges_ = LineCollection(segments, **{"colors": colors, "linewidths": widths,
                                                  "alpha": 0.8, "zorder": 1, **kwargs})
        ax.add_collection(self.edges_)
        b_max = max(float(np.abs(b).max()) for b in net.b) or 1.0
        norm = TwoSlopeNorm(vcenter=0.0, vmin=-b_max, vmax=b_max)
        size = float(np.clip(2400 / tallest, 12, 500))
        for l, shown in enumerate(self.shown_):
            heights = [y[l][r] for r in shown]
            fill: dict[str, Any] = {"c": "white"} if l == 0 else \
                {"c": net.b[l - 1][shown], "cmap": "RdBu", "norm": norm}
            ax.scatter(np.full(len(shown), l), heights, s=size, edgecolors="black", zorder=2,
                       **fill)
            if sizes[l] > len(shown):
                ax.text(l, (y[l][shown[-2]] + y[l][shown[-1]]) / 2, "⋮", ha="center",
                        va="center", fontsize="large")
            what = "input" if l == 0 else ("output" if l == len(sizes) - 1 else f"hidden {l}")
            act = "" if l == 0 else f"\n{net.activations[l - 1].name}"
            ax.text(l, -(tallest - 1) / 2 - 0.8, f"{what} ({sizes[l]}){act}", ha="center",
                    va="top", fontsize="small")
        ax.set_xlim(-0.5, len(sizes) - 0.5)
        ax.set_ylim(-(tallest - 1) / 2 - 2.0, (tallest - 1) / 2 + 0.8)
        ax.axis("off")
        ax.set_title("Weights: blue > 0, red < 0, width ∝ |w|")
        return self


def _heights(shown: list[int], n: int) -> dict[int, float]:
    """Neuron → its height in a column centred on 0; a gap of one place before the last
    neuron when the layer's middle is left out."""
    places = len(shown) + (n > len(shown))
    top = (places - 1) / 2
    out = {}
    for k, r in enumerate(shown):
        gap = 1 if n > len(shown) and k == len(shown) - 1 else 0
        out[r] = top - k - gap
    return out
