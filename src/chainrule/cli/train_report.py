"""What ``chainrule train`` says about a run: before it (in the exercise's notation), its
summary (kept in the model file and printed by ``--json``), and how it stopped."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..nn.network import Network
from ..utils.version import __version__
from .data_prep import TrainingData
from .printing import later_scores, plain
from .recipes import Recipe, solver

if TYPE_CHECKING:
    from ..train.loop import History


def stopped_outside_a_step(status: str, out: Path, checkpoint: Path | None,
                            in_step: bool, stepped: bool) -> str:
    """The message for a stop the library did not make graceful: a second Ctrl-C in the
    middle of a step or between steps (e.g. while the interrupt checkpoint was written),
    or a Ctrl-C before training started."""
    if in_step:
        where = "at once, in the middle of a step: the model was not saved"
    elif stepped:
        where = "at once by a second signal, between steps: nothing more was saved"
    else:
        where = "before training started: nothing was saved"
    left = f"{out} was left as it was" if out.exists() else f"nothing was written to {out}"
    text = f"{status} {where} ({left})"
    if checkpoint_written(checkpoint):
        text += (f"; the last checkpoint written is kept: continue with --checkpoint "
                 f"{checkpoint} --resume")
    return text


def checkpoint_written(checkpoint: Path | None) -> bool:
    """Whether a run can resume from ``checkpoint`` (it, or its previous file, exists)."""
    return checkpoint is not None and (checkpoint.exists()
                                       or checkpoint_previous(checkpoint).exists())


def checkpoint_previous(checkpoint: Path) -> Path:
    from ..train.checkpoint import previous_path

    return previous_path(checkpoint)


def describe_run(data: TrainingData, net: Network, recipe: Recipe, seed: int, validation: float,
              standardized: bool, default_job: bool) -> list[str]:
    """What is being trained, in the exercise's notation (printed on stderr before training)."""
    L = net.n_layers
    sizes = "-".join(map(str, net.layer_sizes))
    hidden = {a.name for a in net.activations[:-1]}
    out_act = net.activations[-1]
    if L == 1 or hidden == {out_act.name}:
        acts = f"σ = {out_act.name}, σ(z) = {out_act.formula}, in every layer"
    else:
        acts = f"σ = {', '.join(sorted(hidden))} in the hidden layers, {out_act.name} at the output"
    n_weights = sum(W.size for W in net.W)
    n_biases = sum(b.size for b in net.b)
    n = data.X.shape[0]
    n_train = n - round(validation * n)
    if default_job:
        title = ("Training the course's 1-6-7-2 network to draw the heart curve "
                 "(`chainrule train` with no options).")
        what = (f"{n} points of the heart curve: input t in [0, 1], target (x(t), y(t)) "
                "scaled to [0, 1]")
        a0 = "t"
    else:
        title = f"Training a {sizes} network on {data.source}."
        what = (f"{n} examples, {data.X.shape[1]} input(s) -> {net.n_outputs} output(s), "
                f"{data.task}")
        if data.classes is not None:
            what += f" of {len(data.classes)} classes"
        if data.dataset is not None:
            what += f": {data.description}"
        a0 = "x"
    batch = ("full-batch steps" if recipe.batch_size is None or recipe.batch_size >= n_train
             else f"steps on batches of {recipe.batch_size}")
    kind = solver(recipe.optimizer)
    optimizer = kind.label
    lines = [
        title,
        f"  data      {what}",
        f"  network   a(0) = {a0}, a(l) = σ(W(l) a(l-1) + b(l)) for l = 1..{L}, output a({L})",
        f"            {acts}; {n_weights} weights and {n_biases} biases",
        f"  cost      C = (1/N) Σ_k C_k with C_k = {net.cost.formula}, a = a({L})  "
        f"({net.cost.name}, N = {n_train})",
        (f"  training  {optimizer}, up to {recipe.epochs} iterations on the whole training "
         f"set, seed {seed}" if kind.full_batch else
         f"  training  {optimizer}, η = {recipe.learning_rate:g}, {recipe.epochs} epochs of "
         f"{batch}, seed {seed}")
        + (f", {validation:.0%} held out for validation" if validation else ""),
    ]
    if standardized:
        lines.append("  inputs    standardised: (x - mean) / std per column, stored in the model")
    return lines


def training_summary(history: History | None, status: str, seconds: float, recipe: Recipe,
                     seed: int, validation: float, n_examples: int,
                     options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The training summary kept in the model file and printed by ``--json``; ``options``:
    the engine's options beside the recipe (``l2``, ``early_stopping``, ``patience``,
    ``schedule``)."""
    h = history

    def last(xs: list[float]) -> Any:
        return plain(xs[-1]) if len(xs) else None

    kind = solver(recipe.optimizer)
    return {
        "status": status,
        "optimizer": recipe.optimizer,
        "learning_rate": recipe.learning_rate if kind.has_learning_rate else None,
        "batch_size": None if kind.full_batch else recipe.batch_size,  # None: the full batch
        "epochs": recipe.epochs,
        "epochs_run": len(h) if h is not None else 0,
        "seed": seed,
        "validation": validation,
        "n_examples": n_examples,
        "final_cost": last(h.cost) if h is not None else None,
        "final_val_cost": last(h.val_cost) if h is not None else None,
        "final_accuracy": last(h.accuracy) if h is not None else None,
        "final_val_accuracy": last(h.val_accuracy) if h is not None else None,
        "best_epoch": h.best_epoch if h is not None else None,
        **(options or {}),
        "stopped_early": bool(h.stopped_early) if h is not None else False,
        "final_learning_rate": last(h.learning_rate) if h is not None and
        kind.has_learning_rate else None,
        "seconds": round(seconds, 3),
        "chainrule_version": __version__,
    }


def train_json(summary: dict[str, Any], out: Path, plots: Sequence[Path], net: Network,
                data: TrainingData) -> dict[str, Any]:
    """``train --json``: the same fields whatever the outcome (completed, diverged, stopped)."""
    return {**summary, "model": os.fspath(out), "plots": [os.fspath(p) for p in plots],
            "layer_sizes": list(net.layer_sizes),
            "activations": [a.name for a in net.activations],
            "cost": net.cost.name, "dtype": net.dtype.name,
            "dataset": data.dataset, "data_file": data.data_file, "task": data.task,
            "task_reason": data.task_reason or None}


def result_line(s: dict[str, Any], cost_name: str) -> str:
    """``train``'s result on stdout: the final cost and the other scores recorded."""
    scores = "".join(f"; {part}" for part in later_scores(s))
    saved = s.get("saved_epoch")
    # not the progress lines' "mean C", the mean over an epoch's batches as the weights moved
    at = "the final weights" if saved in (None, s["epochs_run"]) else \
        f"the weights of epoch {saved}, the best"
    return (f"final cost C = {s['final_cost']:.6g} at {at} ({cost_name}{scores}), after "
            f"{s['epochs_run']} epochs in {s['seconds']:.1f} s")
