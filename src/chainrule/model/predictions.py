"""Predictions written block by block: CSV text with a header, or a ``.npy`` array.

What ``chainrule predict`` writes, so that predicting on a memory-mapped file
needs memory for one block of rows only.  Every float is written as ``repr``
writes it, which reads back to the same number exactly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any, BinaryIO

import numpy as np

from ..data.encoding import predicted_labels
from ..data.source import Source
from .model import Model

__all__ = ["csv_text", "output_names", "write_predictions"]

Array = np.ndarray


def output_names(model: Model) -> list[str]:
    """A name per output: one per class for a classifier (``p_cat`` for a softmax's
    probabilities, ``y_cat`` for another output layer's values, e.g. a squared-error
    network on one-hot classes; ``p_dog`` for the single output of two classes), else
    the target names (``y0, y1, ...`` without them)."""
    net = model.network
    names = model.class_names or model.classes
    if names is not None and len(names) == net.n_outputs and net.n_outputs > 1:
        prefix = "p" if net.activations[-1].name == "softmax" else "y"
        return [f"{prefix}_{c}" for c in names]
    if names is not None and net.n_outputs == 1 and len(names) == 2:
        return [f"p_{names[1]}"]
    targets = model.target_names or ()
    if len(targets) == net.n_outputs:
        return list(targets)
    return [f"y{j}" for j in range(net.n_outputs)]


def csv_text(A: Array, names: Sequence[str] | None, labels: Sequence[Any] | None) -> str:
    """Rows of outputs as CSV (with a header row unless ``names`` is None), each
    followed by its predicted class when ``labels`` are given."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if names is not None:
        writer.writerow([*names, *(["predicted"] if labels is not None else [])])
    for k, row in enumerate(A.tolist()):
        writer.writerow([repr(v) for v in row] + ([labels[k]] if labels is not None else []))
    return buf.getvalue()


def write_predictions(f: BinaryIO, model: Model, X: object, *, npy: bool = False,
                      source: Source | None = None) -> None:
    """Write ``model``'s predictions for ``X`` to the binary stream ``f``, block by block.

    Parameters
    ----------
    f : binary file
    model : Model
    X : array-like, memmap or DataFrame
        As :meth:`Model.outputs` takes it.
    npy : bool, default False
        An ``.npy`` array (N, n_outputs) of the network's dtype; else CSV with a
        header of :func:`output_names` and, for a classifier, a ``predicted``
        column of class labels.
    source : Source, optional
        Names ``X`` in messages.
    """
    net = model.network
    n = int(np.shape(X)[0])
    if npy:
        np.lib.format.write_array_header_1_0(f, {
            "descr": np.lib.format.dtype_to_descr(net.dtype), "fortran_order": False,
            "shape": (n, net.n_outputs)})
    for start, A in model.output_blocks(X, source=source):
        if npy:
            f.write(np.ascontiguousarray(A, net.dtype).data)
            continue
        labels = None if model.classes is None else predicted_labels(A, model.classes)
        names = output_names(model) if start == 0 else None
        f.write(csv_text(A, names, labels).encode())
