"""Data for the commands: reading, label detection and encoding, scaling, predictions.

This is library logic that still lives in the command line (issue 10 moves it into
``chainrule.data`` and the model): which task a file's target calls for, text class
labels and their one-hot encoding, the CSV columns a model takes, the stored
standardisation applied out of core (a memory-mapped ``.npy`` block by block), and
predictions written block by block as CSV or ``.npy``.
"""

from __future__ import annotations

import contextlib
import csv
import enum
import io
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from ..data.encoding import class_targets, looks_like_labels
from ..data.scaling import block_rows, scale_block, standardized
from ..data.scaling import check_fits as fits_dtype
from ..errors import ConfigError, DataError, ShapeError
from ..nn.network import Network
from ..utils.validation import BLOCK_BYTES
from .options import library_errors_as_options, parse_numbers
from .printing import json_label
from .reporting import say

if TYPE_CHECKING:
    from ..data import Dataset

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
    task: str
    source: str  # a dataset name or a file path, for messages
    dataset: str | None
    data_file: str | None
    description: str
    feature_names: list[str]
    target_names: list[str]  # regression outputs, or the label column(s) of a file
    classes: list[Any] | None = None  # label values, in output order
    class_names: list[str] | None = None


def _is_classification_cost(cost: str | None) -> bool:
    return cost in ("cross_entropy", "binary_cross_entropy")


def encode_labels(labels: Array, classes: Sequence[Any] | None, cost: str | None,
                  src: str) -> tuple[Array, list[Any]]:
    """One-hot rows (one column for binary cross-entropy) and the classes in column order."""
    from ..data import Source as DataSource
    from ..data import csv_source

    is_csv = src.lower().endswith(".csv") and Path(src).is_file()
    source = csv_source(src, []) if is_csv else DataSource(src)
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
    data = TrainingData(ds.X, ds.y, ds.task, ds.name, ds.name, None, ds.description,
                        list(ds.feature_names), list(ds.target_names))
    if ds.task == "classification":
        assert ds.labels is not None
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
    """A CSV whose one target column may hold text class labels (``cat``, ``dog``).

    Returns ``X``, ``y`` and the names as :func:`load_csv` does, and whether the
    labels are text: ``y`` is then a 1-D array of str, otherwise float64 of shape
    (N, 1) exactly as the numeric loader gives it.  A column of numbers with a
    stray word stays an error (a typo in a numeric target) unless ``--task
    classification`` says the words are classes.
    """
    from ..data import csv_row_numbers, load_csv

    src = os.fspath(path)
    X, labels, fnames, tnames = load_csv(path, target=target, labels=True)
    assert labels is not None
    values = [as_number(t) for t in labels.tolist()]
    is_number = [v is not None and math.isfinite(v) for v in values]
    if all(v is not None for v in values):  # no word: numbers (NaN and infinity refused)
        y = np.asarray(values, dtype=np.float64).reshape(-1, 1)  # (N, 1)
        bad = np.flatnonzero(~np.isfinite(y[:, 0]))
        if bad.size:
            k = int(bad[0])
            what = "NaN" if np.isnan(y[k, 0]) else "infinity"
            raise DataError(f"{src}: row {csv_row_numbers(path)[k]}, column {tnames[0]!r}: "
                            f"{what} is not allowed; every cell must be a finite number")
        return X, y, list(fnames), list(tnames), False
    if any(is_number) and task is not Task.classification:
        k = values.index(None)
        raise DataError(f"{src}: row {csv_row_numbers(path)[k]}, column {tnames[0]!r}: cannot "
                        f"read {str(labels[k])!r} as a number (for text class labels in a column "
                        "of numbers, pass --task classification)")
    # Words: the column holds text class labels.  'nan' among them is a missing label, refused
    # as an empty cell is; 'inf' is just a word.
    missing = [k for k, v in enumerate(values) if v is not None and math.isnan(v)]
    if missing:
        k = missing[0]
        raise DataError(f"{src}: row {csv_row_numbers(path)[k]}, column {tnames[0]!r}: "
                        f"{str(labels[k])!r} is a missing value (NaN), not a class label; "
                        "every row needs a label")
    return X, labels, list(fnames), list(tnames), True


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
    data = TrainingData(X, y, task.value, src, None, src, f"{X.shape[0]} rows of {path.name}",
                        fnames, tnames)
    if task is Task.classification:
        if y.ndim == 2 and y.shape[1] != 1:
            raise ConfigError(f"--task: classification needs one label column, {src} has "
                              f"{y.shape[1]} target columns ({', '.join(tnames)})")
        data.Y, data.classes = encode_labels(y, None, cost, src)
        data.class_names = [str(c) for c in data.classes]
    return data


def in_data_units(net: Network, scaler: Any) -> Network:
    """A copy of ``net`` that takes raw inputs: the standardisation folded into layer 1.

    ``W(1) (x − m) / s + b(1) = W' x + b'`` with ``W' = W(1) diag(1/s)`` and
    ``b' = b(1) − W' m``.
    """
    if scaler is None:
        return net
    raw = net.copy()
    W1 = net.W[0] / scaler.scale_  # (n1, n0): column i divided by s_i
    raw.W[0][...] = W1
    raw.b[0][...] = net.b[0] - W1 @ scaler.mean_
    return raw


def load_model_file(model: Path) -> tuple[Network, dict[str, Any]]:
    from ..io.model_file import load_model

    return load_model(model)


@dataclass
class ModelWithData:
    """A saved model and the data it is used on, read as in training."""

    net: Network
    meta: dict[str, Any]
    X: Array  # (N, n_in), raw: ``scaler`` gives it to the network
    Y: Array | None  # (N, n_out), encoded for the cost; None where no targets were asked
    source: Source
    scaler: Any  # the stored input scaling (a Standardizer), or None


def model_with_data(model: Path, data: Path | None, dataset: str | None, need_targets: bool,
                    target: str | None = None, data_option: str = "DATA") -> ModelWithData:
    """Load ``model`` and read its data (:func:`model_data`); every input is checked to fit
    the network's dtype once scaled, before any output is written."""
    net, meta = load_model_file(model)
    X, Y, source = model_data(net, meta, data, dataset, need_targets, data_option, target)
    scaler = stored_scaler(meta)
    check_fits(X, scaler, net, source)
    return ModelWithData(net, meta, X, Y, source, scaler)


def _named_features(meta: dict[str, Any]) -> list[str] | None:
    """The model's input column names, or None where they are only positions (a model
    trained on a .npy or .npz, whose columns were called x0, x1, ...)."""
    names = meta.get("feature_names")
    data_file = str(meta.get("data_file") or "")
    if not names or data_file.lower().endswith((".npy", ".npz")):
        return None
    return [str(n) for n in names]


def _select_features(table: Array, names: list[str], features: list[str] | None, n: int,
                     src: str) -> Array:
    """The model's input columns of a CSV, by name; by position only when the model's
    inputs have no names (then the file must have exactly ``n`` columns left)."""
    if features is None:
        if table.shape[1] == n:
            return table
        raise ShapeError(f"{src}: expected {n} feature columns (as in training); the file has "
                         f"{table.shape[1]}: {', '.join(repr(c) for c in names)}")
    missing = [f for f in features if f not in names]
    if missing:
        raise ShapeError(f"{src}: has no column {', '.join(repr(m) for m in missing)}; the "
                         f"model's inputs are {', '.join(repr(f) for f in features)} and the "
                         f"file's columns {', '.join(repr(c) for c in names)}")
    return table[:, [names.index(f) for f in features]]


def _check_target_not_an_input(wanted: Sequence[str], features: list[str] | None) -> None:
    """``--target`` may not name one of the model's inputs: that column would be fed in."""
    inputs = [w for w in wanted if features is not None and w in features]
    if inputs:
        raise ConfigError(f"--target: {', '.join(repr(w) for w in inputs)} is one of the "
                          f"model's inputs ({', '.join(repr(f) for f in features or [])}); "
                          "name the target column(s)")


@dataclass
class Source:
    """Where a model's inputs came from, to name a row and column in messages."""

    name: str  # the file path or the built-in set's name
    columns: list[str]  # the names of X's columns
    csv: Path | None = None  # a CSV file: rows are named as the file counts them

    def where(self, i: int, j: int) -> str:
        """``"FILE: row R, column 'c'"`` for row ``i`` (0-based) and column ``j`` of X;
        ``"--x: value 2 ('c')"`` for the one example an option gives."""
        column = self.columns[j] if j < len(self.columns) else str(j)
        if self.name.startswith("--"):
            return f"{self.name}: value {j + 1}" + (f" ({column!r})" if self.columns else "")
        if self.csv is not None:
            from ..data import csv_row_numbers

            row = f"row {csv_row_numbers(self.csv)[i]}"  # 1-based, the header is row 1
        else:
            row = f"row {i}"
        return f"{self.name}: {row}, column {column!r}"


def _csv_targets(data: Path, target: str | None, meta: dict[str, Any],
                 need_targets: bool) -> list[str]:
    """The target columns of a CSV to use with a model: ``--target``, else the model's.

    Without targets to read (predict), the model's target columns that the file
    has are still left out of the inputs: they may hold text class labels.
    """
    from ..data import csv_header

    if target is not None:
        names = _split_target(target, ".csv")
        return [names] if isinstance(names, str) else list(names or [])
    model_targets = list(meta.get("target_names") or [])
    if need_targets:
        return model_targets or [csv_header(data)[-1]]
    header = csv_header(data)
    return [t for t in model_targets if t in header]


def is_classifier(meta: dict[str, Any]) -> bool | None:
    """True for a model trained on classes (whatever its cost: accuracy is counted);
    None leaves it to the library (cross-entropy networks)."""
    return True if meta.get("classes") is not None else None


def _text_classes(classes: object) -> bool:
    return isinstance(classes, list) and any(isinstance(c, str) for c in classes)


def check_data_choice(data: Path | None, dataset: str | None, target: str | None) -> None:
    """A data file or a built-in set, not both; ``--target`` only for a file."""
    if data is not None and dataset is not None:
        raise ConfigError("give either a data file or --dataset, not both")
    if data is not None:
        check_target_option(data, target)
    elif target is not None:
        raise ConfigError("--target: only for a data file; built-in sets know their target")


def model_data(net: Network, meta: dict[str, Any], data: Path | None, dataset: str | None,
               need_targets: bool, data_option: str = "DATA",
               target: str | None = None) -> tuple[Array, Array | None, Source]:
    """Inputs (raw) and, if asked, targets encoded as in training, from a file or a built-in set.

    Without ``data`` or ``dataset``, the model's own built-in training set is used;
    ``data_option`` is how the command takes its data file (for messages).
    ``target`` names the file's target as ``--target`` does for ``train`` (CSV
    column names, ``last`` for a .npy, the array of a .npz): those columns are
    not inputs.  By default a CSV's targets are the model's target columns and a
    .npy's is its last column when targets are needed.
    """
    check_data_choice(data, dataset, target)
    if data is None:
        return _builtin_model_data(net, meta, dataset, need_targets, data_option)
    src = os.fspath(data)
    X, y, source, targets = _read_model_file(net, meta, data, need_targets, target)
    if not need_targets:
        return X, None, source
    if y is None:
        raise DataError(f"{src}: has no targets to evaluate against (a .npz needs an array "
                        "'y'; a .npy holds them in its last column)")
    classes = meta.get("classes")
    if classes is not None and not (y.ndim == 2 and y.shape[1] == net.n_outputs
                                    and net.n_outputs > 1):
        Y, _ = encode_labels(y, classes, net.cost.name, src)
    else:
        Y = y
    if Y.shape[1] != net.n_outputs:
        raise ShapeError(f"{src}: has {Y.shape[1]} target columns; the model has "
                         f"{net.n_outputs} outputs")
    check_fits(Y, None, net, targets)
    return X, Y, source


def _builtin_model_data(net: Network, meta: dict[str, Any], dataset: str | None,
                        need_targets: bool,
                        data_option: str) -> tuple[Array, Array | None, Source]:
    """:func:`model_data` from a built-in set (by default the model's own)."""
    from ..data import load_dataset

    name = dataset or meta.get("dataset")
    if name is None:
        raise ConfigError(f"{data_option}: give a data file (this model was not trained on "
                          "a built-in set)")
    ds: Dataset = load_dataset(name)
    if ds.n_features != net.n_inputs:
        raise ShapeError(f"dataset {ds.name!r} has {ds.n_features} features; the model takes "
                         f"{net.n_inputs}")
    Y = None
    if need_targets:
        classes = meta.get("classes")
        if ds.labels is not None and classes is not None:
            Y, _ = encode_labels(ds.labels, classes, net.cost.name, ds.name)
        else:
            Y = ds.y
    return ds.X, Y, Source(ds.name, list(ds.feature_names))


def _read_model_file(net: Network, meta: dict[str, Any], data: Path, need_targets: bool,
                     target: str | None) -> tuple[Array, Array | None, Source, Source]:
    """The model's inputs X and the targets y (as stored) of a file, and their sources."""
    from ..data import load_array, load_csv

    src = os.fspath(data)
    features = _named_features(meta)
    suffix = data.suffix.lower()
    last_by_default = suffix == ".npy" and target is None and need_targets
    if suffix == ".csv":
        wanted = _csv_targets(data, target, meta, need_targets)
        if target is not None:
            _check_target_not_an_input(wanted, features)
        labels = _text_classes(meta.get("classes")) and len(wanted) == 1
        # without targets every column is read, and the features picked by name
        with _target_as_option():
            X, y, fnames, tnames = load_csv(data, target=wanted[0] if labels else wanted,
                                            labels=labels)
        X = _select_features(X, list(fnames), features, net.n_inputs, src)
        source = Source(src, list(features) if features else list(fnames), csv=data)
        targets = Source(src, list(tnames), csv=data)
    elif suffix in (".npy", ".npz"):
        # a .npz's target is a separate array: predict neither reads nor checks it
        wanted_array: str | tuple[()] | None = () if suffix == ".npz" and not need_targets \
            else "last" if last_by_default else target
        with _target_as_option():
            X, y, fnames, tnames = load_array(data, target=wanted_array)
        source, targets = Source(src, list(fnames)), Source(src, list(tnames))
    else:
        raise DataError(f"{src}: unknown file type {suffix or 'without suffix'!r}; expected "
                        ".csv, .npy or .npz")
    if X.shape[1] != net.n_inputs:
        hint = ""
        if suffix == ".npy" and target is None and X.shape[1] == net.n_inputs + 1:
            hint = " (if its last column is the target, pass --target last)"
        if last_by_default:  # the file may hold the features only
            raise ShapeError(f"{src}: its last column was taken as the target (a .npy holds "
                             f"the targets in its last column), leaving {X.shape[1]} feature "
                             f"columns; the model takes {net.n_inputs} (does the file have "
                             "a target column?)")
        raise ShapeError(f"{src}: has {X.shape[1]} feature columns; the model takes "
                         f"{net.n_inputs}{hint}")
    return X, y, source, targets


def stored_scaler(meta: dict[str, Any]) -> Any:
    """The input scaling stored at training time (None if there was none)."""
    from ..data import Standardizer

    scaling = meta.get("standardizer")
    return Standardizer.from_dict(scaling) if scaling else None


def standardize_inputs(X: Array, scaler: Any, source: Source,
                       stack: contextlib.ExitStack) -> Array:
    """``(X − mean) / scale`` without holding a memory-mapped ``X`` in memory."""
    return standardized(X, scaler, source, stack)  # type: ignore[arg-type]


def check_fits(X: Array, scaler: Any, net: Network, source: Source) -> None:
    """A float32 network's inputs must fit float32 (naming the file, row and column)."""
    fits_dtype(X, scaler, net.dtype, source)  # type: ignore[arg-type]


def transform_all(X: Array, meta: dict[str, Any], source: Source) -> Array:
    """``X`` scaled as in training, in memory (for what needs all of it at once)."""
    scaler = stored_scaler(meta)
    return scale_block(scaler, X, 0, source) if scaler is not None else X  # type: ignore[arg-type]


def predict_blocks(net: Network, X: Array, scaler: Any,
                   source: Source) -> Iterator[tuple[int, Array]]:
    """``(start, P)`` for each block of rows: scaled as in training, then predicted.

    Block by block, so predicting on a large memory-mapped file needs memory for
    one block only.
    """
    from ..utils.validation import row_blocks

    # the same blocks whether X is in memory or a column range of a file: BLAS groups the
    # rows of a product by block, so other blocks would round a few outputs differently
    per_row = max(X.shape[1] * X.itemsize, 8 * 4 * max(net.layer_sizes), 1)
    rows = max(1, BLOCK_BYTES // per_row)  # the forward pass keeps a few layers
    for start, block in row_blocks(X, rows, "X", exact=True):
        Xb = scale_block(scaler, block, start, source) if scaler is not None \
            else block  # type: ignore[arg-type]
        yield start, net.predict(Xb)  # (rows, n_out)


def output_names(net: Network, meta: dict[str, Any]) -> list[str]:
    """The header of ``predict``'s CSV: one column per class for a classifier (``p_cat``
    for a softmax's probabilities, ``y_cat`` for the outputs of another output layer, e.g.
    a squared-error network on one-hot classes), else the target columns."""
    names = meta.get("class_names") or meta.get("classes")
    if names is not None and len(names) == net.n_outputs and net.n_outputs > 1:
        prefix = "p" if net.activations[-1].name == "softmax" else "y"
        return [f"{prefix}_{c}" for c in names]
    if names is not None and net.n_outputs == 1 and len(names) == 2:
        return [f"p_{names[1]}"]
    targets = meta.get("target_names") or []
    if len(targets) == net.n_outputs:
        return list(targets)
    return [f"y{j}" for j in range(net.n_outputs)]


def _predicted_labels(P: Array, meta: dict[str, Any]) -> list[Any] | None:
    classes = meta.get("classes")
    if classes is None:
        return None
    k = (P[:, 0] >= 0.5).astype(int) if P.shape[1] == 1 else P.argmax(axis=1)
    return [classes[i] for i in k]


def csv_text(P: Array, names: list[str] | None, labels: list[Any] | None) -> str:
    """Predictions as CSV (with a header row unless ``names`` is None); ``repr`` of each
    float reads back to the same number exactly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if names is not None:
        writer.writerow(names + (["predicted"] if labels is not None else []))
    for k, row in enumerate(P.tolist()):
        writer.writerow([repr(v) for v in row] + ([labels[k]] if labels is not None else []))
    return buf.getvalue()


def write_predictions(f: BinaryIO, blocks: Iterator[tuple[int, Array]], n: int, net: Network,
                      meta: dict[str, Any], npy: bool) -> None:
    """Predictions written block by block: an .npy array (N, n_out), or CSV text."""
    if npy:
        np.lib.format.write_array_header_1_0(f, {
            "descr": np.lib.format.dtype_to_descr(net.dtype), "fortran_order": False,
            "shape": (n, net.n_outputs)})
    for start, P in blocks:
        if npy:
            f.write(np.ascontiguousarray(P, net.dtype).data)
        else:
            names = output_names(net, meta) if start == 0 else None
            f.write(csv_text(P, names, _predicted_labels(P, meta)).encode())


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


def example_targets(text: str, net: Network, meta: dict[str, Any]) -> Array:
    """``--y``: the outputs, comma-separated; for a classifier, one class label instead.

    For a classifier the whole text is first looked up among its classes (the
    labels in the model's metadata, or their names), so a label with a comma is
    still a label; otherwise it is the outputs: comma-separated numbers (a one-hot
    row), or, for a single-output classifier, one number in [0, 1].
    """
    classes = meta.get("classes")
    text = text.strip()
    if classes is None:
        return np.asarray(parse_numbers(text, "--y", net.n_outputs))
    names = [str(c) for c in (meta.get("class_names") or [])]
    label = _class_of(text, list(classes), names)
    if label is not None:
        Y, _ = encode_labels(np.asarray([label]), classes, net.cost.name, "--y")
        return Y[0]
    if "," in text or ";" in text:
        return np.asarray(parse_numbers(text, "--y", net.n_outputs))
    value = as_number(text)
    if net.n_outputs == 1 and value is not None and 0 <= value <= 1:
        return np.asarray([value])
    known = ", ".join(repr(c) for c in classes)  # quoted: a label may hold a comma
    if names and names != [str(c) for c in classes]:
        known += f" (or by name: {', '.join(repr(n) for n in names)})"
    outputs = ("its 1 output, a number in [0, 1]" if net.n_outputs == 1
               else f"its {net.n_outputs} outputs, comma-separated")
    raise ConfigError(f"--y: {text!r} is not a class of this model; its classes are "
                      f"{known}; or give {outputs}")
