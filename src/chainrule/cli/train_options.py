"""The options of ``chainrule train``: their types and help, and the request they make.

Each option is a typed alias below (its parser in :mod:`.options` refuses a bad value
before the command runs); :class:`TrainRequest` holds what was asked, as parsed.  A new
option is an alias here, a parameter of :func:`chainrule.cli.train.train` and a field
of :class:`TrainRequest`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from ..nn.activations import ACTIVATIONS, get_activation
from ..nn.costs import COSTS, get_cost
from .data_prep import Task
from .options import (
    DELIMITER_HELP,
    FULL_BATCH,
    batch_size,
    column_names,
    delimiter,
    fraction,
    layer_sizes,
    library_name,
    non_negative_number,
    option_parser,
    positive_number,
    whole_number,
)
from .recipes import check_optimizer, file_default


class DType(str, enum.Enum):
    float64 = "float64"
    float32 = "float32"


DATA, NETWORK, TRAINING, OUTPUT, CHECKPOINTS, CLUSTER = (
    "Data", "Network", "Training", "Output", "Checkpoints", "Cluster")

DataFile = Annotated[Path | None, typer.Argument(
    help="A .csv (with a header), .npy or .npz file. Without it: --dataset, or the heart. "
         "With --cluster or --workers: a Parquet file or folder, a CSV glob ('parts/*.csv', "
         "quoted) or a folder of .npy shards, read by the workers.",
    show_default=False)]
DatasetName = Annotated[str | None, typer.Option(
    "--dataset", "-d", rich_help_panel=DATA,
    help="A built-in data set (see `chainrule datasets`).")]
Target = Annotated[str | None, typer.Option(
    rich_help_panel=DATA,
    help="Target column(s) of a CSV, comma-separated (default: the last column); "
         "the target array of a .npz (default: y); 'last' for a .npy.")]
# --task's words: the library's task names, and the verbs
_TASKS = {"auto": Task.auto, "classify": Task.classification,
          "classification": Task.classification, "regress": Task.regression,
          "regression": Task.regression}


@option_parser
def _task(text: str) -> Task:
    task = _TASKS.get(str(text).strip().lower()) if not isinstance(text, Task) else text
    if task is None:
        raise ValueError(f"expected auto, classify or regress, got {text!r}")
    return task


def _or_list(names: list[str]) -> str:
    """``['a', 'b', 'c']`` → ``'a, b or c'``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


# σ of a hidden layer: the registry's element-wise activations (exp included: the
# library allows it, though e^z overflows easily); softmax only ends a network.
HIDDEN_ACTIVATIONS = [name for name, a in ACTIVATIONS.items() if a.elementwise]


@option_parser
def _hidden_activation(name: str) -> str:
    try:
        activation = get_activation(name)  # aliases ('sigmoid', 'linear') too
    except ValueError:
        raise ValueError(f"unknown name {name!r}; a hidden layer takes "
                         f"{_or_list(HIDDEN_ACTIVATIONS)}") from None
    if activation.name not in HIDDEN_ACTIVATIONS:
        raise ValueError(f"{activation.name!r} can only be used on the output layer "
                         f"(--output-activation); a hidden layer takes "
                         f"{_or_list(HIDDEN_ACTIVATIONS)}")
    return name


def _schedule(name: str) -> None:
    from ..optim.schedules import get_schedule

    get_schedule(name, 1.0)


TaskOption = Annotated[Task, typer.Option(
    "--task", parser=_task, metavar="auto|classify|regress", rich_help_panel=DATA,
    help="auto: classify for text labels, a cross-entropy cost, or (without --cost) a "
         "column of up to 20 distinct whole numbers; else regress. A note says which, and why.")]
Features = Annotated[Any, typer.Option(
    "--features", parser=column_names, metavar="NAMES", rich_help_panel=DATA,
    help="A CSV's feature columns, comma-separated (default: every column but the target "
         "and --ignore); on a cluster, a Parquet dataset's too.", show_default=False)]
Ignore = Annotated[Any, typer.Option(
    "--ignore", parser=column_names, metavar="NAMES", rich_help_panel=DATA,
    help="A CSV's columns to leave out, comma-separated (an id, a column of text); on a "
         "cluster, a Parquet dataset's too.",
    show_default=False)]
Delimiter = Annotated[str, typer.Option(
    "--delimiter", parser=delimiter, metavar="CHAR", rich_help_panel=DATA,
    help=DELIMITER_HELP)]
Standardize = Annotated[bool | None, typer.Option(
    "--standardize/--no-standardize", rich_help_panel=DATA,
    help="Scale each input column to mean 0, std 1 (default: on for files, off for "
         "built-in sets); off keeps a memory-mapped .npy on disk.",
    show_default=False)]
Hidden = Annotated[Any, typer.Option(
    "--hidden", parser=layer_sizes, metavar="SIZES", rich_help_panel=NETWORK,
    help="Hidden layer sizes, e.g. 6,7 ('none' for no hidden layer).",
    show_default=file_default("hidden"))]
Activation = Annotated[str | None, typer.Option(
    "--activation", parser=_hidden_activation, metavar="NAME",
    rich_help_panel=NETWORK,
    help=f"σ of the hidden layers: {_or_list(HIDDEN_ACTIVATIONS)}.",
    show_default=file_default("activation"))]
OutputActivation = Annotated[str | None, typer.Option(
    "--output-activation", parser=library_name(get_activation), metavar="NAME",
    rich_help_panel=NETWORK, help="σ of the output layer (default: suits the cost).")]
Cost = Annotated[str | None, typer.Option(
    "--cost", parser=library_name(get_cost), metavar="NAME", rich_help_panel=NETWORK,
    help=f"{_or_list(list(COSTS))}.",
    show_default="cross_entropy for classes, squared_error for values; a data set's own, "
                 "below")]
DTypeOption = Annotated[DType, typer.Option(
    "--dtype", rich_help_panel=NETWORK, help="Precision of the network.")]
Optimizer = Annotated[str | None, typer.Option(
    "--optimizer", parser=library_name(check_optimizer), metavar="NAME",
    rich_help_panel=TRAINING, help="gd (the course's step), sgd, adam or lbfgs.",
    show_default=file_default("optimizer"))]
LearningRate = Annotated[float | None, typer.Option(
    "--lr", parser=positive_number, metavar="RATE", rich_help_panel=TRAINING,
    help="The learning rate η.", show_default=file_default("learning_rate"))]
Epochs = Annotated[int | None, typer.Option(
    "--epochs", parser=whole_number(1), metavar="N", rich_help_panel=TRAINING,
    help="Passes over the training set.", show_default=file_default("epochs"))]
BatchSize = Annotated[Any, typer.Option(
    "--batch-size", parser=batch_size, metavar="N|full", rich_help_panel=TRAINING,
    help="Examples per step, or 'full' for full-batch gradient descent.",
    show_default=file_default("batch_size"))]
Seed = Annotated[int, typer.Option(
    "--seed", parser=whole_number(0), metavar="N", rich_help_panel=TRAINING,
    help="Seed of the initial weights and shuffling.")]
Validation = Annotated[float, typer.Option(
    "--validation", parser=fraction, metavar="FRACTION", rich_help_panel=TRAINING,
    help="Fraction of the examples held out for validation, e.g. 0.1.")]
L2 = Annotated[float, typer.Option(
    "--l2", parser=non_negative_number, metavar="ALPHA", rich_help_panel=TRAINING,
    help="L2 penalty on the weights: the cost gains (α/2N) Σ W² (scikit-learn's alpha).")]
EarlyStopping = Annotated[bool, typer.Option(
    "--early-stopping", rich_help_panel=TRAINING,
    help="Stop once the cost watched (the validation cost with --validation, else the "
         "training cost) has not improved for --patience epochs; keep the best weights.")]
Patience = Annotated[int, typer.Option(
    "--patience", parser=whole_number(1), metavar="N", rich_help_panel=TRAINING,
    help="Epochs without improvement before --early-stopping stops (or --schedule "
         "adaptive lowers η).")]
Schedule = Annotated[str, typer.Option(
    "--schedule", parser=library_name(_schedule), metavar="NAME", rich_help_panel=TRAINING,
    help="How η changes: constant, invscaling (η₀/(t+1)^0.5 by step), adaptive (η/5 when "
         "the cost stalls), invscaling_by_epoch, divide_on_plateau.")]
Out = Annotated[Path | None, typer.Option(
    "--out", "-o", rich_help_panel=OUTPUT,
    help="Model file to write (default: NAME.safetensors here).", show_default=False)]
Plot = Annotated[Path | None, typer.Option(
    "--plot", rich_help_panel=OUTPUT, help="Folder for PNG pictures (the fit, the cost curve).",
    show_default=False)]
Quiet = Annotated[bool, typer.Option(
    "--quiet", "-q", rich_help_panel=OUTPUT, help="No progress on stderr.")]
Json = Annotated[bool, typer.Option(
    "--json", rich_help_panel=OUTPUT, help="Print a JSON summary on stdout.")]
Checkpoint = Annotated[Path | None, typer.Option(
    "--checkpoint", rich_help_panel=CHECKPOINTS,
    help="Save the whole training state here as it goes (for --resume).",
    show_default=False)]
CheckpointEvery = Annotated[int | None, typer.Option(
    "--checkpoint-every", parser=whole_number(1), metavar="N", rich_help_panel=CHECKPOINTS,
    help="Epochs between checkpoints (default: about 100 checkpoints per run).",
    show_default=False)]
Resume = Annotated[bool, typer.Option(
    "--resume", rich_help_panel=CHECKPOINTS,
    help="Continue bit-identically from --checkpoint if it exists.")]
ClusterAddress = Annotated[str | None, typer.Option(
    "--cluster", metavar="tcp://HOST:PORT", rich_help_panel=CLUSTER,
    help="Train on this running Dask cluster (its scheduler's address); the workers read "
         "DATA at the same path.", show_default=False)]
Workers = Annotated[int | None, typer.Option(
    "--workers", parser=whole_number(1), metavar="N", rich_help_panel=CLUSTER,
    help="Train on a local Dask cluster of N worker processes on 127.0.0.1.",
    show_default=False)]
ClusterTimeout = Annotated[float, typer.Option(
    "--cluster-timeout", parser=positive_number, metavar="SECONDS", rich_help_panel=CLUSTER,
    help="How long to wait for the --cluster scheduler (or the local workers) to answer.")]


@dataclass(frozen=True)
class TrainRequest:
    """What ``chainrule train`` was asked to do, each option parsed (None: not given)."""

    data: Path | None = None
    dataset: str | None = None
    target: str | None = None
    task: Task = Task.auto
    features: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    delimiter: str = ","
    standardize: bool | None = None
    hidden: tuple[int, ...] | None = None
    activation: str | None = None
    output_activation: str | None = None
    cost: str | None = None
    dtype: DType = DType.float64
    optimizer: str | None = None
    lr: float | None = None
    epochs: int | None = None
    batch_size: int | str | None = None  # FULL_BATCH for 'full'
    seed: int = 0
    validation: float = 0.0
    l2: float = 0.0
    early_stopping: bool = False
    patience: int = 10
    schedule: str = "constant"
    out: Path | None = None
    plot: Path | None = None
    quiet: bool = False
    json_output: bool = False
    checkpoint: Path | None = None
    checkpoint_every: int | None = None
    resume: bool = False
    cluster: str | None = None
    workers: int | None = None
    cluster_timeout: float = 30.0

    @property
    def on_cluster(self) -> bool:
        """Whether the rows are read and the sums made on a Dask cluster."""
        return self.cluster is not None or self.workers is not None

    def recipe_changes(self) -> dict[str, Any]:
        """The options given, as changes to the data's :class:`~.recipes.Recipe`."""
        given = {"hidden": self.hidden, "activation": self.activation, "cost": self.cost,
                 "optimizer": self.optimizer, "learning_rate": self.lr, "epochs": self.epochs,
                 "batch_size": self.batch_size}
        changes = {k: v for k, v in given.items() if v is not None}
        if self.cost is not None:  # a new cost brings its own output layer unless one is named
            changes["output_activation"] = None
        if self.output_activation is not None:
            changes["output_activation"] = self.output_activation
        if self.batch_size == FULL_BATCH:
            changes["batch_size"] = None  # the Recipe's (and fit's) word for the full batch
        return changes

    @property
    def default_job(self) -> bool:
        """Plain ``chainrule train``: the course's heart curve, with the course's network."""
        return (self.data is None and self.dataset is None and not self.recipe_changes()
                and self.trainer_options() == TrainRequest().trainer_options())

    def trainer_options(self) -> dict[str, Any]:
        """The engine's options that are not in a recipe: the penalty, early stopping, the
        schedule."""
        return {"l2": self.l2, "early_stopping": self.early_stopping,
                "patience": self.patience, "schedule": self.schedule}

    def csv_options(self) -> dict[str, Any]:
        """How a CSV is read: :func:`~chainrule.data.load_csv`'s options."""
        return {"delimiter": self.delimiter, "features": self.features,
                "ignore": self.ignore or ()}
