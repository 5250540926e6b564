"""How a :class:`~chainrule.Model` shows itself in a notebook: what it takes, what it
gives, how it was trained, then its network's table and diagram.

Long lists (784 pixel names, hundreds of classes) are elided, so the page stays a
few kB whatever the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..utils import html
from ..utils.html import plain_number

__all__ = ["model_html"]

# The training summary's fields shown, and their names in the table.
TRAINING = {"epochs_run": "epochs run", "final_cost": "final cost",
            "final_val_cost": "final validation cost", "final_accuracy": "final accuracy",
            "final_val_accuracy": "final validation accuracy", "best_epoch": "best epoch",
            "optimizer": "optimizer", "learning_rate": "learning rate",
            "batch_size": "batch size", "n_examples": "examples"}


def short_list(values: Sequence[Any] | None, most: int = 8) -> str:
    """``a, b, c, …, z (26)``: at most ``most`` entries, the middle elided."""
    if values is None:
        return ""
    items = [str(v) for v in values]
    if len(items) <= most:
        return ", ".join(items)
    return ", ".join(items[:most - 2]) + f", …, {items[-1]} ({len(items)})"


def _value(v: Any) -> str:
    if isinstance(v, float):
        return plain_number(v, ".6g")
    return "" if v is None else str(v)


def model_html(model: Any) -> str:
    """The model's fields as a table, then its network's display."""
    net = model.network
    rows: list[list[object]] = [["task", model.task]]
    rows.append(["inputs", f"{net.n_inputs}" + (f": {short_list(model.feature_names)}"
                                                 if model.feature_names else " (by position)")])
    if model.scaler is not None:
        rows.append(["input scaling", "standardized: (x − mean) / scale, fitted on the "
                                      "training data"])
    if model.classes is not None:
        names = model.class_names or model.classes
        rows.append(["classes", f"{len(model.classes)}: {short_list(names)}"])
    if model.target_names:
        rows.append(["targets", short_list(model.target_names)])
    for key in ("dataset", "data_file"):
        if getattr(model, key, None):
            rows.append([key.replace("_", " "), getattr(model, key)])
    training = model.training or {}
    for key, label in TRAINING.items():
        if training.get(key) is not None:
            rows.append([label, _value(training[key])])
    fields = html.table(["", "value"], rows)
    sizes = "–".join(map(str, net.layer_sizes))
    return html.block(f"Model: a {sizes} {model.task} network, cost {net.cost.name}", fields,
                      net._repr_html_())
