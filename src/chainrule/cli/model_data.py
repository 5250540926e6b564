"""A saved model and the data it is used on: what ``predict``, ``evaluate``, ``explain`` and
``landscape`` read, as ``train`` read it.

The model file is read whole (:class:`chainrule.Model`); a data file's columns are
matched to the model's inputs by name (a CSV) or by position (an array), and its
targets are found as ``--target`` says or as the model remembers them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Source, csv_source
from ..data.encoding import label_value
from ..errors import ConfigError, DataError, ShapeError
from ..model import Model
from .data_prep import as_number, check_data_choice, split_target, target_as_option
from .options import parse_numbers

Array = np.ndarray


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
                    target: str | None = None, data_option: str = "DATA",
                    delimiter: str = ",") -> ModelWithData:
    """Load ``model`` and read its data (:func:`model_data`); every input is checked to fit
    the network's dtype once scaled, before any output is written."""
    from ..data.scaling import check_fits

    m = model_data(load_model_file(model), data, dataset, need_targets, data_option, target,
                   delimiter)
    check_fits(m.X, m.model.scaler, m.model.network.dtype, m.source)
    return m


def _check_target_not_an_input(wanted: Sequence[str], features: Sequence[str] | None) -> None:
    """``--target`` may not name one of the model's inputs: that column would be fed in."""
    inputs = [w for w in wanted if features is not None and w in features]
    if inputs:
        raise ConfigError(f"--target: {', '.join(repr(w) for w in inputs)} is one of the "
                          f"model's inputs ({', '.join(repr(f) for f in features or [])}); "
                          "name the target column(s)")


def _csv_targets(data: Path, target: str | None, model: Model, need_targets: bool,
                 delimiter: str) -> list[str]:
    """The target columns of a CSV to use with a model: ``--target``, else the model's.

    Without targets to read (predict), the model's target columns that the file
    has are still left out of the inputs: they may hold text class labels.
    """
    header = _csv_header(data, delimiter, model, need_targets)
    if target is not None:
        names = split_target(target, ".csv")
        return [names] if isinstance(names, str) else list(names or [])
    model_targets = list(model.target_names or [])
    if need_targets:
        return model_targets or [[h for h in header if h][-1]]
    return [t for t in model_targets if t in header]


def _csv_header(data: Path, delimiter: str, model: Model, need_targets: bool) -> list[str]:
    """A CSV's column names; one column where the model needs more, holding another
    separator, is refused with a hint at ``--delimiter`` (as ``train`` gives it)."""
    from ..data import csv_header, delimiter_hint

    header = csv_header(data, delimiter=delimiter)
    hint = delimiter_hint(header)
    if hint and model.n_inputs + int(need_targets) > 1:
        raise DataError(f"{os.fspath(data)}: has one column {header[0]!r}; the model needs "
                        f"{model.n_inputs} input(s){' and a target' if need_targets else ''}"
                        + hint.replace("pass delimiter=", "pass --delimiter "))
    return header


def model_data(model: Model, data: Path | None, dataset: str | None, need_targets: bool,
               data_option: str = "DATA", target: str | None = None,
               delimiter: str = ",") -> ModelWithData:
    """Inputs (raw) and, if asked, the targets as read, from a file or a built-in set.

    Without ``data`` or ``dataset``, the model's own built-in training set is used;
    ``data_option`` is how the command takes its data file (for messages).
    ``target`` names the file's target as ``--target`` does for ``train`` (CSV
    column names, ``last`` for a .npy, the array of a .npz): those columns are
    not inputs.  By default a CSV's targets are the model's target columns and a
    .npy's is its last column when targets are needed; ``delimiter`` separates a
    CSV's cells.
    """
    check_data_choice(data, dataset, target)
    if data is None:
        return _builtin_model_data(model, dataset, need_targets, data_option)
    m = _read_data_file(model, data, need_targets, target, delimiter)
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


def _read_csv(model: Model, data: Path, need_targets: bool, target: str | None,
              delimiter: str) -> ModelWithData:
    """The model's inputs X and the targets y of a CSV: only the model's input columns
    (those the file has) and the targets are read, so a column of text may be beside."""
    from ..data import csv_header, load_csv

    wanted = _csv_targets(data, target, model, need_targets, delimiter)
    if target is not None:
        _check_target_not_an_input(wanted, model.feature_names)
    # a classifier's one label column is read as text and matched to the model's classes,
    # so a label that is no class is named as such, not as a cell that is no number
    labels = model.classes is not None and len(wanted) == 1
    header = csv_header(data, delimiter=delimiter)
    # a missing input is named by model.inputs, with the file's columns
    features = [f for f in model.feature_names or [] if f in header and f not in wanted]
    with target_as_option():
        X, y, fnames, tnames = load_csv(data, target=wanted[0] if labels else wanted,
                                        labels=labels, delimiter=delimiter,
                                        features=features or None)
    source = csv_source(data, list(model.feature_names or fnames), delimiter)
    X = model.inputs(X, columns=list(fnames), source=source)
    if labels and y is not None:
        y = _as_classes(y, list(model.classes or []))
    return ModelWithData(model, X, y, source, csv_source(data, tnames, delimiter))


def _as_classes(texts: Array, classes: list[Any]) -> Array:
    """Labels read as text, as the model's classes (``7`` also read from ``7.0``); a
    label that is no class stays (a number as a number), for :meth:`Model.targets` to
    name with its row."""
    found, at = np.unique(texts, return_inverse=True)
    values = [_class_of(str(t), classes, []) for t in found]
    if all(v is not None for v in values):
        return np.asarray(values)[at]
    out = np.empty(len(found), dtype=object)
    out[:] = [v if v is not None else t if as_number(t) is None else label_value(as_number(t))
              for t, v in zip(found, values, strict=True)]
    return out[at]


def _read_data_file(model: Model, data: Path, need_targets: bool,
                     target: str | None, delimiter: str = ",") -> ModelWithData:
    """The model's inputs X and the targets y (as stored) of a file, and their sources."""
    from ..data import load_array

    src = os.fspath(data)
    suffix = data.suffix.lower()
    last_by_default = suffix == ".npy" and target is None and need_targets
    if suffix == ".csv":
        return _read_csv(model, data, need_targets, target, delimiter)
    if suffix not in (".npy", ".npz"):
        raise DataError(f"{src}: unknown file type {suffix or 'without suffix'!r}; expected "
                        ".csv, .npy or .npz")
    # a .npz's target is a separate array: predict neither reads nor checks it
    wanted_array: str | tuple[()] | None = () if suffix == ".npz" and not need_targets \
        else "last" if last_by_default else target
    with target_as_option():
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
