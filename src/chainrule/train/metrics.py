"""Scores of a trained network beside its cost: R², MAE and RMSE for values, a confusion
matrix with each class's precision and recall for classes.

Each is a line of NumPy over the targets ``Y`` and the outputs ``A`` (N, n_outputs), as
scikit-learn's ``r2_score``, ``mean_absolute_error``, ``root_mean_squared_error``,
``confusion_matrix``, ``precision_score`` and ``recall_score`` define them (the tests
compare with those).  scikit-learn's metrics are not imported: ``sklearn.metrics`` costs
about 1.3 s of processor time to import, more than ``chainrule evaluate`` may take whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ClassScores", "ValueScores", "class_indices", "class_scores", "value_scores"]

Array = np.ndarray


@dataclass(frozen=True)
class ValueScores:
    """How close the outputs ``A`` are to the values ``Y``, per output and on average.

    Attributes
    ----------
    r2 : ndarray of shape (n_outputs,)
        ``R² = 1 − Σ_k (y_k − a_k)² / Σ_k (y_k − ȳ)²``; for a constant target, 1 if
        every output is exact and 0 otherwise (scikit-learn's ``force_finite``).
    mae : ndarray of shape (n_outputs,)
        ``(1/N) Σ_k |y_k − a_k|``.
    rmse : ndarray of shape (n_outputs,)
        ``√((1/N) Σ_k (y_k − a_k)²)``.
    """

    r2: Array
    mae: Array
    rmse: Array

    def mean(self) -> dict[str, float]:
        """Each score averaged over the outputs (scikit-learn's ``uniform_average``)."""
        return {"r2": float(self.r2.mean()), "mae": float(self.mae.mean()),
                "rmse": float(self.rmse.mean())}


def value_scores(Y: Array, A: Array) -> ValueScores:
    """R², MAE and RMSE of the outputs ``A`` against the targets ``Y``, both (N, n_outputs)."""
    Y = np.asarray(Y, dtype=np.float64).reshape(len(Y), -1)
    A = np.asarray(A, dtype=np.float64).reshape(len(A), -1)
    E = Y - A  # (N, n_outputs)
    residual = np.einsum("ij,ij->j", E, E)  # Σ_k (y_k − a_k)², per output
    D = Y - Y.mean(axis=0)
    total = np.einsum("ij,ij->j", D, D)  # Σ_k (y_k − ȳ)²
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(total > 0, 1.0 - residual / np.where(total > 0, total, 1.0),
                      np.where(residual == 0, 1.0, 0.0))
    return ValueScores(r2, np.abs(E).mean(axis=0), np.sqrt(residual / len(Y)))


def class_indices(P: Array) -> Array:
    """The class (a column number) of each row of targets or outputs ``P`` (N, n_outputs):
    the largest entry's column, or for a single column 1 where ``p ≥ 1/2``."""
    P = np.asarray(P).reshape(len(P), -1)
    if P.shape[1] == 1:
        return (P[:, 0] >= 0.5).astype(np.int64)
    return np.argmax(P, axis=1)


@dataclass(frozen=True)
class ClassScores:
    """The confusion matrix of a classifier and what it says of each class.

    Attributes
    ----------
    confusion : ndarray of int, shape (K, K)
        ``confusion[i, j]``: the examples of class ``i`` predicted as class ``j``
        (rows: the true class, columns: the predicted one).
    precision : ndarray of shape (K,)
        ``confusion[k, k] / Σ_i confusion[i, k]``: of those predicted ``k``, the share
        that are; 0 where none is predicted ``k``.
    recall : ndarray of shape (K,)
        ``confusion[k, k] / Σ_j confusion[k, j]``: of the class ``k``, the share found;
        0 where the data has none.
    support : ndarray of int, shape (K,)
        The examples of each class.
    """

    confusion: Array
    precision: Array
    recall: Array
    support: Array

    @property
    def accuracy(self) -> float:
        """``Σ_k confusion[k, k] / N``."""
        return float(np.trace(self.confusion) / max(1, self.confusion.sum()))


def class_scores(true: Array, predicted: Array, n_classes: int) -> ClassScores:
    """The confusion matrix, precision and recall of class indices ``predicted`` against
    ``true`` (each of shape (N,), from 0 to ``n_classes − 1``)."""
    true = np.asarray(true, dtype=np.int64).reshape(-1)
    predicted = np.asarray(predicted, dtype=np.int64).reshape(-1)
    C = np.bincount(true * n_classes + predicted, minlength=n_classes * n_classes)
    C = C.reshape(n_classes, n_classes)  # (K, K): rows true, columns predicted
    hits = np.diagonal(C).astype(np.float64)
    predicted_as, support = C.sum(axis=0), C.sum(axis=1)
    precision = np.divide(hits, predicted_as, out=np.zeros(n_classes), where=predicted_as > 0)
    recall = np.divide(hits, support, out=np.zeros(n_classes), where=support > 0)
    return ClassScores(C, precision, recall, support)
