"""Targets for a network: class labels as one-hot rows and back, and telling labels apart.

A classifier with ``K >= 2`` outputs learns one-hot rows ``Y[k, i] = 1`` for the
class ``classes[i]`` of example ``k``; one with a single output learns ``y = 1``
for the second of two classes.  Its outputs go back to labels by the largest
output, or for a single output by ``a >= 1/2``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError, ShapeError
from ..utils import validation
from ..utils.validation import read_into_memory
from .source import Source

__all__ = ["MAX_AUTO_CLASSES", "class_targets", "label_column", "label_value",
           "looks_like_labels", "one_hot", "predicted_labels"]

Array = np.ndarray

# A numeric target with at most this many distinct whole values is taken for class labels.
MAX_AUTO_CLASSES = 20


def one_hot(labels: object, classes: object = None) -> tuple[Array, Array]:
    """One-hot rows ``Y[k, i] = 1`` if ``labels[k] == classes[i]`` else 0.

    Parameters
    ----------
    labels : array-like of shape (N,) or (N, 1)
    classes : array-like of shape (K,), optional
        The classes in column order; by default the sorted distinct labels.

    Returns
    -------
    Y : ndarray of shape (N, K), float64
    classes : ndarray of shape (K,)

    Raises
    ------
    DataError
        For a label that is not one of ``classes`` (naming it), or a NaN label.
    ConfigError
        For repeated ``classes``.
    """
    y = np.asarray(labels)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ShapeError(f"labels: expected shape (N,) or (N, 1), got {y.shape}")
    if y.size == 0:
        raise DataError("labels: is empty; need at least one example")
    if y.dtype.kind in "fc" and np.isnan(y).any():
        raise DataError(f"labels: row {int(np.flatnonzero(np.isnan(y))[0])} is NaN, not a class")
    if classes is None:
        C = np.unique(y)
    else:
        C = np.asarray(classes)
        if C.ndim != 1 or C.size == 0:
            raise ConfigError(f"classes: expected a non-empty 1-D list, got shape {C.shape}")
        if np.unique(C).size != C.size:
            raise ConfigError(f"classes: repeats a class: {C.tolist()}")
    order = np.argsort(C, kind="stable")
    sorted_C = C[order]
    try:
        pos = np.clip(np.searchsorted(sorted_C, y), 0, C.size - 1)  # (N,) index into sorted_C
        found = np.asarray(sorted_C[pos] == y, dtype=bool)
    except TypeError:  # e.g. text labels among numbers, against numeric or text classes
        known = set(C.tolist())
        found = np.fromiter((v in known for v in y.tolist()), dtype=bool, count=y.size)
        if found.all():
            raise DataError(f"labels: of dtype {y.dtype} cannot be matched with classes of "
                            f"dtype {C.dtype} ({C.tolist()})") from None
    if not found.all():
        k = int(np.flatnonzero(~found)[0])
        label = y[k].item() if isinstance(y[k], np.generic) else y[k]  # object arrays hold str
        error = DataError(f"labels: row {k} has label {label!r}, which is not one of the "
                          f"classes {C.tolist()}")
        error.row, error.label = k, label  # for callers that know the file's rows
        raise error
    Y = np.zeros((y.shape[0], C.size))  # (N, K)
    Y[np.arange(y.shape[0]), order[pos]] = 1.0
    return Y, C



def label_value(value: object) -> Any:
    """A class label as a plain Python value for JSON: NumPy scalars become Python ones and
    whole floats integers (``1.0`` → ``1``: numeric labels of a file are read as floats)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _row(source: Source, k: int) -> str:
    return source.row_names(k) if source.row_names is not None else f"row {k} (counting from 0)"


def class_targets(labels: object, classes: Sequence[Any] | None = None, *,
                  single_output: bool = False,
                  source: Source | None = None) -> tuple[Array, list[Any]]:
    """The network's targets for class labels, and the classes in output order.

    Parameters
    ----------
    labels : array-like of shape (N,) or (N, 1)
        One label per example (a memory-mapped column is read block by block).
    classes : sequence, optional
        The classes in output order (a model's); by default the sorted distinct
        labels, of which there must be at least two.
    single_output : bool, default False
        One output column ``y = [label == classes[1]]`` for exactly two classes
        (a logistic output with binary cross-entropy), instead of one-hot rows.
    source : Source, optional
        Names the labels in messages (by default ``y``, rows counted from 0).

    Returns
    -------
    Y : ndarray of shape (N, K), or (N, 1) with ``single_output``, float64
    classes : list
        Plain Python labels (:func:`label_value`).

    Raises
    ------
    DataError
        For a label that is not one of the given ``classes`` (naming its row), or
        a target of one class only.
    ConfigError
        For ``single_output`` with other than two classes.
    """
    source = source if source is not None else Source("y")
    labels = read_into_memory(np.asarray(labels) if not isinstance(labels, np.ndarray)
                              else labels, "y")  # a column of a .npy: not paged in whole
    try:
        Y, found = one_hot(labels, classes=None if classes is None else np.asarray(classes))
    except DataError as exc:
        k = getattr(exc, "row", None)
        if k is None or classes is None:
            raise
        where = source.where(k, 0) if len(source.columns) == 1 and source.row_names \
            else f"{source.name}: {_row(source, k)}"
        raise DataError(f"{where}: label "
                        f"{label_value(exc.label)!r} is not one of the model's classes "
                        f"{[label_value(c) for c in classes]}") from None
    if classes is None and found.size < 2:
        raise DataError(f"{source.name}: the target has only one class "
                        f"({label_value(found[0])!r}); classification needs at least two")
    if single_output:
        if Y.shape[1] != 2:
            raise ConfigError(f"{source.name}: has {Y.shape[1]} classes; a single output tells "
                              "exactly 2 apart")
        Y = Y[:, 1:]  # y = 1 for the second class
    return Y, [label_value(c) for c in found]


def predicted_labels(A: Array, classes: Sequence[Any]) -> list[Any]:
    """The class of each row of outputs ``A`` (N, K): the largest output's, or for one
    output the second class where ``a >= 1/2``."""
    k = (A[:, 0] >= 0.5).astype(int) if A.shape[1] == 1 else A.argmax(axis=1)
    return [classes[i] for i in k]


def looks_like_labels(y: Array, max_classes: int = MAX_AUTO_CLASSES) -> bool:
    """One column of at most ``max_classes`` distinct whole numbers: class labels rather
    than a quantity.  Whole means an integer that a float64 holds exactly (``|y| ≤ 2**53``):
    beyond, every float is whole and none is a label (1e200 is a quantity).

    Read block by block and stopped at the first fraction or once more than
    ``max_classes`` values are seen, so a memory-mapped regression target is not
    read whole.
    """
    if y.ndim != 2 or y.shape[1] != 1:
        return False
    from .scaling import block_rows

    seen: set[float] = set()
    for _, block in validation.row_blocks(y, block_rows(y), "y"):
        col = np.asarray(block[:, 0], dtype=np.float64)
        if not np.array_equal(col, np.round(col)) or np.abs(col).max() > 2.0**53:
            return False
        seen.update(np.unique(col).tolist())
        if len(seen) > max_classes:
            return False
    return len(seen) >= 2


def label_column(texts: Array, source: Source, *,
                 classification: bool | None = None) -> tuple[Array, bool]:
    """A target column read as text: numbers, or text class labels (``cat``, ``dog``).

    Parameters
    ----------
    texts : ndarray of str, shape (N,)
        The cells, stripped (as :func:`~chainrule.data.load_csv` gives them
        with ``labels=True``).
    source : Source
        Names the column (``columns[0]``) and its rows in messages.
    classification : bool, optional
        True: words among numbers are classes too.  Otherwise a column of
        numbers with a stray word is an error (a typo in a numeric target).

    Returns
    -------
    y : ndarray
        float64 of shape (N, 1) when every cell is a number, else ``texts``.
    is_text : bool

    Raises
    ------
    DataError
        Naming the row and column: NaN or infinity among numbers, a word among
        numbers (unless ``classification``), ``nan`` among words (a missing label).
    """
    import pandas as pd

    values = pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce").to_numpy(float)
    nan_words = np.isin(np.char.lower(texts.astype(str)), ("nan", "+nan", "-nan"))
    words = np.isnan(values) & ~nan_words  # not a number at all
    if not words.any():  # numbers: NaN and infinity refused
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            k = int(bad[0])
            what = "NaN" if np.isnan(values[k]) else "infinity"
            raise DataError(f"{source.where(k, 0)}: {what} is not allowed; every cell must be "
                            "a finite number")
        return values.reshape(-1, 1), False  # (N, 1)
    if classification is not True and np.isfinite(values).any():
        k = int(np.argmax(words))
        raise DataError(f"{source.where(k, 0)}: cannot read {str(texts[k])!r} as a number (for "
                        "text class labels in a column of numbers, train a classifier: --task "
                        "classification, or task='classification')")
    # Words: the column holds text class labels.  'nan' among them is a missing label, refused
    # as an empty cell is; 'inf' is just a word.
    if nan_words.any():
        k = int(np.argmax(nan_words))
        raise DataError(f"{source.where(k, 0)}: {str(texts[k])!r} is a missing value (NaN), "
                        "not a class label; every row needs a label")
    return texts, True
