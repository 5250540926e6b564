"""How a run's record shows itself: one line in a terminal, a small summary in a notebook.

A 30,000-epoch run has 30,000 rows; its displays show the first and last epochs,
the best one and a sparkline of the cost, in a few hundred bytes of text or a few
kB of HTML.  :func:`history_frame` gives every row, as a pandas DataFrame.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..utils import html
from ..utils.html import plain_number

__all__ = ["history_frame", "history_html", "history_text"]

Array = np.ndarray

# The History's columns, and their headings in a table.
COLUMNS = {"cost": "cost C", "val_cost": "validation C", "accuracy": "accuracy",
           "val_accuracy": "validation accuracy", "learning_rate": "η", "seconds": "seconds"}


def _recorded(history: Any) -> dict[str, Array]:
    """The columns with at least one value (a run without validation records NaN)."""
    out = {}
    for name in COLUMNS:
        values = np.asarray(getattr(history, name), dtype=np.float64)
        if values.size and not np.isnan(values).all():
            out[name] = values
    return out


def _g(x: float) -> str:
    return plain_number(x, ".4g")


def _best(history: Any) -> str:
    best = getattr(history, "best_epoch", None)
    return "" if best is None else f", best epoch {best}"


def history_text(history: Any) -> str:
    """``History(30000 epochs: cost 0.912 → 0.00123, validation C …, best epoch …, 12.3 s)``."""
    n = len(history)
    if n == 0:
        return "History(no epochs)"
    cols = _recorded(history)
    parts = [f"{n} epoch{'s' if n != 1 else ''}: cost {_g(cols['cost'][0])} → "
             f"{_g(cols['cost'][-1])}" if "cost" in cols else f"{n} epochs"]
    for name in ("val_cost", "val_accuracy"):
        if name in cols:
            parts.append(f"{COLUMNS[name]} {_g(cols[name][-1])}")
    seconds = float(np.nansum(cols["seconds"])) if "seconds" in cols else None
    tail = "" if seconds is None else f", {seconds:.3g} s"
    stopped = ", stopped early" if getattr(history, "stopped_early", False) else ""
    return f"History({', '.join(parts)}{_best(history)}{stopped}{tail})"


def history_html(history: Any) -> str:
    """The first and last epochs (and the best one) as a table, and the cost's sparkline."""
    n = len(history)
    if n == 0:
        return html.block("History: no epochs")
    cols = _recorded(history)
    epochs = np.asarray(history.epoch)
    rows: list[list[object]] = []
    best = getattr(history, "best_epoch", None)
    shown = html.shown_indices(n)
    if best is not None and best in epochs:
        k = int(np.flatnonzero(epochs == best)[0])
        if k not in shown:  # the best epoch in its place among those shown
            shown = sorted({i for i in shown if i is not None} | {k})
            shown.insert(len(shown) - 1, None)
    for k in shown:
        if k is None:
            rows.append(["⋮", *["" for _ in cols]])
        else:
            mark = " (best)" if best is not None and int(epochs[k]) == best else ""
            rows.append([f"{int(epochs[k])}{mark}", *[_g(v[k]) for v in cols.values()]])
    table = html.table(["epoch", *[COLUMNS[c] for c in cols]], rows)
    positive = "cost" in cols and bool((cols["cost"][np.isfinite(cols["cost"])] > 0).all())
    spark = html.sparkline_svg(cols.get("cost", []), log=positive,
                               title="cost per epoch" + (" (log scale)" if positive else ""))
    return html.block(history_text(history)[len("History("):-1].capitalize(), table, spark,
                      note="history.to_frame() gives every epoch as a pandas DataFrame.")


def history_frame(history: Any) -> Any:
    """Every epoch as a :class:`pandas.DataFrame` indexed by ``epoch``, one column per
    recorded quantity (NaN where not computed)."""
    import pandas as pd

    data = {name: np.asarray(getattr(history, name), dtype=np.float64) for name in COLUMNS}
    index = pd.Index(np.asarray(history.epoch, dtype=np.int64), name="epoch")
    return pd.DataFrame(data, index=index)
