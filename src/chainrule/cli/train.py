"""``chainrule train``: read the data, build the network, fit, save, report.

An interrupted ``train`` saves the weights of the last completed batch, a diverged
one the last weights whose cost was finite, atomically, and says where; a second
Ctrl-C stops at once and saves nothing more.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import ConfigError, DivergenceError
from ..nn.network import Network
from ..utils.version import __version__
from .data_prep import (
    Source,
    Task,
    TrainingData,
    builtin_data,
    check_fits,
    check_target_option,
    file_data,
    note_target_scale,
    standardize_inputs,
)
from .figures import plot_names, write_plots
from .options import Debug
from .outputs import check_not_an_input, check_writable, make_folder
from .printing import plain
from .progress import Progress, stderr_is_terminal
from .recipes import Recipe, check_validation, option_changes, recipe_for
from .reporting import (
    EXIT_FAILED,
    Stop,
    error_text,
    exit_code,
    one_line,
    reporting,
    say,
    warnings_as_notes,
)
from .signals import Signals

if TYPE_CHECKING:
    from ..train.loop import History


def _stopped_outside_a_step(status: str, out: Path, checkpoint: Path | None,
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
    if checkpoint is not None and _checkpoint_written(checkpoint):
        text += (f"; the last checkpoint written is kept: continue with --checkpoint "
                 f"{checkpoint} --resume")
    return text


def _checkpoint_written(checkpoint: Path) -> bool:
    """Whether a run can resume from ``checkpoint`` (it, or its previous file, exists)."""
    return checkpoint.exists() or _checkpoint_previous(checkpoint).exists()


def _checkpoint_previous(checkpoint: Path) -> Path:
    from ..train.checkpoint import previous_path

    return previous_path(checkpoint)


class DType(str, enum.Enum):
    float64 = "float64"
    float32 = "float32"


_OPTIMIZER_NAMES = {"adam": "Adam", "gd": "gradient descent θ ← θ − η ∂C/∂θ",
                    "gradient_descent": "gradient descent θ ← θ − η ∂C/∂θ",
                    "sgd": "SGD with momentum", "lbfgs": "L-BFGS"}


def _describe(data: TrainingData, net: Network, recipe: Recipe, seed: int, validation: float,
              standardized: bool, default_job: bool) -> list[str]:
    """What is being trained, in the seed's notation (printed on stderr before training)."""
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
    optimizer = _OPTIMIZER_NAMES.get(recipe.optimizer.lower(), recipe.optimizer)
    lines = [
        title,
        f"  data      {what}",
        f"  network   a(0) = {a0}, a(l) = σ(W(l) a(l-1) + b(l)) for l = 1..{L}, output a({L})",
        f"            {acts}; {n_weights} weights and {n_biases} biases",
        f"  cost      C = (1/N) Σ_k C_k with C_k = {net.cost.formula}, a = a({L})  "
        f"({net.cost.name}, N = {n_train})",
        (f"  training  {optimizer}, up to {recipe.epochs} iterations on the whole training "
         f"set, seed {seed}" if recipe.optimizer.lower() in ("lbfgs", "l-bfgs") else
         f"  training  {optimizer}, η = {recipe.learning_rate:g}, {recipe.epochs} epochs of "
         f"{batch}, seed {seed}")
        + (f", {validation:.0%} held out for validation" if validation else ""),
    ]
    if standardized:
        lines.append("  inputs    standardised: (x - mean) / std per column, stored in the model")
    return lines


def _summary(history: History | None, status: str, seconds: float, recipe: Recipe,
             seed: int, validation: float, n_examples: int) -> dict[str, Any]:
    """The training summary kept in the model file and printed by ``--json``."""
    h = history

    def last(xs: list[float]) -> Any:
        return plain(xs[-1]) if len(xs) else None

    lbfgs = recipe.optimizer.lower() in ("lbfgs", "l-bfgs")  # full batch, no learning rate
    return {
        "status": status,
        "optimizer": recipe.optimizer,
        "learning_rate": None if lbfgs else recipe.learning_rate,
        "batch_size": None if lbfgs else recipe.batch_size,  # None: the full batch
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
        "seconds": round(seconds, 3),
        "chainrule_version": __version__,
    }


def _train_json(summary: dict[str, Any], out: Path, plots: Sequence[Path], net: Network,
                data: TrainingData) -> dict[str, Any]:
    """``train --json``: the same fields whatever the outcome (completed, diverged, stopped)."""
    return {**summary, "model": os.fspath(out), "plots": [os.fspath(p) for p in plots],
            "layer_sizes": list(net.layer_sizes),
            "activations": [a.name for a in net.activations],
            "cost": net.cost.name, "dtype": net.dtype.name,
            "dataset": data.dataset, "data_file": data.data_file}


def _is_lbfgs(optimizer: str) -> bool:
    return optimizer.lower() in ("lbfgs", "l-bfgs")


def _history_until(history: History, epoch: int) -> History:
    """The record of ``history`` up to the end of ``epoch`` (0: none of it), e.g. the epoch
    whose weights a diverged run was given back; a best epoch after it is dropped."""
    n = sum(1 for e in history.epoch if e <= epoch)
    lists = {k: v[:n] for k, v in history.to_dict().items() if isinstance(v, list)}
    best = history.best_epoch if history.best_epoch is not None \
        and history.best_epoch <= epoch else None
    return replace(history, **lists, best_epoch=best)


def _result_line(s: dict[str, Any], cost_name: str) -> str:
    text = f"final cost C = {s['final_cost']:.6g} ({cost_name}"
    if s["final_val_cost"] is not None:
        text += f"; validation C = {s['final_val_cost']:.6g}"
    if s["final_accuracy"] is not None:
        text += f"; training accuracy {s['final_accuracy']:.1%}"
    if s["final_val_accuracy"] is not None:
        text += f"; validation accuracy {s['final_val_accuracy']:.1%}"
    return text + f"), after {s['epochs_run']} epochs in {s['seconds']:.1f} s"


def train(
    data: Annotated[Path | None, typer.Argument(
        help="A .csv (with a header), .npy or .npz file. Without it: --dataset, or the heart.",
        show_default=False)] = None,
    dataset: Annotated[str | None, typer.Option(
        "--dataset", "-d", rich_help_panel="Data",
        help="A built-in data set (see `chainrule datasets`).")] = None,
    target: Annotated[str | None, typer.Option(
        rich_help_panel="Data",
        help="Target column(s) of a CSV, comma-separated (default: the last column); "
             "the target array of a .npz (default: y); 'last' for a .npy.")] = None,
    task: Annotated[Task, typer.Option(
        rich_help_panel="Data",
        help="auto: classification for text labels, a cross-entropy cost, or (without "
             "--cost) a column of few whole-number labels; else regression.")] = Task.auto,
    standardize: Annotated[bool | None, typer.Option(
        "--standardize/--no-standardize", rich_help_panel="Data",
        help="Scale each input column to mean 0, std 1 (default: on for files, off for "
             "built-in sets); off keeps a memory-mapped .npy on disk.",
        show_default=False)] = None,
    hidden: Annotated[str | None, typer.Option(
        rich_help_panel="Network",
        help="Hidden layer sizes, e.g. 6,7 ('none' for no hidden layer).")] = None,
    activation: Annotated[str | None, typer.Option(
        rich_help_panel="Network",
        help="σ of the hidden layers: tanh, logistic, relu, leaky_relu, softplus, identity.")]
        = None,
    output_activation: Annotated[str | None, typer.Option(
        rich_help_panel="Network", help="σ of the output layer (default: suits the cost).")]
        = None,
    cost: Annotated[str | None, typer.Option(
        rich_help_panel="Network",
        help="squared_error, half_squared_error, binary_cross_entropy or cross_entropy.")] = None,
    dtype: Annotated[DType, typer.Option(
        rich_help_panel="Network", help="Precision of the network.")] = DType.float64,
    optimizer: Annotated[str | None, typer.Option(
        rich_help_panel="Training", help="gd (the seed's step), sgd, adam or lbfgs.")] = None,
    lr: Annotated[float | None, typer.Option(
        "--lr", rich_help_panel="Training", help="The learning rate η.")] = None,
    epochs: Annotated[int | None, typer.Option(
        min=1, rich_help_panel="Training", help="Passes over the training set.")] = None,
    batch_size: Annotated[str | None, typer.Option(
        rich_help_panel="Training",
        help="Examples per step, or 'full' for full-batch gradient descent.")] = None,
    seed: Annotated[int, typer.Option(
        min=0, rich_help_panel="Training", help="Seed of the initial weights and shuffling.")] = 0,
    validation: Annotated[float, typer.Option(
        rich_help_panel="Training",
        help="Fraction of the examples held out for validation, e.g. 0.1.")] = 0.0,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", rich_help_panel="Output",
        help="Model file to write (default: NAME.safetensors here).", show_default=False)]
        = None,
    plot: Annotated[Path | None, typer.Option(
        rich_help_panel="Output", help="Folder for PNG pictures (the fit, the cost curve).",
        show_default=False)] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", rich_help_panel="Output", help="No progress on stderr.")] = False,
    json_output: Annotated[bool, typer.Option(
        "--json", rich_help_panel="Output", help="Print a JSON summary on stdout.")] = False,
    checkpoint: Annotated[Path | None, typer.Option(
        rich_help_panel="Checkpoints",
        help="Save the whole training state here as it goes (for --resume).",
        show_default=False)] = None,
    checkpoint_every: Annotated[int | None, typer.Option(
        min=1, rich_help_panel="Checkpoints",
        help="Epochs between checkpoints (default: about 100 checkpoints per run).",
        show_default=False)] = None,
    resume: Annotated[bool, typer.Option(
        "--resume", rich_help_panel="Checkpoints",
        help="Continue bit-identically from --checkpoint if it exists.")] = False,
    debug: Debug = False,
) -> None:
    """Train a network and save it (no arguments: the course's heart curve)."""
    with reporting(debug) as signals, warnings_as_notes(), \
            contextlib.ExitStack() as stack:
        _train(stack=stack, signals=signals, data=data, dataset=dataset, target=target,
               task=task, hidden=hidden, activation=activation,
               output_activation=output_activation, cost=cost, optimizer=optimizer, lr=lr,
               epochs=epochs, batch_size=batch_size, seed=seed, validation=validation, out=out,
               plot=plot, quiet=quiet, json_output=json_output, dtype=dtype,
               standardize=standardize, checkpoint=checkpoint,
               checkpoint_every=checkpoint_every, resume=resume)


def _check_train_outputs(out: Path, plot: Path | None, checkpoint: Path | None,
                         data: Path | None, dataset: str | None) -> None:
    """``--out``, ``--plot`` and ``--checkpoint``: writable, and naming none of the inputs
    (nor each other).  Run before any data is read."""
    check_writable(out, "--out")
    ck_files = [] if checkpoint is None else [
        (checkpoint, "the --checkpoint file"),
        (_checkpoint_previous(checkpoint), "the previous checkpoint")]
    check_not_an_input(out, "--out", [(data, "the data file"), *ck_files])
    if plot is not None:
        check_writable(plot / "cost_curve.png", "--plot")
        for name in plot_names(dataset):
            check_not_an_input(plot / name, "--plot", [(data, "the data file"),
                                                        (out, "the --out model file"),
                                                       *ck_files])
    if checkpoint is not None:
        check_writable(checkpoint, "--checkpoint")
        check_not_an_input(checkpoint, "--checkpoint", [(data, "the data file")])


def _train(*, data: Path | None, dataset: str | None, target: str | None, task: Task,
           hidden: str | None, activation: str | None, output_activation: str | None,
           cost: str | None, optimizer: str | None, lr: float | None, epochs: int | None,
           batch_size: str | None, seed: int, validation: float, out: Path | None,
           plot: Path | None, quiet: bool, json_output: bool, dtype: DType,
           standardize: bool | None, checkpoint: Path | None, checkpoint_every: int | None,
           resume: bool, stack: contextlib.ExitStack, signals: Signals) -> None:
    from ..data.datasets import Standardizer
    from ..io.model_file import save_model
    from ..train.loop import Trainer, fit

    if data is not None and dataset is not None:
        raise ConfigError("give either a data file or --dataset, not both")
    if resume and checkpoint is None:
        raise ConfigError("--resume: needs --checkpoint PATH (the checkpoint to resume from)")
    if checkpoint_every is not None and checkpoint is None:
        raise ConfigError("--checkpoint-every: needs --checkpoint PATH (where to save them)")
    changes = option_changes(hidden=hidden, activation=activation,
                             output_activation=output_activation, cost=cost,
                             optimizer=optimizer, lr=lr, epochs=epochs, batch_size=batch_size)
    check_validation(validation)
    if checkpoint is not None and optimizer is not None and \
            optimizer.lower() in ("lbfgs", "l-bfgs"):
        raise ConfigError("--checkpoint: not with --optimizer lbfgs (SciPy's L-BFGS state "
                          "cannot be saved); use gd, sgd or adam, or leave --checkpoint out")
    if data is not None:
        check_target_option(data, target)
        name = data.stem
    else:
        if target is not None:
            raise ConfigError("--target: only for a data file; built-in sets know their target")
        d = builtin_data(dataset or "heart", task, cost)  # small: made in memory at once
        name = d.dataset or "model"
    # the outputs are checked before a (possibly large) file is read and standardised
    out_path = out if out is not None else Path(f"{name}.safetensors")
    _check_train_outputs(out_path, plot, checkpoint, data, None if data else name)
    if resume and checkpoint is not None and not checkpoint.exists() \
            and not _checkpoint_previous(checkpoint).exists():
        say(f"note: no checkpoint at {checkpoint}; starting from the beginning")
    if data is not None:
        d = file_data(data, target, task, cost)
    check_validation(validation, d.X.shape[0])
    recipe = recipe_for(d, changes)
    if _is_lbfgs(recipe.optimizer):
        ignored = [o for o, v in (("--lr", lr), ("--batch-size", batch_size)) if v is not None]
        if ignored:
            say(f"note: {' and '.join(ignored)} do not apply to L-BFGS (every iteration uses "
                "the full batch, and the step length comes from its line search)")
    default_job = data is None and dataset is None and all(
        v is None for v in (hidden, activation, output_activation, cost, optimizer, lr, epochs,
                            batch_size))
    net = Network([d.X.shape[1], *recipe.hidden, d.Y.shape[1]], recipe.activation,
                  recipe.output_activation, recipe.cost, dtype=dtype.value, random_state=seed)
    # Built here rather than inside fit so that bad options fail before anything is printed.
    # Accuracy is counted for any classifier, one trained with a squared error too.
    trainer = Trainer(net, optimizer=recipe.optimizer, learning_rate=recipe.learning_rate,
                      batch_size=recipe.batch_size, random_state=seed,
                      classification=True if d.classes is not None else None)
    standardized = standardize if standardize is not None else d.data_file is not None
    csv_file = Path(d.data_file) if d.data_file and d.data_file.lower().endswith(".csv") \
        else None
    check_fits(d.Y, None, net, Source(d.source, d.target_names, csv=csv_file))
    scaler = Standardizer().fit(d.X) if standardized else None
    if d.task == "regression" and d.data_file is not None and not quiet:
        note_target_scale(d.Y, d.target_names, _is_lbfgs(recipe.optimizer))
    source = Source(d.source, d.feature_names, csv=csv_file)
    check_fits(d.X, scaler, net, source)
    X_in = standardize_inputs(d.X, scaler, source, stack)  # a memmap stays on disk

    if not quiet:
        for line in _describe(d, net, recipe, seed, validation, standardized, default_job):
            say(line)
    mode = "quiet" if quiet else ("bar" if stderr_is_terminal() else "lines")
    progress = Progress(mode, recipe.epochs)
    ck_options: dict[str, Any] = {}
    if checkpoint is not None:
        make_folder(checkpoint.parent, "--checkpoint")
        ck_options = {"checkpoint": checkpoint, "resume": resume,
                      "checkpoint_every": checkpoint_every
                      or max(1, recipe.epochs // 100)}

    status, failure = "completed", None
    history: History | None = None
    start = time.perf_counter()
    # SIGTERM takes the Ctrl-C path (signals, installed for the whole command).
    with progress:
        try:
            history = fit(net, X_in, d.Y, epochs=recipe.epochs, trainer=trainer,
                          random_state=seed, validation_split=validation,
                          callbacks=[progress.on_epoch],
                          batch_callback=progress.on_batch if mode == "bar" else None,
                          **ck_options)
        except DivergenceError as exc:
            status, failure = "diverged", exc
        except KeyboardInterrupt:
            status = "terminated" if signals.terminated else "interrupted"
            # a second Ctrl-C inside a step (weights half updated), or a Ctrl-C before the
            # first step or a second one between steps: nothing is saved
            if trainer.in_step or not trainer.interrupted:
                stepped = trainer.history.n_steps > trainer.steps_before_run
                raise Stop(_stopped_outside_a_step(status, out_path, checkpoint,
                                                   trainer.in_step, stepped),
                           signals.exit_code) from None
    seconds = time.perf_counter() - start
    history = history if history is not None else progress.history
    if failure is not None and failure.kept_epoch is not None and history is not None:
        history = _history_until(history, failure.kept_epoch)  # the weights that were saved
    summary = _summary(history, status, seconds, recipe, seed, validation, d.X.shape[0])
    metadata = {
        "dataset": d.dataset,
        "data_file": d.data_file,
        "task": d.task,
        "feature_names": d.feature_names,
        "target_names": d.target_names,
        "classes": d.classes,
        "class_names": d.class_names,
        "standardizer": scaler.to_dict() if scaler is not None else None,
        "training": summary,
    }
    try:
        make_folder(out_path.parent, "--out")
        save_model(out_path, net, metadata=metadata)  # atomic: all or nothing
    except KeyboardInterrupt:
        what = "terminated" if signals.terminated else "interrupted"
        hint = (f"; the checkpoint {checkpoint} holds the run: continue with --checkpoint "
                f"{checkpoint} --resume" if checkpoint is not None
                and _checkpoint_written(checkpoint) else "")
        raise Stop(f"{what} while saving the model; {out_path} was left as it was{hint}",
                   signals.exit_code) from None
    if status != "completed":
        if json_output:
            typer.echo(json.dumps(_train_json(summary, out_path, [], net, d)))
        if failure is not None:
            where = f" (checkpoint: {checkpoint})" if checkpoint is not None and \
                _checkpoint_written(checkpoint) else ""
            raise Stop(f"{one_line(failure)} They were saved to {out_path}{where}.",
                       EXIT_FAILED) from failure
        done = summary["epochs_run"]
        resume_hint = (f"; continue with --checkpoint {checkpoint} --resume"
                       if checkpoint is not None and _checkpoint_written(checkpoint) else "")
        raise Stop(f"{status} after {done} complete epoch(s); the model trained so far was "
                   f"saved to {out_path}{resume_hint}", signals.exit_code)

    assert history is not None
    try:
        plots = write_plots(plot, net, d, X_in, scaler, history) if plot is not None else []
    except KeyboardInterrupt:
        what = "terminated" if signals.terminated else "interrupted"
        raise Stop(f"{what} while writing the plots; the trained model was saved to "
                   f"{out_path}", signals.exit_code) from None
    except Exception as exc:  # the model is on disk: say so, whatever went wrong
        raise Stop(f"--plot: writing the plots failed ({error_text(exc)}); the trained "
                   f"model was saved to {out_path}", exit_code(exc)) from exc
    if json_output:
        typer.echo(json.dumps(_train_json(summary, out_path, [p for p, _ in plots], net, d)))
    else:
        typer.echo(_result_line(summary, net.cost.name))
    if not quiet:
        say(f"saved the model to {out_path}  (see it with: chainrule info {out_path})")
        for path, what in plots:
            say(f"wrote {path}: {what}")
