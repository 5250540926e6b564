"""The cost per epoch as a plot object: training and validation, and a score beside them.

The record comes from a :class:`~chainrule.train.History` (what ``fit`` returns and
a Model keeps after :meth:`Model.fit <chainrule.Model.fit>`), a mapping of its
columns, or a fitted estimator (``loss_curve_``, and ``validation_scores_`` with
early stopping).  The cost axis is log-scaled when every cost is positive; the
validation accuracy (or an estimator's score) goes on a twin axis on the right.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError, ShapeError
from ..nn.network import Network
from .display import Display
from .fitted import as_fitted, history_curves

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CostCurveDisplay"]

Array = np.ndarray


def _floats(values: Any) -> Array:
    """A recorded series as floats, ``None`` entries (gaps) as NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _series(h: Mapping[str, Any], key: str, n: int) -> Array | None:
    """``h[key]`` as floats (None entries become NaN), or None when absent, empty or all NaN.

    A History without validation data records NaN every epoch: nothing to draw.
    """
    values = h.get(key)
    if values is None or len(values) == 0:
        return None
    arr = _floats(values)
    if arr.shape != (n,):
        raise ShapeError(f"history: {key!r} has {arr.size} values but 'cost' has {n}")
    return None if np.isnan(arr).all() else arr


class CostCurveDisplay(Display):
    """Training cost (and validation cost, and a score) per epoch.

    Parameters
    ----------
    epoch, cost : ndarray of shape (n,)
    val_cost : ndarray of shape (n,), optional
        NaN where not computed.
    score : ndarray of shape (n,), optional
        Drawn on a twin axis: the validation accuracy, or an estimator's score.
    score_name : str
        Its label.
    cost_name : str, optional
        The cost's name, for the axis label.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        The cost lines (training first).
    twin_ : matplotlib Axes or None
        The score's axis.
    ax_, figure_ : matplotlib Axes and Figure
    """

    def __init__(self, epoch: Array, cost: Array, *, val_cost: Array | None = None,
                 score: Array | None = None, score_name: str = "validation accuracy",
                 cost_name: str | None = None):
        self.epoch, self.cost, self.val_cost = epoch, cost, val_cost
        self.score, self.score_name, self.cost_name = score, score_name, cost_name

    @classmethod
    def from_history(cls, history: Any, *, cost_name: str | None = None,
                     ax: Axes | None = None, **kwargs: Any) -> CostCurveDisplay:
        """Draw a History, or a mapping with ``'cost'`` and optionally ``'epoch'``,
        ``'val_cost'``, ``'val_accuracy'`` (lists of equal length; None is a gap),
        or an estimator's ``'cost'`` and ``'val_score'``."""
        h = history_curves(history)
        cost = _floats(h["cost"])
        if cost.ndim != 1 or cost.size == 0:
            raise ShapeError(f"history: 'cost' must be a non-empty list, got shape {cost.shape}")
        n = cost.size
        epoch = _series(h, "epoch", n)
        score = _series(h, "val_score", n)
        score_name = str(h.get("val_score_name", "validation score"))
        if score is None:
            score, score_name = _series(h, "val_accuracy", n), "validation accuracy"
        display = cls(np.arange(1, n + 1) if epoch is None else epoch, cost,
                      val_cost=_series(h, "val_cost", n), score=score, score_name=score_name,
                      cost_name=cost_name)
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(cls, fitted: Any, *, history: Any = None, ax: Axes | None = None,
                       **kwargs: Any) -> CostCurveDisplay:
        """Draw the record of a trained thing.

        Parameters
        ----------
        fitted : MLPClassifier, MLPRegressor, Model or Network
            An estimator's record is its ``loss_curve_`` (and ``validation_scores_``);
            a Model's its :attr:`~chainrule.Model.history`.  A Network keeps no
            record: pass the History that ``fit`` returned as ``history``.
        history : History or mapping, optional
            The record to draw instead of the one kept.
        """
        f = as_fitted(fitted)
        curves = f.curves if history is None else history_curves(history)
        if curves is None:
            if isinstance(fitted, Network):
                raise ConfigError("history: a Network keeps no record of its training; pass "
                                  "the History that chainrule.train.fit returned: "
                                  "from_network(network, history=history)")
            raise ConfigError(f"fitted: this {type(fitted).__name__} has no record of its "
                              "costs (a model read from a file keeps only its summary, "
                              "model.training); pass history=")
        return cls.from_history(curves, cost_name=f.network.cost.name, ax=ax, **kwargs)

    from_model = from_estimator
    from_network = from_estimator

    def plot(self, ax: Axes | None = None, *, log: bool | None = None,
             **kwargs: Any) -> CostCurveDisplay:
        """Draw the curves.

        Parameters
        ----------
        log : bool, optional
            A log scale of the cost (default: when every cost drawn is positive).
        **kwargs
            Passed to ``Axes.plot`` of the training cost (e.g. ``color=``).
        """
        ax = self._start(ax)
        self.lines_ = ax.plot(self.epoch, self.cost, **{"color": "tab:blue",
                                                        "label": "training cost", **kwargs})
        if self.val_cost is not None:
            self.lines_ += ax.plot(self.epoch, self.val_cost, color="tab:orange",
                                   label="validation cost")
        shown = np.concatenate([self.cost, self.val_cost if self.val_cost is not None else []])
        shown = shown[np.isfinite(shown)]
        if log if log is not None else bool(shown.size and (shown > 0).all()):
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("cost C" if self.cost_name is None else f"cost C ({self.cost_name})")
        handles, labels = ax.get_legend_handles_labels()
        self.twin_ = None
        if self.score is None:
            ax.legend(handles, labels, loc="best", fontsize="small")
        else:
            twin = self.twin_ = ax.twinx()
            twin.plot(self.epoch, self.score, color="tab:green", linestyle="--",
                      label=self.score_name)
            twin.set_ylabel("accuracy" if "accuracy" in self.score_name else "score")
            if "accuracy" in self.score_name:
                twin.set_ylim(0, 1.02)
            more = twin.get_legend_handles_labels()
            _legend_over_both(ax, twin, handles + more[0], labels + more[1])
        ax.set_title("Cost per epoch")
        return self


def _legend_over_both(ax: Axes, twin: Axes, handles: list[Any], labels: list[str]) -> None:
    """One legend for an axis and its twin, placed where neither axis's lines run.

    matplotlib's ``loc='best'`` looks only at the lines of the Axes that owns the
    legend.  The legend goes on the twin (drawn on top, so no line crosses it), and
    invisible copies of the cost axis's lines, in that axis's coordinates, are
    added to the twin as artists (not as data: its limits stay as they are) so that
    'best' avoids them too.
    """
    from matplotlib.lines import Line2D

    for line in ax.get_lines():
        twin.add_artist(Line2D(line.get_xdata(), line.get_ydata(), transform=ax.transData,
                               visible=False))
    twin.legend(handles, labels, loc="best", fontsize="small")
