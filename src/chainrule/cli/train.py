"""``chainrule train``: read the data, build the network, fit, save, report.

One step per function, in the order they run: :func:`_check_request` (options that
go together), :func:`_read_data` (the outputs are checked before a large file is
read), :func:`_prepare` (recipe, network, scaled inputs), :func:`_fit`, :func:`_save`
and :func:`_report`.  An interrupted ``train`` saves the weights of the last
completed batch, a diverged one the last weights whose cost was finite, atomically,
and says where; a second Ctrl-C stops at once and saves nothing more.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import typer

from ..errors import ConfigError, DivergenceError
from ..nn.network import Network
from .data_prep import (
    Task,
    TrainingData,
    builtin_data,
    check_csv_options,
    check_data_choice,
    file_data,
    note_target_scale,
    task_note,
)
from .figures import plot_names, write_plots
from .options import Debug, library_errors_as_options
from .outputs import check_not_an_input, check_output, check_writable, make_folder
from .printing import plain
from .progress import Progress, stderr_is_terminal
from .recipes import Recipe, check_validation, recipe_for, solver
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
from .sizes import check_training_fits
from .train_cluster import check_cluster_request, cluster_client, cluster_data, data_name
from .train_options import (
    L2,
    Activation,
    BatchSize,
    Checkpoint,
    CheckpointEvery,
    ClusterAddress,
    ClusterTimeout,
    Cost,
    DataFile,
    DatasetName,
    Delimiter,
    DType,
    DTypeOption,
    EarlyStopping,
    Epochs,
    Features,
    Hidden,
    Ignore,
    Json,
    LearningRate,
    Optimizer,
    Out,
    OutputActivation,
    Patience,
    Plot,
    Quiet,
    Resume,
    Schedule,
    Seed,
    Standardize,
    Target,
    TaskOption,
    TrainRequest,
    Validation,
    Workers,
)
from .train_report import (
    checkpoint_previous,
    checkpoint_written,
    describe_run,
    result_line,
    stopped_outside_a_step,
    train_json,
    training_summary,
)

if TYPE_CHECKING:
    from ..data import Source
    from ..model import Model
    from ..train.loop import History, Trainer

Array = np.ndarray


def train(
    data: DataFile = None, dataset: DatasetName = None, target: Target = None,
    task: TaskOption = Task.auto, features: Features = None, ignore: Ignore = None,
    delimiter: Delimiter = ",", standardize: Standardize = None, hidden: Hidden = None,
    activation: Activation = None, output_activation: OutputActivation = None,
    cost: Cost = None, dtype: DTypeOption = DType.float64, optimizer: Optimizer = None,
    lr: LearningRate = None, epochs: Epochs = None, batch_size: BatchSize = None,
    seed: Seed = 0, validation: Validation = 0.0, l2: L2 = 0.0,
    early_stopping: EarlyStopping = False, patience: Patience = 10,
    schedule: Schedule = "constant", out: Out = None, plot: Plot = None,
    quiet: Quiet = False, json_output: Json = False, checkpoint: Checkpoint = None,
    checkpoint_every: CheckpointEvery = None, resume: Resume = False,
    cluster: ClusterAddress = None, workers: Workers = None,
    cluster_timeout: ClusterTimeout = 30.0, debug: Debug = False,
) -> None:
    """Train a network and save it (no arguments: the course's heart curve); with
    --cluster or --workers, on a Dask cluster."""
    request = TrainRequest(
        data=data, dataset=dataset, target=target, task=task, features=features,
        ignore=ignore, delimiter=delimiter, standardize=standardize, hidden=hidden,
        activation=activation, output_activation=output_activation, cost=cost, dtype=dtype,
        optimizer=optimizer, lr=lr, epochs=epochs, batch_size=batch_size, seed=seed,
        validation=validation, l2=l2, early_stopping=early_stopping, patience=patience,
        schedule=schedule, out=out, plot=plot, quiet=quiet, json_output=json_output,
        checkpoint=checkpoint, checkpoint_every=checkpoint_every, resume=resume,
        cluster=cluster, workers=workers, cluster_timeout=cluster_timeout)
    with reporting(debug) as signals, warnings_as_notes(), contextlib.ExitStack() as stack:
        _check_request(request)
        client = stack.enter_context(cluster_client(request)) if request.on_cluster else None
        data_read, out_path = _read_data(request, client)
        run = _prepare(request, data_read, out_path)
        outcome = _fit(run, signals)
        _save(run, outcome, signals)
        _report(run, outcome, signals)


@dataclass
class _Run:
    """A run being made: what the steps hand on to each other."""

    request: TrainRequest
    data: TrainingData
    out: Path  # the model file
    recipe: Recipe  # the data's defaults with the options applied
    model: Model  # the network, with the names, scaling and classes it is saved with
    trainer: Trainer
    X: Any  # (N, n_in): the inputs, not yet scaled (a memmap stays on disk); on a
    # cluster, its ClusterData (scaled, the targets with them)
    Y: Array | None  # (N, n_out): the network's targets (None on a cluster)
    source: Source  # names X's cells in messages

    @property
    def net(self) -> Network:
        return self.model.network


@dataclass
class _Outcome:
    """How a run ended: 'completed', 'diverged', 'interrupted' or 'terminated'."""

    status: str
    failure: DivergenceError | None
    history: History | None
    summary: dict[str, Any]  # kept in the model file


def _check_request(r: TrainRequest) -> None:
    """Options that only make sense together; run before anything is read."""
    if r.on_cluster:
        check_cluster_request(r)
    check_data_choice(r.data, r.dataset, r.target)
    if not r.on_cluster:
        check_csv_options(r.data, r.csv_options())
    if r.resume and r.checkpoint is None:
        raise ConfigError("--resume: needs --checkpoint PATH (the checkpoint to resume from)")
    if r.checkpoint_every is not None and r.checkpoint is None:
        raise ConfigError("--checkpoint-every: needs --checkpoint PATH (where to save them)")
    if r.checkpoint is not None and r.optimizer is not None and \
            not solver(r.optimizer).checkpointable:
        name, label = solver(r.optimizer).name, solver(r.optimizer).label
        raise ConfigError(f"--checkpoint: not with --optimizer {name} (SciPy's {label} state "
                          "cannot be saved); use gd, sgd or adam, or leave --checkpoint out")


def _read_data(r: TrainRequest, client: Any = None) -> tuple[TrainingData, Path]:
    """The data and the model file to write; the outputs are checked before a (possibly
    large) file is read and standardised (on the ``client``'s cluster, if any)."""
    if r.data is None:
        data = builtin_data(r.dataset or "heart", r.task, r.cost)  # small: made at once
        name = data.dataset or "model"
    else:
        name = data_name(r.data) if client is not None else r.data.stem
    out = r.out if r.out is not None else Path(f"{name}.safetensors")
    _check_outputs(out, r.plot, r.checkpoint, r.data, None if r.data else name)
    if r.resume and not checkpoint_written(r.checkpoint):
        say(f"note: no checkpoint at {r.checkpoint}; starting from the beginning")
    if client is not None:
        data = cluster_data(r, client)
    elif r.data is not None:
        data = file_data(r.data, r.target, r.task, r.cost, r.csv_options())
    if r.data is not None:
        note = task_note(data)
        if note is not None:  # said even with --quiet: the data decided what is learnt
            say(note)
    check_validation(r.validation, data.X.shape[0])
    return data, out


def _check_outputs(out: Path, plot: Path | None, checkpoint: Path | None,
                   data: Path | None, dataset: str | None) -> None:
    """``--out``, ``--plot`` and ``--checkpoint``: writable, and naming none of the inputs
    (nor each other)."""
    data_file = (data, "the data file")
    ck_files = [] if checkpoint is None else [
        (checkpoint, "the --checkpoint file"),
        (checkpoint_previous(checkpoint), "the previous checkpoint")]
    check_output(out, "--out", [data_file, *ck_files])
    if plot is not None:
        for name in plot_names(dataset):
            check_writable(plot / name, "--plot")
            check_not_an_input(plot / name, "--plot", [data_file, (out, "the --out model file"),
                                                       *ck_files])
    if checkpoint is not None:
        check_output(checkpoint, "--checkpoint", [data_file])


def _prepare(r: TrainRequest, data: TrainingData, out: Path) -> _Run:
    """The recipe, the model (network, scaling, classes) and the network's trainer; bad
    combinations fail here, before anything is printed."""
    from ..train.loop import Trainer

    recipe = recipe_for(data, r.recipe_changes())
    kind = solver(recipe.optimizer)
    if kind.full_batch and not kind.has_learning_rate:
        ignored = [o for o, v in (("--lr", r.lr), ("--batch-size", r.batch_size))
                   if v is not None]
        if ignored:
            verb = "do" if len(ignored) > 1 else "does"
            say(f"note: {' and '.join(ignored)} {verb} not apply to {kind.label} (every iteration "
                "uses the full batch, and the step length comes from its line search)")
    n_out = data.X.n_outputs if r.on_cluster else data.Y.shape[1]
    sizes = [data.X.shape[1], *recipe.hidden, n_out]
    check_training_fits(sizes, r.dtype.value, recipe.optimizer, recipe.batch_size,
                        data.X.shape[0])
    net = _network(sizes, recipe, r)
    # Accuracy is counted for any classifier, one trained with a squared error too.
    trainer = Trainer(net, optimizer=recipe.optimizer, learning_rate=recipe.learning_rate,
                      batch_size=recipe.batch_size, random_state=r.seed,
                      classification=True if data.classes is not None else None,
                      **r.trainer_options())
    model = data.model(net)
    source, targets = data.sources()
    if r.on_cluster:  # scaled and encoded on the workers already
        model.scaler = data.scaler
        model.check()
        return _Run(r, data, out, recipe, model, trainer, data.X, None, source)
    file = data.data_file
    standardized = r.standardize if r.standardize is not None else file is not None
    X, Y, source = model.prepare(data.X, data.y, standardize=standardized, task=data.task,
                                 source=source, target_source=targets)
    if data.task == "regression" and file is not None and not r.quiet:
        note_target_scale(Y, data.target_names, not kind.has_learning_rate)
    return _Run(r, data, out, recipe, model, trainer, X, Y, source)


def _checkpoint_options(r: TrainRequest, recipe: Recipe) -> dict[str, Any]:
    """``fit``'s checkpoint arguments (about 100 checkpoints per run by default)."""
    if r.checkpoint is None:
        return {}
    make_folder(r.checkpoint.parent, "--checkpoint")
    every = r.checkpoint_every or max(1, recipe.epochs // 100)
    return {"checkpoint": r.checkpoint, "resume": r.resume, "checkpoint_every": every}


def _network(sizes: list[int], recipe: Recipe, r: TrainRequest) -> Network:
    """The recipe's network; a bad combination is named by its options, not parameters."""
    with library_errors_as_options({"activation": "--activation", "cost": "--cost",
                                    "output_activation": "--output-activation"}):
        return Network(sizes, recipe.activation, recipe.output_activation, recipe.cost,
                       dtype=r.dtype.value, random_state=r.seed)


def _fit(run: _Run, signals: Signals) -> _Outcome:
    """Train, with progress on stderr.  A graceful stop (Ctrl-C, SIGTERM: the library
    finishes the batch) or a divergence still gives weights to save; any other stop
    saves nothing and says so."""
    r, recipe, trainer = run.request, run.recipe, run.trainer
    if not r.quiet:
        for line in describe_run(run.data, run.net, recipe, r.seed, r.validation,
                                 run.model.scaler is not None, r.default_job):
            say(line)
    mode = "quiet" if r.quiet else ("bar" if stderr_is_terminal() else "lines")
    progress = Progress(mode, recipe.epochs)
    status, failure, history = "completed", None, None
    start = time.perf_counter()
    with progress, signals.holding():
        try:
            # the model scales a memory-mapped X into an unlinked temporary file
            history = _train(run, epochs=recipe.epochs, trainer=trainer, random_state=r.seed,
                             validation_split=r.validation,
                             callbacks=[progress.on_epoch, _held_stop(signals)],
                             batch_callback=_between_steps(progress, mode, signals, trainer),
                             **_checkpoint_options(r, recipe))
            if signals.pending:  # L-BFGS stopped by a held SIGTERM after an iteration
                status = signals.stopped
        except DivergenceError as exc:
            status, failure = "diverged", exc
        except KeyboardInterrupt:
            status = signals.stopped
            # a second Ctrl-C inside a step (weights half updated), or a Ctrl-C before the
            # first step or a second one between steps: nothing is saved
            if trainer.in_step or not trainer.interrupted:
                stepped = trainer.history.n_steps > trainer.steps_before_run
                raise Stop(stopped_outside_a_step(status, run.out, r.checkpoint,
                                                  trainer.in_step, stepped),
                           signals.exit_code) from None
    seconds = time.perf_counter() - start
    history = history if history is not None else progress.history
    if failure is not None and failure.kept_epoch is not None and history is not None:
        history = history.until(failure.kept_epoch)  # the weights that were saved
    summary = training_summary(history, status, seconds, recipe, r.seed, r.validation,
                               run.data.X.shape[0], r.trainer_options())
    summary.update(_at_saved_weights(run, status, failure, history))
    return _Outcome(status, failure, history, summary)


def _train(run: _Run, **options: Any) -> History:
    """The model trains on arrays; on a cluster the engine reads the rows where they are."""
    if run.Y is None:
        from ..train.loop import fit

        return fit(run.net, run.X, None, **options)
    return run.model.train(run.X, run.Y, source=run.source, **options)


def _at_saved_weights(run: _Run, status: str, failure: DivergenceError | None,
                      history: History | None) -> dict[str, Any]:
    """The epoch whose weights are saved, and the costs and accuracies at those weights.

    The history's cost of an epoch is the mean over its batches, each computed before
    its step; ``chainrule evaluate`` computes the cost at the weights in the file.  So
    that ``train`` and ``evaluate`` agree, the costs reported are computed again at the
    saved weights, over the training rows and the validation rows (one pass over the
    data).  A stopped run (Ctrl-C, SIGTERM) keeps the history's figures: it exits at once.
    """
    from ..data.scaling import standardized
    from ..train import evaluate

    if history is None or not len(history):
        return {}
    t = run.trainer
    if failure is not None:
        saved = failure.kept_epoch
    elif t.stopping.restore_best and history.best_epoch is not None:
        saved = history.best_epoch  # early stopping put the best weights back
    else:
        saved = int(history.epoch[-1])
    out: dict[str, Any] = {"saved_epoch": saved}
    if status not in ("completed", "diverged"):
        return out
    with contextlib.ExitStack() as stack:
        A = run.X if run.Y is None else standardized(run.X, run.model.scaler, run.source, stack)
        for key, rows in (("final", t.train_indices), ("final_val", t.val_indices)):
            if key == "final" or rows is not None:
                C, acc = A.evaluate(run.net, rows, classification=bool(t.classification)) \
                    if run.Y is None else evaluate(run.net, A, run.Y, indices=rows,
                                                   classification=t.classification)
                out[f"{key}_cost"], out[f"{key}_accuracy"] = plain(C), plain(acc)
    return out


def _between_steps(progress: Progress, mode: str, signals: Signals,
                   trainer: Trainer) -> Callable[[int, int, int], None]:
    """The batch callback: the bar moves, and a held SIGTERM stops the run here."""

    def after_step(epoch: int, batch: int, n_batches: int) -> None:
        if mode == "bar":
            progress.on_batch(epoch, batch, n_batches)
        signals.stop_point(trainer)

    return after_step


def _held_stop(signals: Signals) -> Callable[[object], bool]:
    """An epoch callback that ends the run after an L-BFGS iteration when a SIGTERM is held
    (mini-batch runs stop sooner, in :func:`_between_steps`)."""
    return lambda info: signals.pending


def _save(run: _Run, outcome: _Outcome, signals: Signals) -> None:
    """The model file, with what predicting needs (input scaling, classes) and the
    training summary; written atomically, so a stop while saving leaves the old one."""
    if _nothing_learnt(run, outcome):
        return
    run.model.training = outcome.summary
    try:
        make_folder(run.out.parent, "--out")
        run.model.save(run.out)
    except KeyboardInterrupt:
        checkpoint = run.request.checkpoint
        hint = (f"; the checkpoint {checkpoint} holds the run: continue with --checkpoint "
                f"{checkpoint} --resume" if checkpoint_written(checkpoint) else "")
        raise Stop(f"{signals.stopped} while saving the model; {run.out} was left as it "
                   f"was{hint}", signals.exit_code) from None


def _nothing_learnt(run: _Run, outcome: _Outcome) -> bool:
    """A divergence before a single finite cost (the data's values too large to square):
    the weights kept are those the network started from, not worth a model file."""
    guard = run.trainer.guard
    return outcome.failure is not None and guard is not None and guard.start_cost is None


def _report(run: _Run, outcome: _Outcome, signals: Signals) -> None:
    """The result on stdout (a line, or ``--json``), the plots, and where things are."""
    r = run.request
    if outcome.status != "completed":
        _stop_after_saving(run, outcome, signals)
    assert outcome.history is not None
    plots = _write_plots(run, outcome.history, signals)
    if r.json_output:
        typer.echo(json.dumps(train_json(outcome.summary, run.out, [p for p, _ in plots],
                                         run.net, run.data)))
    else:
        typer.echo(result_line(outcome.summary, run.net.cost.name))
    if not r.quiet:
        say(f"saved the model to {run.out}  (see it with: chainrule info {run.out})")
        for path, what in plots:
            say(f"wrote {path}: {what}")


def _stop_after_saving(run: _Run, outcome: _Outcome, signals: Signals) -> NoReturn:
    """End a diverged or stopped run whose weights were saved: say where they are."""
    checkpoint = run.request.checkpoint
    if run.request.json_output:
        typer.echo(json.dumps(train_json(outcome.summary, run.out, [], run.net, run.data)))
    if outcome.failure is not None:
        where = f" (checkpoint: {checkpoint})" if checkpoint_written(checkpoint) else ""
        saved = (f"Nothing was saved to {run.out}: not one cost was finite" if
                 _nothing_learnt(run, outcome) else f"They were saved to {run.out}{where}")
        raise Stop(f"{one_line(outcome.failure)} {saved}.", EXIT_FAILED) from outcome.failure
    resume_hint = (f"; continue with --checkpoint {checkpoint} --resume"
                   if checkpoint_written(checkpoint) else "")
    raise Stop(f"{outcome.status} after {outcome.summary['epochs_run']} complete epoch(s); "
               f"the model trained so far was saved to {run.out}{resume_hint}",
               signals.exit_code)


def _write_plots(run: _Run, history: History, signals: Signals) -> list[tuple[Path, str]]:
    """``--plot``'s pictures; the model is on disk already, and a failure says so."""
    if run.request.plot is None:
        return []
    try:
        return write_plots(run.request.plot, run.model, run.data, run.Y, history)
    except KeyboardInterrupt:
        raise Stop(f"{signals.stopped} while writing the plots; the trained model was saved "
                   f"to {run.out}", signals.exit_code) from None
    except Exception as exc:  # whatever went wrong
        raise Stop(f"--plot: writing the plots failed ({error_text(exc)}); the trained "
                   f"model was saved to {run.out}", exit_code(exc)) from exc
