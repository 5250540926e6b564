"""What the page draws of a network's outputs, computed once per frame.

Four kinds, chosen by the data's shape:

* ``regions``: classification on two or more inputs; a G × G grid of (class, confidence)
  bytes, the confidence ``max_i a_i`` of the outputs (probabilities for softmax);
* ``heat``: regression on two or more inputs; a G × G grid of the first output,
  scaled to a byte over the targets' range;
* ``lines``: one input; the outputs along the input's axis, one line per output;
* ``curve``: one input and two outputs (the heart): the outputs as a curve in the plane.

With more than two inputs the grid runs over the first two, the others held at 0 (their
mean, the inputs being standardised).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import library

__all__ = ["View", "view_for"]

Array = np.ndarray

GRID = 64  # cells per side of the decision-region grid
LINE_POINTS = 200


@dataclass(frozen=True)
class View:
    """How one data set is drawn: the kind, the axes' extent and the grid's inputs."""

    kind: str
    extent: tuple[float, float, float, float]  # x min, x max, y min, y max
    inputs: Array  # (G², n_in) or (LINE_POINTS, 1)
    target_range: tuple[float, float]

    def describe(self, data: library.Data) -> dict[str, Any]:
        """The ``data`` message: the points to draw, once per data set."""
        d = data
        xy = d.X[:, :2] if d.X.shape[1] >= 2 else d.X[:, :1]
        if self.kind == "curve":
            xy = d.Y[:, :2]
        elif self.kind == "lines":
            xy = np.column_stack([d.X[:, 0], d.Y[:, 0]])
        is_test = np.zeros(d.X.shape[0], bool)
        is_test[d.test] = True
        is_test[d.train] = False
        example = np.full(d.X.shape[0], -1)
        example[d.train] = np.arange(d.train.size)  # the ledger's k of each training point
        return {
            "type": "data", "kind": self.kind, "extent": list(self.extent),
            "task": d.task, "name": d.name,
            "points": np.round(xy, 6).tolist(),
            "labels": None if d.labels is None else d.labels.tolist(),
            "test": is_test.astype(int).tolist(),
            "example": example.tolist(),
            "classes": None if d.class_names is None else list(d.class_names),
            "features": list(d.feature_names), "targets": list(d.output_names),
            "n_train": int(d.train.size), "n_test": int(d.test.size),
            "held_out": bool(d.test.size != d.X.shape[0] or d.train.size != d.X.shape[0]),
            "target_range": list(self.target_range),
            "values": np.round(d.Y[:, 0], 6).tolist() if d.classes is None else None,
        }

    def frame(self, net: Any) -> dict[str, Any]:
        """The network's outputs over the view, ready to draw."""
        with np.errstate(over="ignore", invalid="ignore"):
            A = library.predict(net, self.inputs)  # (G², n_out) or (LINE_POINTS, n_out)
        if self.kind == "regions":
            return {"grid": _regions(A), "size": GRID}
        if self.kind == "heat":
            lo, hi = self.target_range
            v = np.clip((A[:, 0] - lo) / (hi - lo), 0.0, 1.0)
            return {"grid": _bytes(np.round(np.nan_to_num(v) * 255)), "size": GRID}
        if self.kind == "curve":
            return {"line": [np.round(np.nan_to_num(A[:, :2]), 5).tolist()]}
        xs = self.inputs[:, 0]
        return {"line": [np.round(np.nan_to_num(np.column_stack([xs, A[:, j]])), 5).tolist()
                         for j in range(A.shape[1])]}


def _bytes(values: Array) -> str:
    return base64.b64encode(values.astype(np.uint8).tobytes()).decode("ascii")


def _regions(A: Array) -> str:
    """(class, confidence) bytes per cell; one logistic output reads as p(class 1)."""
    if A.shape[1] == 1:
        p = np.nan_to_num(A[:, 0])
        cls = (p >= 0.5).astype(np.uint8)
        conf = np.where(cls == 1, p, 1.0 - p)
    else:
        cls = np.nan_to_num(A).argmax(axis=1)
        conf = np.nan_to_num(A.max(axis=1))
    out = np.empty((A.shape[0], 2), np.uint8)
    out[:, 0] = cls
    out[:, 1] = np.round(np.clip(conf, 0.0, 1.0) * 255)
    return _bytes(out)


def _padded(values: Array) -> tuple[float, float]:
    lo, hi = float(values.min()), float(values.max())
    pad = 0.1 * (hi - lo) if hi > lo else 1.0
    return lo - pad, hi + pad


def view_for(data: library.Data) -> View:
    """The view that suits ``data``'s inputs, outputs and task."""
    X, Y = data.X, data.Y
    lo_y, hi_y = float(Y[:, 0].min()), float(Y[:, 0].max())
    target_range = (lo_y, hi_y if hi_y > lo_y else lo_y + 1.0)
    if X.shape[1] >= 2:
        x0, x1 = _padded(X[:, 0])
        y0, y1 = _padded(X[:, 1])
        gx, gy = np.linspace(x0, x1, GRID), np.linspace(y1, y0, GRID)  # row 0 at the top
        P = np.zeros((GRID * GRID, X.shape[1]))
        P[:, 0] = np.tile(gx, GRID)
        P[:, 1] = np.repeat(gy, GRID)
        kind = "regions" if data.classes is not None else "heat"
        return View(kind, (x0, x1, y0, y1), P, target_range)
    x0, x1 = _padded(X[:, 0])
    inputs = np.linspace(x0, x1, LINE_POINTS)[:, None]
    if Y.shape[1] == 2 and data.classes is None:
        c0, c1 = _padded(Y[:, 0])
        d0, d1 = _padded(Y[:, 1])
        return View("curve", (c0, c1, d0, d1), inputs, target_range)
    lo, hi = _padded(Y)
    return View("lines", (x0, x1, min(lo, -0.1), max(hi, 1.1) if data.classes else hi),
                inputs, target_range)
