"""The :class:`Dataset` record: inputs ``X``, targets ``y`` and what they mean."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, ShapeError

__all__ = ["Dataset"]

Array = np.ndarray


@dataclass(frozen=True, eq=False)
class Dataset:
    """One data set: inputs ``X``, targets ``y`` and what they mean.

    Attributes
    ----------
    name : str
        Registry name (see :data:`DATASETS`).
    X : ndarray of shape (N, n_features), float64
    y : ndarray of shape (N, n_outputs), float64
        Regression targets, or one-hot rows ``y[k, labels[k]] = 1`` for classification.
    task : {'regression', 'classification'}
    description : str
        One line.
    feature_names, target_names : tuple of str
        Column names of ``X``; names of the outputs (the classes, for classification).
    labels : ndarray of shape (N,), int64, or None
        The class of each example (classification only).
    """

    name: str
    X: Array
    y: Array
    task: str
    description: str
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    labels: Array | None = None

    def __post_init__(self) -> None:
        # Guards against a malformed built-in, not against user input.
        if self.task not in ("regression", "classification"):
            raise ConfigError(f"task: expected 'regression' or 'classification', got {self.task!r}")
        if self.X.ndim != 2 or self.y.ndim != 2 or self.X.shape[0] != self.y.shape[0]:
            raise ShapeError(f"dataset {self.name!r}: X {self.X.shape} and y {self.y.shape} "
                             "must be 2-D with the same number of rows")
        if self.task == "classification" and (
                self.labels is None or self.labels.shape != (self.X.shape[0],)):
            raise ShapeError(f"dataset {self.name!r}: classification needs one label per row")

    @property
    def n_examples(self) -> int:
        """``N``, the number of rows."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Width of ``X`` (the network's input layer)."""
        return int(self.X.shape[1])

    @property
    def n_outputs(self) -> int:
        """Width of ``y`` (the network's output layer)."""
        return int(self.y.shape[1])

    def __repr__(self) -> str:
        # The default repr would print every array.
        return (f"Dataset(name={self.name!r}, task={self.task!r}, n_examples={self.n_examples}, "
                f"n_features={self.n_features}, n_outputs={self.n_outputs})")

