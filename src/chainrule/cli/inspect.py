"""``chainrule info`` and ``chainrule datasets``: what a model file and the built-in sets hold."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import typer

from .options import Debug, JsonFlag, ModelArg
from .printing import later_scores, print_rich, printable
from .reporting import reporting

if TYPE_CHECKING:
    from ..io.model_file import ModelInfo


def _info_lines(info: ModelInfo) -> list[str]:
    meta = info.metadata
    sizes = list(info.layer_sizes)
    lines = [
        f"model        {info.path} ({info.file_size:,} bytes, format version "
        f"{info.format_version})",
        f"network      {'-'.join(map(str, sizes))}: {len(sizes) - 2} hidden layer(s), "
        f"{info.n_params:,} parameters, {info.dtype}",
    ]
    for l, act in enumerate(info.activations, 1):
        W = info.tensors.get(f"W{l}")
        shape = "×".join(map(str, W)) if W else "?"
        lines.append(f"  layer {l}    W({l}) {shape}, b({l}) {sizes[l]}, σ = {act}")
    lines.append(f"cost         {info.cost}")
    source = meta.get("dataset") or meta.get("data_file")
    if source:
        lines.append(f"data         {source} ({meta.get('task', '?')})")
    if meta.get("feature_names"):
        lines.append(f"inputs       {', '.join(map(str, meta['feature_names']))}"
                     + ("  (standardised)" if meta.get("standardizer") else ""))
    if meta.get("classes") is not None:
        names = meta.get("class_names") or meta["classes"]
        lines.append(f"classes      {', '.join(map(str, names))}")
    elif meta.get("target_names"):
        lines.append(f"outputs      {', '.join(map(str, meta['target_names']))}")
    t = meta.get("training")
    if isinstance(t, dict):
        lines.append(f"training     {_training_line(t)}")
        extras = _training_options(t)
        if extras:
            lines.append(f"options      {extras}")
        if t.get("final_cost") is not None:
            scores = [f"C = {t['final_cost']:.6g}", *later_scores(t)]
            # `train` computes the costs again at the saved weights (it records saved_epoch);
            # a run from Python keeps the history's last row, the mean over its batches
            at = "" if "saved_epoch" in t else "  (mean over the last epoch's batches)"
            lines.append(f"final cost   {', '.join(scores)}{at}")
    return lines


def _training_line(t: dict) -> str:
    """How a run went, from what its summary recorded: a field it lacks (a model fitted
    in Python, an estimator's) is left out or said to be not recorded, never None."""
    how = t.get("optimizer") or (f"{t['estimator']}, optimizer not recorded"
                                 if t.get("estimator") else "optimizer not recorded")
    head = f"{t.get('status') or 'status not recorded'}: {how}"
    if t.get("learning_rate") is not None:
        head += f", η = {t['learning_rate']:g}"
    epochs = t.get("epochs_run")
    parts = [head, "epochs not recorded" if epochs is None else
             f"{epochs}/{t['epochs']} epochs" if t.get("epochs") is not None else
             f"{epochs} epochs"]
    if "batch_size" in t:
        parts.append("full batch" if t["batch_size"] is None else f"batches of {t['batch_size']}")
    parts.append("seed not recorded" if t.get("seed") is None else f"seed {t['seed']}")
    if t.get("seconds") is not None:
        parts.append(f"{t['seconds']} s")
    if t.get("best_epoch") is not None:
        parts.append(f"best epoch {t['best_epoch']}")
    if t.get("saved_epoch") is not None and t.get("saved_epoch") != t.get("epochs_run"):
        parts.append(f"kept the weights of epoch {t['saved_epoch']}")
    return ", ".join(parts)


def _training_options(t: dict) -> str:
    """The engine's options a run was given beside its recipe, in a line (or "")."""
    parts = []
    if t.get("l2"):
        parts.append(f"L2 α = {t['l2']:g}")
    if t.get("early_stopping"):
        stopped = ", stopped early" if t.get("stopped_early") else ""
        parts.append(f"early stopping (patience {t.get('patience')}{stopped})")
    if t.get("schedule") not in (None, "constant"):
        final = t.get("final_learning_rate")
        parts.append(f"schedule {t['schedule']}" + ("" if final is None else
                                                     f" (final η = {final:.4g})"))
    return ", ".join(parts)


def info(model: ModelArg, json_output: JsonFlag = False, debug: Debug = False) -> None:
    """Architecture, cost, dtype, parameter count and training summary of a model file."""
    from ..io.model_file import read_model_info

    with reporting(debug):
        mi = read_model_info(model)
        if json_output:
            typer.echo(json.dumps({
                "path": os.fspath(mi.path), "format_version": mi.format_version,
                "layer_sizes": list(mi.layer_sizes), "activations": list(mi.activations),
                "cost": mi.cost, "dtype": mi.dtype, "n_params": mi.n_params,
                "file_size": mi.file_size, "metadata": mi.metadata}))
        else:
            typer.echo("\n".join(printable(line, lines=False) for line in _info_lines(mi)))


def datasets(json_output: JsonFlag = False, debug: Debug = False) -> None:
    """The built-in data sets, with their sizes and a one-line description."""
    from ..data import describe_datasets

    with reporting(debug):
        rows = describe_datasets()
        if json_output:
            typer.echo(json.dumps([r._asdict() for r in rows]))
            return
        from rich.table import Table

        table = Table("name", "task", "examples", "inputs", "outputs", "description",
                      box=None, pad_edge=False)
        for r in rows:
            table.add_row(r.name, r.task, str(r.n_examples), str(r.n_features),
                          str(r.n_outputs), r.description)
        print_rich(lambda console: console.print(table))
