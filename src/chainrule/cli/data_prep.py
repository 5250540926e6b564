"""The data of a command: what ``--target``, ``--task`` and ``--dataset`` ask for.

The reading, the label detection and encoding, the scaling and the predictions are
the library's (:mod:`chainrule.data`, :class:`chainrule.Model`); this module turns
the options into those calls and the library's messages into the options' words.
"""

from __future__ import annotations

import contextlib
import enum
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Source, csv_source
from ..data.encoding import class_targets, label_column, looks_like_labels
from ..data.scaling import block_rows
from ..errors import ConfigError, DataError, ShapeError
from ..model import Model
from .options import library_errors_as_options, parse_numbers
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

    @property
    def named_inputs(self) -> list[str] | None:
        """The input columns' names, or None where they are positions (an array file's)."""
        file = (self.data_file or "").lower()
        return None if file.endswith((".npy", ".npz")) else list(self.feature_names)

    def sources(self) -> tuple[Source, Source]:
        """Names for the cells of ``X`` and of the targets in messages."""
        file = self.data_file
        if file is not None and file.lower().endswith(".csv"):
            return csv_source(file, self.feature_names), csv_source(file, self.target_names)
        return Source(self.source, self.feature_names), Source(self.source, self.target_names)

    def model(self, network: Any) -> Model:
        """The model to train: the network with these inputs' and targets' names."""
        return Model(network, feature_names=self.named_inputs, classes=self.classes,
                     class_names=self.class_names, target_names=self.target_names,
                     dataset=self.dataset, data_file=self.data_file)


def _is_classification_cost(cost: str | None) -> bool:
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


@contextlib.contextmanager
def _target_as_option() -> Iterator[None]:
    """The data loaders' errors about the target, worded for ``--target``."""
    try:
        with library_errors_as_options({"target": "--target"}):
            yield
    except DataError as exc:  # "FILE: no column named 'nope' for the target; ..."
        if "for the target" not in str(exc) or str(exc).startswith("--target"):
            raise
        raise DataError(f"--target: {exc}") from None


def _split_target(target: str | None, suffix: str) -> str | list[str] | None:
    if target is None or suffix != ".csv":
        return target
    names = [t.strip() for t in target.split(",")]
    return names[0] if len(names) == 1 else names


def as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _csv_labels(path: Path, target: str | None, task: Task) -> tuple[Array, Array, list[str],
                                                                     list[str], bool]:
    """A CSV whose one target column may hold text class labels (``cat``, ``dog``):
    ``X``, ``y`` and the names as :func:`~chainrule.data.load_csv` gives them, and
    whether the labels are text (:func:`~chainrule.data.encoding.label_column`)."""
    from ..data import load_csv

    X, texts, fnames, tnames = load_csv(path, target=target, labels=True)
    assert texts is not None
    y, is_text = label_column(texts, csv_source(path, tnames),
                              classification=task is Task.classification)
    return X, y, list(fnames), list(tnames), is_text


def file_data(path: Path, target: str | None, task: Task, cost: str | None) -> TrainingData:
    from ..data import load_data

    src = os.fspath(path)
    wanted = _split_target(target, path.suffix.lower())
    text_labels = False
    check_target_option(path, target)
    with _target_as_option():
        if path.suffix.lower() == ".csv" and task is not Task.regression \
                and not isinstance(wanted, list):
            X, y, fnames, tnames, text_labels = _csv_labels(path, wanted, task)
        else:
            X, y, fnames_t, tnames_t = load_data(path, target=wanted)
            fnames, tnames = list(fnames_t), list(tnames_t)
    if y is None:
        raise DataError(f"{src}: has no target; for a .npy file pass --target last (the last "
                        "column), for a .npz file store an array 'y' or name it with --target")
    if task is Task.auto:
        if text_labels or _is_classification_cost(cost) \
                or (cost is None and looks_like_labels(y)):
            task = Task.classification
        else:
            task = Task.regression
    data = TrainingData(X, y, y, task.value, src, None, src,
                        f"{X.shape[0]} rows of {path.name}", fnames, tnames)
    if task is Task.classification:
        if y.ndim == 2 and y.shape[1] != 1:
            raise ConfigError(f"--task: classification needs one label column, {src} has "
                              f"{y.shape[1]} target columns ({', '.join(tnames)})")
        data.Y, data.classes = encode_labels(y, None, cost, src)
        data.class_names = [str(c) for c in data.classes]
    return data


# ---------------------------------------------------------------------------
# A saved model and the data it is used on
# ---------------------------------------------------------------------------


def load_model_file(path: Path) -> Model:
    """The model saved at ``path``, whole (network, scaling, classes, names)."""
    return Model.load(path)


@dataclass
class ModelWithData:
    """A saved model and the data it is used on, read as in training."""

    model: Model
    X: Array  # (N, n_in), the model's inputs, not yet scaled
    y: Array | None  # the targets as read (labels or values); None where none were asked
    source: Source  # names X's cells
    targets: Source  # names y's cells

    @property
    def Y(self) -> Array:
        """The network's targets for ``y`` (one-hot rows for a classifier's labels)."""
        assert self.y is not None
        return self.model.targets(self.y, source=self.targets)


def model_with_data(model: Path, data: Path | None, dataset: str | None, need_targets: bool,
                    target: str | None = None, data_option: str = "DATA") -> ModelWithData:
    """Load ``model`` and read its data (:func:`model_data`); every input is checked to fit
    the network's dtype once scaled, before any output is written."""
    from ..data.scaling import check_fits

    m = model_data(load_model_file(model), data, dataset, need_targets, data_option, target)
    check_fits(m.X, m.model.scaler, m.model.network.dtype, m.source)
    return m


def _check_target_not_an_input(wanted: Sequence[str], features: Sequence[str] | None) -> None:
    """``--target`` may not name one of the model's inputs: that column would be fed in."""
    inputs = [w for w in wanted if features is not None and w in features]
    if inputs:
        raise ConfigError(f"--target: {', '.join(repr(w) for w in inputs)} is one of the "
                          f"model's inputs ({', '.join(repr(f) for f in features or [])}); "
                          "name the target column(s)")


def _csv_targets(data: Path, target: str | None, model: Model, need_targets: bool) -> list[str]:
    """The target columns of a CSV to use with a model: ``--target``, else the model's.

    Without targets to read (predict), the model's target columns that the file
    has are still left out of the inputs: they may hold text class labels.
    """
    from ..data import csv_header

    if target is not None:
        names = _split_target(target, ".csv")
        return [names] if isinstance(names, str) else list(names or [])
    model_targets = list(model.target_names or [])
    if need_targets:
        return model_targets or [csv_header(data)[-1]]
    header = csv_header(data)
    return [t for t in model_targets if t in header]


def check_data_choice(data: Path | None, dataset: str | None, target: str | None) -> None:
    """A data file or a built-in set, not both; ``--target`` only for a file."""
    if data is not None and dataset is not None:
        raise ConfigError("give either a data file or --dataset, not both")
    if data is not None:
        check_target_option(data, target)
    elif target is not None:
        raise ConfigError("--target: only for a data file; built-in sets know their target")


def model_data(model: Model, data: Path | None, dataset: str | None, need_targets: bool,
               data_option: str = "DATA", target: str | None = None) -> ModelWithData:
    """Inputs (raw) and, if asked, the targets as read, from a file or a built-in set.

    Without ``data`` or ``dataset``, the model's own built-in training set is used;
    ``data_option`` is how the command takes its data file (for messages).
    ``target`` names the file's target as ``--target`` does for ``train`` (CSV
    column names, ``last`` for a .npy, the array of a .npz): those columns are
    not inputs.  By default a CSV's targets are the model's target columns and a
    .npy's is its last column when targets are needed.
    """
    check_data_choice(data, dataset, target)
    if data is None:
        return _builtin_model_data(model, dataset, need_targets, data_option)
    m = _read_model_file(model, data, need_targets, target)
    if need_targets and m.y is None:
        raise DataError(f"{os.fspath(data)}: has no targets to evaluate against (a .npz needs "
                        "an array 'y'; a .npy holds them in its last column)")
    return m


def _builtin_model_data(model: Model, dataset: str | None, need_targets: bool,
                        data_option: str) -> ModelWithData:
    """:func:`model_data` from a built-in set (by default the model's own)."""
    from ..data import load_dataset

    name = dataset or model.dataset
    if name is None:
        raise ConfigError(f"{data_option}: give a data file (this model was not trained on "
                          "a built-in set)")
    ds = load_dataset(name)
    if ds.n_features != model.n_inputs:
        raise ShapeError(f"dataset {ds.name!r} has {ds.n_features} features; the model takes "
                         f"{model.n_inputs}")
    y = None
    if need_targets:
        y = ds.labels if ds.labels is not None and model.classes is not None else ds.y
    return ModelWithData(model, ds.X, y, Source(ds.name, list(ds.feature_names)),
                         Source(ds.name, list(ds.target_names)))


def _read_model_file(model: Model, data: Path, need_targets: bool,
                     target: str | None) -> ModelWithData:
    """The model's inputs X and the targets y (as stored) of a file, and their sources."""
    from ..data import load_array, load_csv

    src = os.fspath(data)
    suffix = data.suffix.lower()
    last_by_default = suffix == ".npy" and target is None and need_targets
    if suffix == ".csv":
        wanted = _csv_targets(data, target, model, need_targets)
        if target is not None:
            _check_target_not_an_input(wanted, model.feature_names)
        text = any(isinstance(c, str) for c in model.classes or [])
        labels = text and len(wanted) == 1
        # without targets every column is read, and the features picked by name
        with _target_as_option():
            X, y, fnames, tnames = load_csv(data, target=wanted[0] if labels else wanted,
                                            labels=labels)
        source = csv_source(data, list(model.feature_names or fnames))
        X = model.inputs(X, columns=list(fnames), source=source)
        return ModelWithData(model, X, y, source, csv_source(data, tnames))
    if suffix not in (".npy", ".npz"):
        raise DataError(f"{src}: unknown file type {suffix or 'without suffix'!r}; expected "
                        ".csv, .npy or .npz")
    # a .npz's target is a separate array: predict neither reads nor checks it
    wanted_array: str | tuple[()] | None = () if suffix == ".npz" and not need_targets \
        else "last" if last_by_default else target
    with _target_as_option():
        X, y, fnames, tnames = load_array(data, target=wanted_array)
    if X.shape[1] != model.n_inputs:
        hint = ""
        if suffix == ".npy" and target is None and X.shape[1] == model.n_inputs + 1:
            hint = " (if its last column is the target, pass --target last)"
        if last_by_default:  # the file may hold the features only
            raise ShapeError(f"{src}: its last column was taken as the target (a .npy holds "
                             f"the targets in its last column), leaving {X.shape[1]} feature "
                             f"columns; the model takes {model.n_inputs} (does the file have "
                             "a target column?)")
        raise ShapeError(f"{src}: has {X.shape[1]} feature columns; the model takes "
                         f"{model.n_inputs}{hint}")
    return ModelWithData(model, X, y, Source(src, list(fnames)), Source(src, list(tnames)))


# ---------------------------------------------------------------------------
# explain --y: a class label or the outputs
# ---------------------------------------------------------------------------


def _class_of(text: str, classes: list[Any], names: list[str]) -> Any | None:
    """The class that ``text`` names: a label as stored (``7`` also as ``7.0``) or a class name."""
    for c in classes:
        if str(c) == text:
            return c
    if text in names and len(names) == len(classes):
        return classes[names.index(text)]
    try:
        number = float(text)
    except ValueError:
        return None
    for c in classes:
        if isinstance(c, int | float) and not isinstance(c, bool) and c == number:
            return c
    return None


def example_targets(text: str, model: Model) -> Array:
    """``--y``: the outputs, comma-separated; for a classifier, one class label instead.

    For a classifier the whole text is first looked up among its classes (the
    labels in the model's metadata, or their names), so a label with a comma is
    still a label; otherwise it is the outputs: comma-separated numbers (a one-hot
    row), or, for a single-output classifier, one number in [0, 1].
    """
    classes, n_out = model.classes, model.n_outputs
    text = text.strip()
    if classes is None:
        return np.asarray(parse_numbers(text, "--y", n_out))
    names = list(model.class_names or [])
    label = _class_of(text, list(classes), names)
    if label is not None:
        return model.targets(np.asarray([label]), source=Source("--y"))[0]
    if "," in text or ";" in text:
        return np.asarray(parse_numbers(text, "--y", n_out))
    value = as_number(text)
    if n_out == 1 and value is not None and 0 <= value <= 1:
        return np.asarray([value])
    known = ", ".join(repr(c) for c in classes)  # quoted: a label may hold a comma
    if names and names != [str(c) for c in classes]:
        known += f" (or by name: {', '.join(repr(n) for n in names)})"
    outputs = ("its 1 output, a number in [0, 1]" if n_out == 1
               else f"its {n_out} outputs, comma-separated")
    raise ConfigError(f"--y: {text!r} is not a class of this model; its classes are "
                      f"{known}; or give {outputs}")
