"""What ``chainrule evaluate`` reports beside the cost: R², MAE and RMSE for values, the
confusion matrix and each class's precision and recall for classes (the library's
:mod:`chainrule.train.metrics`), as a JSON document or as tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..train.metrics import class_indices, class_scores, value_scores
from .printing import json_label, plain, print_rich, printable

if TYPE_CHECKING:
    from rich.console import Console

    from .model_data import ModelWithData


def scores(m: ModelWithData) -> dict[str, Any]:
    """The scores of the model on its data, JSON-ready: for a classifier ``classes``,
    ``confusion_matrix`` (rows: true class) and ``per_class``; for values ``r2``, ``mae``,
    ``rmse`` (averaged over the outputs) and ``per_output``."""
    model = m.model
    A = model.outputs(m.X, source=m.source)  # (N, n_outputs)
    Y = m.Y
    if model.classes is not None:
        names = [str(c) for c in (model.class_names or model.classes)]
        s = class_scores(class_indices(Y), class_indices(A), len(model.classes))
        return {"classes": [json_label(c) for c in model.classes],
                "confusion_matrix": s.confusion.tolist(),
                "per_class": [{"class": name, "precision": plain(p), "recall": plain(r),
                               "support": int(k)}
                              for name, p, r, k in zip(names, s.precision, s.recall,
                                                       s.support)]}
    v = value_scores(Y, A)
    names = list(model.target_names or [f"output {j + 1}" for j in range(Y.shape[1])])
    return {**{k: plain(x) for k, x in v.mean().items()},
            "per_output": [{"output": name, "r2": plain(r2), "mae": plain(mae),
                            "rmse": plain(rmse)}
                           for name, r2, mae, rmse in zip(names, v.r2, v.mae, v.rmse)]}


def print_scores(result: dict[str, Any]) -> None:
    """The scores of :func:`scores` as tables on stdout."""
    print_rich(lambda console: _draw(console, result))


def _draw(console: Console, result: dict[str, Any]) -> None:
    from rich.table import Table

    if "confusion_matrix" in result:
        names = [printable(str(row["class"]), lines=False) for row in result["per_class"]]
        matrix = Table("true \\ predicted", *names, title="confusion matrix", box=None,
                       pad_edge=False)
        for name, row in zip(names, result["confusion_matrix"]):
            matrix.add_row(name, *map(str, row))
        console.print(matrix)
        table = Table("class", "precision", "recall", "support", box=None, pad_edge=False)
        for name, row in zip(names, result["per_class"]):
            table.add_row(name, f"{row['precision']:.4f}", f"{row['recall']:.4f}",
                          str(row["support"]))
        console.print(table)
        return
    table = Table("output", "R²", "MAE", "RMSE", box=None, pad_edge=False)
    rows = result["per_output"]
    for row in rows:
        table.add_row(printable(str(row["output"]), lines=False),
                      *(_number(row[k]) for k in ("r2", "mae", "rmse")))
    if len(rows) > 1:
        table.add_row("mean", *(_number(result[k]) for k in ("r2", "mae", "rmse")))
    console.print(table)


def _number(x: float | None) -> str:
    return "nan" if x is None or not np.isfinite(x) else f"{x:.6g}"
