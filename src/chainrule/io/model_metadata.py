"""The fields of a model file's metadata, checked one by one against the network they describe.

A model file's JSON document carries, beside the architecture, a ``metadata``
object.  Its keys below are the trained model's own fields (what
:class:`chainrule.Model` holds); any other key is the user's, kept as it is.

=================  ==========================================================
key                value
=================  ==========================================================
``feature_names``  null, or one distinct name per input (null: by position)
``standardizer``   null, or ``{"mean": [...], "scale": [...]}``, one finite
                   number per input, every scale > 0
``task``           null, ``"classification"`` or ``"regression"``
``classes``        null, or the class labels in output order: one per output,
                   or two for a single output (which gives ``P(classes[1])``);
                   all text, or all numbers (or booleans), none repeated
``class_names``    null, or one display name per class
``target_names``   null, or the names of the targets: one per output for
                   regression, the label column's (or columns') for classification
``training``       null, or the training summary (its known fields typed)
``dataset``        null, or the built-in data set it was trained on
``data_file``      null, or the data file it was trained on
=================  ==========================================================

Writing and reading apply the same checks, so a file that is written can be
read; a hostile file (``classes`` set to ``7``, a scale of 0, a cost that is a
string, a name holding a lone surrogate) is refused with an error naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..errors import ChainruleError

__all__ = ["MODEL_FIELDS", "TRAINING_FIELDS", "check_metadata"]

# The longest name (a column, a class) accepted, in characters.
MAX_NAME = 1000

Fail = Callable[[str], ChainruleError]

# The training summary's known fields and what each must hold (None always allowed).
TRAINING_FIELDS: dict[str, str] = {
    "status": "text", "optimizer": "text", "chainrule_version": "text",
    "learning_rate": "number", "validation": "number", "seconds": "number",
    "final_cost": "number", "final_val_cost": "number",
    "final_accuracy": "number", "final_val_accuracy": "number",
    "batch_size": "count", "epochs": "count", "epochs_run": "count", "seed": "count",
    "n_examples": "count", "best_epoch": "count", "saved_epoch": "count",
    "l2": "number", "patience": "count", "schedule": "text", "final_learning_rate": "number",
    "early_stopping": "flag", "stopped_early": "flag",
}

MODEL_FIELDS = ("feature_names", "standardizer", "task", "classes", "class_names",
                "target_names", "training", "dataset", "data_file")


def check_metadata(meta: dict[str, Any], layer_sizes: tuple[int, ...],
                   fail: Fail) -> dict[str, Any]:
    """Check the model's fields of ``meta`` against a network of ``layer_sizes``.

    Parameters
    ----------
    meta : dict
        The metadata object (parsed JSON).
    layer_sizes : tuple of int
        ``(n_in, …, n_out)``: names and scaling per input, classes per output.
    fail : callable
        Makes the error to raise from a message (that names the field).

    Returns
    -------
    dict
        ``meta`` itself.
    """
    n_in, n_out = layer_sizes[0], layer_sizes[-1]
    _names(meta, "feature_names", n_in, fail)
    _scaling(meta.get("standardizer"), n_in, fail)
    _text_or_null(meta, "dataset", fail)
    _text_or_null(meta, "data_file", fail)
    _training(meta.get("training"), fail)
    classes = meta.get("classes")
    task = meta.get("task")
    if task not in (None, "classification", "regression"):
        raise fail(f"metadata field 'task' must be 'classification' or 'regression', "
                   f"got {_short(task)}")
    if task is not None and (task == "classification") != (classes is not None):
        raise fail(f"metadata field 'task' is {task!r} but 'classes' is "
                   f"{'null' if classes is None else 'given'}")
    if classes is None:
        if meta.get("class_names") is not None:
            raise fail("metadata field 'class_names' is given without 'classes'")
        _names(meta, "target_names", n_out, fail)
        return meta
    _classes(classes, n_out, fail)
    _names(meta, "class_names", len(classes), fail, distinct=False)
    _names(meta, "target_names", None, fail)  # the label column's name (or names)
    return meta


def _short(x: object, limit: int = 80) -> str:
    r = repr(x)
    return r if len(r) <= limit else r[:limit] + "…"


def _text(value: object, field: str, fail: Fail) -> str:
    """A name: a string of at most MAX_NAME characters that UTF-8 can encode."""
    if not isinstance(value, str):
        raise fail(f"metadata field {field} must be text, got {_short(value)}")
    if len(value) > MAX_NAME:
        raise fail(f"metadata field {field} is longer than {MAX_NAME} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise fail(f"metadata field {field} holds a character that is not valid text "
                   f"(a lone surrogate): {_short(value)}") from None
    return value


def _text_or_null(meta: dict[str, Any], key: str, fail: Fail) -> None:
    if meta.get(key) is not None:
        _text(meta[key], repr(key), fail)


def _names(meta: dict[str, Any], key: str, n: int | None, fail: Fail, *,
           distinct: bool = True) -> None:
    """``meta[key]``: null, or a list of ``n`` names (any number for None; distinct ones
    unless told)."""
    names = meta.get(key)
    if names is None:
        return
    if not isinstance(names, list) or (n is not None and len(names) != n):
        got = f"{len(names)} names" if isinstance(names, list) else _short(names)
        raise fail(f"metadata field {key!r} must list {n or 'the'} name(s), got {got}")
    for k, name in enumerate(names):
        _text(name, f"'{key}[{k}]'", fail)
    if distinct and len(set(names)) != len(names):
        raise fail(f"metadata field {key!r} repeats a name: {_short(names)}")


def _number(value: object, field: str, fail: Fail) -> float:
    """A finite JSON number (not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(f"metadata field {field} must be a number, got {_short(value)}")
    try:
        x = float(value)
    except OverflowError:  # a JSON integer beyond the float range
        x = math.inf
    if not math.isfinite(x):
        raise fail(f"metadata field {field} must be a finite number, got {_short(value)}")
    return x


def _scaling(scaling: object, n_in: int, fail: Fail) -> None:
    if scaling is None:
        return
    if not isinstance(scaling, dict) or set(scaling) != {"mean", "scale"}:
        raise fail(f"metadata field 'standardizer' must hold exactly 'mean' and 'scale', "
                   f"got {_short(scaling)}")
    for key in ("mean", "scale"):
        values = scaling[key]
        if not isinstance(values, list) or len(values) != n_in:
            got = f"{len(values)} values" if isinstance(values, list) else _short(values)
            raise fail(f"metadata field 'standardizer.{key}' must list one number per input "
                       f"({n_in}), got {got}")
        for j, v in enumerate(values):
            x = _number(v, f"'standardizer.{key}[{j}]'", fail)
            if key == "scale" and x <= 0:
                raise fail(f"metadata field 'standardizer.scale[{j}]' must be positive, "
                           f"got {_short(v)}")


def _label(value: object, field: str, fail: Fail) -> object:
    if isinstance(value, str):
        return _text(value, field, fail)
    if isinstance(value, bool):
        return value
    return _number(value, field, fail)


def _classes(classes: object, n_out: int, fail: Fail) -> None:
    """One label per output, or two for a single output; all text or all numbers."""
    want = 2 if n_out == 1 else n_out
    if not isinstance(classes, list) or len(classes) != want:
        got = f"{len(classes)} classes" if isinstance(classes, list) else _short(classes)
        outputs = "a single output (P of the second class)" if n_out == 1 \
            else f"{n_out} outputs"
        raise fail(f"metadata field 'classes' must list {want} classes for {outputs}, "
                   f"got {got}")
    for k, c in enumerate(classes):
        _label(c, f"'classes[{k}]'", fail)
    if len({isinstance(c, str) for c in classes}) > 1:
        raise fail(f"metadata field 'classes' mixes text and numbers: {_short(classes)}")
    if len(set(classes)) != len(classes):
        raise fail(f"metadata field 'classes' repeats a class: {_short(classes)}")


def _training(summary: object, fail: Fail) -> None:
    if summary is None:
        return
    if not isinstance(summary, dict):
        raise fail(f"metadata field 'training' must be an object, got {_short(summary)}")
    for key, kind in TRAINING_FIELDS.items():
        value = summary.get(key)
        if value is None:
            continue
        field = f"'training.{key}'"
        if kind == "text":
            _text(value, field, fail)
        elif kind == "number":
            _number(value, field, fail)
        elif kind == "flag":
            if not isinstance(value, bool):
                raise fail(f"metadata field {field} must be true or false, got {_short(value)}")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise fail(f"metadata field {field} must be a whole number >= 0, "
                       f"got {_short(value)}")
