"""The data of a command: what ``--target``, ``--task`` and ``--dataset`` ask for.

The reading, the label detection and encoding, the scaling and the predictions are
the library's (:mod:`chainrule.data`, :class:`chainrule.Model`); this module turns
the options into those calls and the library's messages into the options' words.
"""

from __future__ import annotations

import contextlib
import enum
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Source, csv_source
from ..data.encoding import MAX_AUTO_CLASSES, class_targets, label_column, looks_like_labels
from ..data.scaling import block_rows
from ..errors import ConfigError, DataError
from ..model import Model
from .options import library_errors_as_options
from .printing import json_label
from .reporting import say

Array = np.ndarray


def note_target_scale(Y: Array, names: Sequence[str], lbfgs: bool = False) -> None:
    """A note when a regression target is far from mean 0 and scale 1.

    Targets are used as they are (predictions come out in their units), and a
    network starting near 0 moves slowly towards an offset of 100 or a scale of
    1000 at the default learning rate: say so, before minutes are spent.  The
    deviation is the true one (0 for a constant column, which the Standardizer
    stores as scale 1); L-BFGS has no learning rate to raise.
    """
    from ..data import Standardizer

    stats = Standardizer().fit(Y)
    constant = _constant_columns(Y) if (stats.scale_ == 1.0).any() else np.zeros(0, bool)
    for j, (mean, scale) in enumerate(zip(stats.mean_, stats.scale_)):
        if abs(mean) > 3 * scale + 3 or scale > 30:
            name = names[j] if j < len(names) else f"column {j}"
            deviation = 0.0 if constant.size and constant[j] else scale
            more = "more --epochs" if lbfgs else "more --epochs, a larger --lr"
            say(f"note: the target {name!r} has mean {mean:.4g} and standard deviation "
                f"{deviation:.4g}; a network starting near 0 reaches such values slowly: "
                "consider subtracting the mean and dividing by the deviation first (or "
                f"{more})")


def _constant_columns(Y: Array) -> Array:
    """Which columns of ``Y`` hold one value only (read block by block)."""
    from ..utils.validation import row_blocks

    lo, hi = np.full(Y.shape[1], np.inf), np.full(Y.shape[1], -np.inf)
    for _, block in row_blocks(Y, block_rows(Y), "y"):
        lo = np.minimum(lo, block.min(axis=0))
        hi = np.maximum(hi, block.max(axis=0))
    return lo == hi


class Task(str, enum.Enum):
    auto = "auto"
    regression = "regression"
    classification = "classification"


@dataclass
class TrainingData:
    """What train needs to know about its data, and what the model file remembers of it."""

    X: Array  # (N, n_in), raw (before standardisation)
    Y: Array  # (N, n_out), encoded for the cost (one-hot rows for classification)
    y: Array  # the targets as read: class labels, or the values (= Y) for regression
    task: str
    source: str  # a dataset name or a file path, for messages
    dataset: str | None
    data_file: str | None
    description: str
    feature_names: list[str]
    target_names: list[str]  # regression outputs, or the label column(s) of a file
    classes: list[Any] | None = None  # label values, in output order
    class_names: list[str] | None = None
    task_reason: str = ""  # why this task: "the target 'y' holds text", ...
    delimiter: str = ","  # a CSV's
    scaler: Any = None  # the inputs' Standardizer when fitted where the rows are (a cluster)

    @property
    def named_inputs(self) -> list[str] | None:
        """The input columns' names, or None where they are positions (an array file's)."""
        file = (self.data_file or "").lower()
        return None if file.endswith((".npy", ".npz")) else list(self.feature_names)

    def sources(self) -> tuple[Source, Source]:
        """Names for the cells of ``X`` and of the targets in messages."""
        file = self.data_file
        if file is not None and file.lower().endswith(".csv"):
            return (csv_source(file, self.feature_names, self.delimiter),
                    csv_source(file, self.target_names, self.delimiter))
        return Source(self.source, self.feature_names), Source(self.source, self.target_names)

    def model(self, network: Any) -> Model:
        """The model to train: the network with these inputs' and targets' names."""
        return Model(network, feature_names=self.named_inputs, classes=self.classes,
                     class_names=self.class_names, target_names=self.target_names,
                     dataset=self.dataset, data_file=self.data_file)


def is_classification_cost(cost: str | None) -> bool:
    """Whether ``--cost`` is a classifier's (the target is then class labels)."""
    return cost in ("cross_entropy", "binary_cross_entropy")


def encode_labels(labels: Array, classes: Sequence[Any] | None, cost: str | None,
                  src: str) -> tuple[Array, list[Any]]:
    """One-hot rows (one column for binary cross-entropy) and the classes in column order."""
    is_csv = src.lower().endswith(".csv") and Path(src).is_file()
    source = csv_source(src, []) if is_csv else Source(src)
    Y, found = class_targets(labels, classes, source=source)
    if cost == "binary_cross_entropy":
        if Y.shape[1] != 2:
            raise ConfigError(f"--cost: binary_cross_entropy needs exactly 2 classes, {src} has "
                              f"{Y.shape[1]}; use cross_entropy")
        Y = Y[:, 1:]  # y = 1 for the second class
    return Y, [json_label(c) for c in found]


def builtin_data(name: str, task: Task, cost: str | None) -> TrainingData:
    from ..data import load_dataset

    ds = load_dataset(name)
    if task is not Task.auto and task.value != ds.task:
        raise ConfigError(f"--task: dataset {ds.name!r} is a {ds.task} set, not {task.value}")
    data = TrainingData(ds.X, ds.y, ds.y, ds.task, ds.name, ds.name, None, ds.description,
                        list(ds.feature_names), list(ds.target_names))
    if ds.task == "classification":
        assert ds.labels is not None
        data.y = ds.labels
        # classes are the label values 0..K-1; their names are the dataset's target names
        data.Y, data.classes = encode_labels(ds.labels, range(ds.n_outputs), cost, ds.name)
        data.class_names = list(ds.target_names)
        data.target_names = ["label"]
    return data


def check_target_option(path: Path, target: str | None) -> None:
    """``--target`` for a .npy file: only ``last`` (a .npy has no column names)."""
    if path.suffix.lower() == ".npy" and target is not None and target != "last":
        raise ConfigError(f"--target: a .npy file has no column names; give 'last' (its last "
                          f"column is the target) or leave --target out, got {target!r}")


def check_data_choice(data: Path | None, dataset: str | None, target: str | None) -> None:
    """A data file or a built-in set, not both; ``--target`` only for a file."""
    if data is not None and dataset is not None:
        raise ConfigError("give either a data file or --dataset, not both")
    if data is not None:
        check_target_option(data, target)
    elif target is not None:
        raise ConfigError("--target: only for a data file; built-in sets know their target")



@contextlib.contextmanager
def target_as_option() -> Iterator[None]:
    """The data loaders' errors about the target, worded for ``--target``."""
    try:
        with library_errors_as_options({"target": "--target"}):
            yield
    except DataError as exc:  # "FILE: no column named 'nope' for the target; ..."
        if "for the target" not in str(exc) or str(exc).startswith("--target"):
            raise
        raise DataError(f"--target: {exc}") from None


def split_target(target: str | None, suffix: str) -> str | list[str] | None:
    if target is None or suffix != ".csv":
        return target
    names = [t.strip() for t in target.split(",")]
    return names[0] if len(names) == 1 else names


def as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _csv_labels(path: Path, target: str | None, task: Task,
                csv: Mapping[str, Any]) -> tuple[Array, Array, list[str], list[str], bool]:
    """A CSV whose one target column may hold text class labels (``cat``, ``dog``):
    ``X``, ``y`` and the names as :func:`~chainrule.data.load_csv` gives them, and
    whether the labels are text (:func:`~chainrule.data.encoding.label_column`)."""
    from ..data import load_csv

    X, texts, fnames, tnames = load_csv(path, target=target, labels=True, **csv)
    assert texts is not None
    y, is_text = label_column(texts, csv_source(path, tnames, csv.get("delimiter", ",")),
                              classification=task is Task.classification)
    return X, y, list(fnames), list(tnames), is_text


# The options of a CSV's layout, by load_csv's names
CSV_OPTIONS = {"features": "--features", "ignore": "--ignore", "delimiter": "--delimiter"}


def check_csv_options(path: Path | None, csv: Mapping[str, Any]) -> None:
    """``--features``, ``--ignore`` and ``--delimiter`` are for a CSV file only."""
    given = [CSV_OPTIONS[k] for k, v in csv.items() if v not in (None, (), ",")]
    if given and (path is None or path.suffix.lower() != ".csv"):
        what = f"{path.name} is not a CSV" if path is not None else "a built-in set is read"
        raise ConfigError(f"{given[0]}: only for a CSV file ({what}; its columns have no "
                          "names to pick)")


@contextlib.contextmanager
def csv_options_named() -> Iterator[None]:
    """``FILE: no column named 'x' (features)`` worded for the option: ``(--features)``."""
    try:
        yield
    except DataError as exc:
        text = str(exc)
        for name, option in CSV_OPTIONS.items():
            text = text.replace(f"({name})", f"({option})")
        text = text.replace("pass delimiter=", "pass --delimiter ")
        if text == str(exc):
            raise
        raise DataError(text) from None


def file_data(path: Path, target: str | None, task: Task, cost: str | None,
              csv: Mapping[str, Any] | None = None) -> TrainingData:
    """A data file as ``train`` uses it; ``csv``: how a CSV is laid out (load_csv's
    ``delimiter``, ``features`` and ``ignore``)."""
    from ..data import load_data

    src = os.fspath(path)
    wanted = split_target(target, path.suffix.lower())
    text_labels = False
    check_target_option(path, target)
    csv = dict(csv or {}) if path.suffix.lower() == ".csv" else {}
    with target_as_option(), csv_options_named(), library_errors_as_options(CSV_OPTIONS):
        if path.suffix.lower() == ".csv" and task is not Task.regression \
                and not isinstance(wanted, list):
            X, y, fnames, tnames, text_labels = _csv_labels(path, wanted, task, csv)
        else:
            X, y, fnames_t, tnames_t = load_data(path, target=wanted, **csv)
            fnames, tnames = list(fnames_t), list(tnames_t)
    if y is None:
        raise DataError(f"{src}: has no target; for a .npy file pass --target last (the last "
                        "column), for a .npz file store an array 'y' or name it with --target")
    task, reason = choose_task(task, y, cost, text_labels, tnames)
    data = TrainingData(X, y, y, task.value, src, None, src,
                        f"{X.shape[0]} rows of {path.name}", fnames, tnames,
                        task_reason=reason, delimiter=csv.get("delimiter", ","))
    if task is Task.classification:
        if y.ndim == 2 and y.shape[1] != 1:
            raise ConfigError(f"--task: classification needs one label column, {src} has "
                              f"{y.shape[1]} target columns ({', '.join(tnames)})")
        data.Y, data.classes = encode_labels(y, None, cost, src)
        data.class_names = [str(c) for c in data.classes]
    return data


def choose_task(task: Task, y: Array, cost: str | None, text_labels: bool,
                names: Sequence[str]) -> tuple[Task, str]:
    """The task for a file's targets ``y``, and why, in words (for the note train prints)."""
    target = f"the target {', '.join(repr(n) for n in names)}"
    if task is not Task.auto:
        word = "classify" if task is Task.classification else "regress"
        return task, f"--task {word} says so"
    if text_labels:
        return Task.classification, f"{target} holds text"
    if is_classification_cost(cost):
        return Task.classification, f"--cost {cost} is a classifier's cost"
    if cost is None and looks_like_labels(y):
        return Task.classification, (f"{target} holds only a few whole numbers (at most "
                                     f"{MAX_AUTO_CLASSES}): taken as class labels")
    if y.ndim == 2 and y.shape[1] > 1:
        return Task.regression, f"{target} are {y.shape[1]} columns of numbers"
    more = "" if cost is not None else \
        f" (fractions, or more than {MAX_AUTO_CLASSES} different whole numbers)"
    return Task.regression, f"{target} holds numbers{more}"


def task_note(data: TrainingData) -> str | None:
    """``note: ...`` saying which task a file's data got and why (None for a built-in set)."""
    if data.data_file is None or not data.task_reason or data.task_reason.startswith("--task"):
        return None  # a built-in set knows its task; --task is the user's own choice
    if data.classes is not None:
        shown = ", ".join(map(str, data.class_names or data.classes))
        what = f"classification into {len(data.classes)} classes ({shown})"
        # text cannot be fitted as numbers, and --cost or --task chose the task already
        other = "; --task regress fits the values as numbers instead" \
            if not data.task_reason.startswith(("--task", "--cost")) \
            and not data.task_reason.endswith("holds text") else ""
    else:
        what = f"regression of {len(data.target_names)} value(s)"
        other = ""
    return f"note: {what}: {data.task_reason}{other}"
