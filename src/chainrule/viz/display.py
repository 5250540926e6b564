"""What the plot objects share, in scikit-learn's style.

A display is built from a trained thing by ``from_estimator`` (``from_model`` and
``from_network`` are the same method: each takes a fitted estimator, a
:class:`chainrule.Model` or a :class:`chainrule.Network`), holds the numbers it
draws as attributes, and draws them with ``plot(ax=None, **kwargs)``: on ``ax``,
or on a new figure, keeping ``ax_`` and ``figure_``; ``kwargs`` go to the
matplotlib call that draws the display's main artist.  Nothing is shown and
nothing is closed (the caller owns the figure), and matplotlib is imported only
when something is drawn, so the code runs under the non-interactive Agg backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["Display", "literal_text", "new_axes"]


def literal_text(text: object) -> str:
    """``str(text)`` drawn as it is: every ``$`` escaped as ``\\$`` so matplotlib does not
    read a pair of them as mathtext (``$\\foo$`` in a column name would fail to parse).

    Without an unescaped ``$`` matplotlib treats a string as plain text and shows each
    ``\\$`` as ``$``; backslashes elsewhere are drawn as they are.
    """
    return str(text).replace("$", r"\$")


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax`` itself, or the Axes of a new figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    # constrained layout keeps tick and axis labels inside the figure at its given size
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


class Display:
    """The base of the plot objects: ``plot`` keeps the Axes it drew on.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Where the display was drawn (after ``plot``).
    figure_ : matplotlib Figure
        Its figure.
    """

    #: The size (inches) of a new figure.
    figsize: tuple[float, float] = (6.0, 4.0)

    ax_: Axes
    figure_: Figure

    def _start(self, ax: Axes | None) -> Axes:
        """The Axes to draw on (a new figure when ``ax`` is None), kept as ``ax_``."""
        ax = new_axes(ax, self.figsize)
        self.ax_, self.figure_ = ax, ax.figure
        return ax
