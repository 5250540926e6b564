"""What the plots and the ledger need of a trained thing, whatever form it comes in.

A fitted scikit-learn-style estimator (``MLPClassifier``, ``MLPRegressor``), a
:class:`chainrule.Model` or a bare :class:`chainrule.Network`: :func:`as_fitted`
turns each into a :class:`Fitted`, that is a Model (the network with its input
scaling and its classes) and the run's record of costs when there is one.  Targets
may be plain class labels (integers or text) wherever the network wants one-hot
rows: the Model encodes them.  :func:`explain` is the chain-rule ledger of any of
the three, labels included.

Plots and ledgers are drawn on the host: a trained thing whose network is on a device
(trained on PyTorch tensors or CuPy arrays, or put there by ``Model.to``) is read into
a host copy, and tensors given as data are read to the host; the original stays where
it is.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data.source import Source
from ..errors import ConfigError, ShapeError
from ..model.inputs import target_array
from ..model.model import Model
from ..nn.chain import ParamRef
from ..nn.landscape import host_array
from ..nn.ledger import Ledger
from ..nn.ledger import explain as explain_network
from ..nn.network import Network

__all__ = ["Fitted", "as_fitted", "explain"]

Array = np.ndarray

CLASSIFICATION_COSTS = ("cross_entropy", "binary_cross_entropy")
PROBABILITY_OUTPUTS = ("softmax", "logistic")


@dataclass(frozen=True)
class Fitted:
    """A trained thing as the plots see it.

    Attributes
    ----------
    model : Model
        The network with its input scaling (none for an estimator or a network)
        and its classes (None for a regressor).
    kind : {'estimator', 'model', 'network'}
        What it came as.
    curves : dict or None
        The run's record: ``'cost'`` and, when recorded, ``'epoch'``,
        ``'val_cost'``, ``'accuracy'``, ``'val_accuracy'`` (a History's columns),
        or an estimator's ``'cost'`` (``loss_curve_``) and ``'val_score'``
        (``validation_scores_``).  None when nothing was recorded.
    """

    model: Model
    kind: str
    curves: dict[str, Any] | None = None

    @property
    def network(self) -> Network:
        """The network, taking the scaled inputs (:meth:`inputs`)."""
        return self.model.network

    @property
    def classes(self) -> list[Any] | None:
        return self.model.classes

    @property
    def class_names(self) -> list[str] | None:
        """Display names of the classes: the model's, else the labels as text."""
        if self.model.classes is None:
            return None
        return self.model.class_names or [str(c) for c in self.model.classes]

    def feature_names(self, X: object) -> list[str] | None:
        """The inputs' names: the model's, or a DataFrame's columns."""
        if self.model.feature_names is not None:
            return list(self.model.feature_names)
        columns = getattr(X, "columns", None)
        return None if columns is None else [str(c) for c in columns]

    def inputs(self, X: object) -> Array:
        """The network's inputs for ``X``, shape (N, n_inputs): scaled as in training."""
        return self.model.transform(host_array(X, "X"))

    def targets(self, y: object, n: int, name: str = "y") -> Array:
        """The network's targets (N, n_outputs) for ``y``: class labels (integers, text)
        become one-hot rows (one 0/1 column for a single output); values stay as they are.

        Raises
        ------
        ShapeError
            When ``y`` does not have one entry per example (``n`` of them).
        """
        Y = self.model.targets(host_array(y, name), source=Source(name))
        if Y.shape[0] != n:
            raise ShapeError(f"{name}: expected {n} targets (one per example of X), "
                             f"got {Y.shape[0]}")
        return Y

    def class_index(self, y: object, n: int, name: str = "y") -> Array:
        """The position of each example's class among :attr:`classes`, shape (N,)."""
        Y = self.targets(y, n, name)
        return Y.argmax(axis=1) if Y.shape[1] > 1 else (Y[:, 0] > 0.5).astype(int)

    def probabilities(self, X: object) -> Array | None:
        """Class probabilities (N, n_classes) of a classifier with softmax or logistic
        outputs; None when the outputs are not probabilities."""
        if self.classes is None or self.network.activations[-1].name not in PROBABILITY_OUTPUTS:
            return None
        return self.model.predict_proba(host_array(X, "X"))


def as_fitted(fitted: object, y: object = None, *, classify: bool = False,
              name: str = "fitted") -> Fitted:
    """A :class:`Fitted` of an estimator, a Model or a Network.

    Parameters
    ----------
    fitted : MLPClassifier, MLPRegressor, Model or Network
        A fitted estimator is copied into a Model (:meth:`Model.from_estimator`);
        a Network is wrapped in a Model that shares it.
    y : array-like, optional
        A network's targets: class labels tell its classes (integers 0 … K − 1,
        or text, as many distinct labels as it has outputs).
    classify : bool, default False
        Take a network for a classifier even when its cost is not a cross-entropy
        (e.g. squared error on 0/1 labels, for decision regions).
    name : str
        The argument's name in messages.

    Raises
    ------
    ConfigError
        For anything else, or an estimator that is not fitted.

    Notes
    -----
    The Fitted is on the host: a network on a device is read into a host copy (the
    Model, estimator or Network given keeps its own, where it is).
    """
    if isinstance(fitted, Model):
        history = fitted.history
        return Fitted(host_model(fitted), "model",
                      None if history is None else history.to_dict())
    if isinstance(fitted, Network):
        classes = network_classes(fitted, host_array(y, "y"), classify, "y")
        net = fitted if fitted.namespace is None else fitted.copy().move_to(None)
        return Fitted(Model(net, classes=classes), "network")
    if hasattr(fitted, "get_params") and hasattr(fitted, "fit"):
        if not isinstance(getattr(fitted, "network_", None), Network):
            raise ConfigError(f"{name}: this {type(fitted).__name__} is not fitted yet; "
                              "call its fit(X, y) first")
        # from_estimator copies the network: the copy is moved, the estimator's stays
        return Fitted(Model.from_estimator(fitted).to(None), "estimator",
                      estimator_curves(fitted))
    raise ConfigError(f"{name}: expected a fitted chainrule estimator, a chainrule.Model or "
                      f"a Network, got {type(fitted).__name__}")


def host_model(model: Model) -> Model:
    """``model`` itself on the host; else a copy of it whose network is a host copy."""
    if model.network.namespace is None:
        return model
    host = copy.copy(model)
    host.network = model.network.copy().move_to(None)
    return host


def network_classes(network: Network, y: object, classify: bool, name: str) -> list[Any] | None:
    """The classes of a bare network: None for a regressor, else its outputs' labels.

    A network is a classifier when its cost is a cross-entropy, when ``classify``
    says so, or when ``y`` holds text.  Integer labels name the outputs 0 … K − 1
    (0 and 1 for a single output); text labels, sorted, must be as many as the outputs.
    """
    k = max(network.n_outputs, 2)
    arr = None if y is None else np.asarray(target_array(y)[0])
    text = arr is not None and arr.dtype.kind in "OUSb"
    if not (classify or text or network.cost.name in CLASSIFICATION_COSTS):
        return None
    if not text:  # integers, or one-hot rows already
        return list(range(k))
    found = np.unique(arr.reshape(-1) if arr.ndim == 2 and arr.shape[1] == 1 else arr)
    if found.size != k:
        shown = ", ".join(repr(c) for c in found[:6].tolist()) + (", …" if found.size > 6 else "")
        raise ConfigError(f"{name}: {found.size} distinct text labels ({shown}), but the "
                          f"network's {network.n_outputs} output(s) tell {k} classes apart; "
                          f"give integer labels 0 to {k - 1}, or a chainrule.Model that "
                          "knows its classes")
    return found.tolist()


def estimator_curves(estimator: object) -> dict[str, Any] | None:
    """An estimator's record: ``loss_curve_`` as the cost and ``validation_scores_``
    (accuracy for a classifier, R² for a regressor) as the validation score."""
    cost = getattr(estimator, "loss_curve_", None)
    if not cost:
        return None
    scores = getattr(estimator, "validation_scores_", None)
    return {"cost": list(cost), "val_score": list(scores) if scores else None,
            "val_score_name": "validation accuracy" if hasattr(estimator, "classes_")
            else "validation R²"}


def history_curves(history: object, name: str = "history") -> dict[str, Any]:
    """A History (or anything with ``to_dict``) or a mapping, as a dict of columns."""
    h = history.to_dict() if hasattr(history, "to_dict") else history
    if not isinstance(h, Mapping) or h.get("cost") is None:
        raise ConfigError(f"{name}: expected a History or a mapping with a 'cost' list "
                          "(one value per epoch)")
    return dict(h)


def explain(fitted: object, X: object, y: object, param: str | ParamRef, *,
            example: int = 0, eps: float = 1e-6) -> Ledger:
    """The chain-rule ledger of ``∂C/∂θ`` (:func:`chainrule.nn.explain`) for an estimator,
    a Model or a Network, with class labels or the network's targets.

    Parameters
    ----------
    fitted : MLPClassifier, MLPRegressor, Model or Network
    X : array-like of shape (N, n_inputs), or (n_inputs,) for one example
        In the data's own units: a Model's scaling is applied first.
    y : array-like
        Class labels (integers, text) of shape (N,) or one label, or the
        network's targets (N, n_outputs) or one row of them.
    param : str or ParamRef
        θ, e.g. ``'W1[0,2]'``.
    example : int
        Which example's factors to show.
    eps : float
        Relative step of the finite differences.

    Returns
    -------
    Ledger
    """
    X, y = host_array(X, "X"), host_array(y, "y")
    one = np.ndim(X) == 1
    X2 = np.asarray(X)[None, :] if one else X
    y2 = np.asarray(y)[None, ...] if one and np.ndim(y) <= 1 else y
    f = as_fitted(fitted, y2, name="fitted")
    Xs = f.inputs(X2)
    return explain_network(f.network, Xs, f.targets(y2, Xs.shape[0]), param, example=example,
                           eps=eps)
