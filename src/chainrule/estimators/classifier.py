"""The classifier: :class:`MLPClassifier`, scikit-learn's API over chainrule's network."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted

from ..data.lazy import is_lazy, map_rows
from ..errors import ConfigError
from ..model.devices import normalised_rows
from ..optim.checks import check_choice
from ..utils.namespace import Namespace, array_namespace, namespace_dtype, to_numpy
from .arrays import (
    classes_on,
    data_inputs,
    follow_x,
    predict_namespace,
    sigmoid,
    threshold_labels,
)
from .base import BaseMLP, MLPTags, partial_fit_available, result_dtype
from .hyperparameters import signature, storing_init
from .regressor import SQUARED_LOSSES

__all__ = ["MLPClassifier"]

Array = np.ndarray


class MLPClassifier(MLPTags, ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier trained by back-propagation (scikit-learn's API).

    Like scikit-learn's: binary targets get one logistic output and the binary
    cross-entropy, multiclass targets a softmax output and the cross-entropy,
    multilabel targets (an indicator matrix) logistic outputs and the binary
    cross-entropy, each plus ``(α/2N) Σ ‖W‖²``.  With ``loss='squared_error'``
    ``½|a − y|²`` on the one-hot targets is minimised instead (penalty
    ``(α/2N) Σ ‖W‖²``), with ``loss='squared_error_no_half'`` the exercise's
    ``|a − y|²`` (penalty ``(α/N) Σ ‖W‖²``), as in :class:`MLPRegressor`.

    Parameters
    ----------
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate, \
learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose, warm_start, \
momentum, nesterovs_momentum, early_stopping, validation_fraction, beta_1, beta_2, epsilon, \
n_iter_no_change, max_fun
        As in :class:`MLPRegressor` (early stopping watches the accuracy).
    loss : {'log_loss', 'squared_error', 'squared_error_no_half'}, default='log_loss'
        The squared errors as in :class:`MLPRegressor` (``loss_`` of
        'squared_error' per output, as there).
    output_activation : {'logistic', 'softmax'}, optional
        Default: logistic for binary and multilabel targets, softmax for
        multiclass.  'logistic' on multiclass targets trains one-vs-rest
        outputs; ``predict_proba`` then normalises each row to sum to one.
    dtype : {None, 'float64', 'float32'}, default=None
        As in :class:`MLPRegressor`: None trains in the input's precision.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        The class labels.
    network_, coefs_, intercepts_, learning_rate_, loss_, best_loss_, loss_curve_, n_iter_, \
t_, n_layers_, n_outputs_, out_activation_, n_features_in_, feature_names_in_, \
validation_scores_, best_validation_score_
        As in :class:`MLPRegressor`.
    """

    _classifier = True

    __init__ = storing_init(signature("log_loss", loss_first=False))

    def _validate_input(self, X: object, y: object, incremental: bool, reset: bool,
                        dtype: np.dtype | None,
                        ns: Namespace | None = None) -> tuple[Array, Array, Array]:
        check_choice(self.loss, "loss", ("log_loss", *SQUARED_LOSSES))
        X, y = self._check_X_y(X, y, reset, dtype, ns)
        check_classification_targets(y)
        if "classes_" not in self.__dict__ or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
        else:
            classes, known = unique_labels(y), self._label_binarizer.classes_
            if self.warm_start and not incremental:
                if set(classes) != set(known):
                    raise ValueError("warm_start can only be used where `y` has the same "
                                     "classes as in the previous call to fit. Previously got "
                                     f"{known}, `y` has {classes}")
            elif len(np.setdiff1d(classes, known, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                                 f"{known}. 'y' has {classes}.")
        # scikit-learn keeps them where X lives (numbers on its device; text on the host)
        self.classes_ = classes_on(self._label_binarizer.classes_, ns)
        # (N, n_out) one-hot / indicator rows, on the host
        Y = self._label_binarizer.transform(y).astype(namespace_dtype(X))
        return X, Y, y

    def _lazy_targets(self, y: Any, incremental: bool, reset: bool, dtype: np.dtype) -> Any:
        """One-hot targets of Dask labels, made on the workers; the classes are found there."""
        from ..distributed import lazy_unique

        check_choice(self.loss, "loss", ("log_loss", *SQUARED_LOSSES))
        if "classes_" not in self.__dict__ or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(lazy_unique(y))
            self.classes_ = self._label_binarizer.classes_
        lb = self._label_binarizer
        width = 1 if len(lb.classes_) == 2 else len(lb.classes_)
        return map_rows(y, lambda block: lb.transform(np.ravel(block)).astype(dtype),
                        width=width, dtype=dtype)

    def _output_spec(self, n_outputs: int) -> tuple[str, str]:
        multiclass = self._label_binarizer.y_type_ == "multiclass"
        out = self.output_activation
        if out is None:
            out = "softmax" if multiclass else "logistic"
        elif out not in ("logistic", "softmax") or (out == "softmax" and not multiclass):
            expected = "'logistic' or 'softmax'" if multiclass else "'logistic'"
            raise ConfigError(f"output_activation: expected {expected} for "
                              f"{self._label_binarizer.y_type_} targets, got {out!r}")
        if self.loss in SQUARED_LOSSES:
            return out, SQUARED_LOSSES[self.loss]
        return out, "cross_entropy" if out == "softmax" else "binary_cross_entropy"

    def _labels(self, A: Array) -> Array:
        ns = self.network_.namespace
        if ns is not None and not isinstance(A, np.ndarray):
            return threshold_labels(A, self.classes_, ns,
                                    self._label_binarizer.y_type_.startswith("multilabel"))
        if self.n_outputs_ == 1:
            A = A.ravel()
        return self._label_binarizer.inverse_transform(A)

    def _score_arrays(self, X: Array, y: Array, sample_weight: Array | None = None) -> float:
        # the held-out rows' outputs on the host, where their labels are
        return float(accuracy_score(y, self._labels(to_numpy(self._output(X))),
                                    sample_weight=sample_weight))

    @available_if(partial_fit_available)
    def partial_fit(self, X: object, y: object, sample_weight: object = None,
                    classes: object = None) -> MLPClassifier:
        """One epoch over ``(X, y)``; ``classes`` (all labels) is required on the first call.

        ``sample_weight`` as in :meth:`fit`; it comes before ``classes``, as in
        scikit-learn's signature.
        """
        first = "classes_" not in self.__dict__
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if classes is not None:
            classes = unique_labels(follow_x(classes))
            known = None if first else self._label_binarizer.classes_
            if not first and not np.array_equal(classes, known):
                raise ValueError(f"`classes={classes!r}` is not the same as on last call to "
                                 f"partial_fit, was: {known!r}")
        if first:
            lb = LabelBinarizer()
            lb.fit(y if type_of_target(follow_x(y)).startswith("multilabel") else classes)
            self._label_binarizer, self.classes_ = lb, lb.classes_
        return self._fit(X, y, incremental=True, sample_weight=sample_weight)

    def predict(self, X: object) -> Array:
        """Predicted labels: argmax for multiclass, ``a ≥ ½`` for binary and multilabel.
        A Dask array or DataFrame gives a lazy Dask array."""
        if is_lazy(X):
            return map_rows(X, self.predict, width=None, dtype=self.classes_.dtype)
        return self._labels(self._validated_output(X, "predict"))

    def score(self, X: object, y: object, sample_weight: object = None) -> float:
        """The (weighted) accuracy of :meth:`predict` on ``(X, y)``, as scikit-learn's.

        On another library's device the share is counted there in float64 (scikit-learn's
        ``accuracy_score`` would count in the device's default float, float32 for PyTorch).
        """
        check_is_fitted(self)
        X, y, sample_weight = data_inputs(X=X, y=y, sample_weight=sample_weight)
        ns = self.network_.namespace
        if ns is None or isinstance(self.classes_, np.ndarray):  # text labels: on the host
            return super().score(X, y, sample_weight)
        xp, pred = ns.xp, self.predict(X)
        right = xp.astype(pred == ns.asarray(y), xp.float64)  # (N,) or (N, n_labels), there
        if right.ndim == 2:
            right = xp.astype(xp.all(right == 1, axis=1), xp.float64)  # a row's labels, all
        if sample_weight is None:
            return float(xp.mean(right))
        w = ns.asarray(sample_weight, np.float64)
        return float(xp.sum(w * right) / xp.sum(w))

    def predict_proba(self, X: object) -> Array:
        """Class probabilities, shape (n_samples, n_classes) (multilabel: (n, n_labels)).

        Logistic outputs are evaluated as ``σ(z)`` from the output layer's Z (and the
        negative class of a binary problem as ``σ(−z)``, not ``1 − σ(z)``), so small
        probabilities keep their relative precision.  As :meth:`MLPRegressor.predict`,
        the result is float32 for float32 input and float64 otherwise; σ is evaluated
        in that precision, so a float32 network's probabilities stay below 1 for
        ``z < 36`` when float64 is asked for (in float32, σ(z) rounds to 1 from z ≈ 17).
        """
        check_is_fitted(self)
        if is_lazy(X):
            return map_rows(X, self.predict_proba, width=max(2, self.n_outputs_),
                            dtype=np.dtype(np.float64))
        wanted = result_dtype(X)
        ns = self.network_.namespace
        if ns is not None:
            return self._device_proba(X, ns, wanted)
        if self.out_activation_ == "softmax":
            return self._validated_output(X, "predict_proba").astype(wanted, copy=False)
        Z = self._validated_output(X, "predict_proba", logits=True).astype(wanted, copy=False)
        if self.n_outputs_ == 1:
            return expit(np.hstack([-Z, Z]))  # (N, 2): P(negative), P(positive)
        P = expit(Z)
        if self._label_binarizer.y_type_ == "multiclass":
            total = P.sum(axis=1, keepdims=True)  # one-vs-rest outputs, normalised
            return np.divide(P, total, out=np.full_like(P, 1 / P.shape[1]), where=total > 0)
        return P

    def _device_proba(self, X: object, ns: Namespace, wanted: type[np.floating]) -> Array:
        """:meth:`predict_proba` of a network on another library's device, there."""
        xp, dtype = ns.xp, ns.dtype(wanted)
        if self.out_activation_ == "softmax":
            return xp.astype(self._validated_output(X, "predict_proba"), dtype)
        Z = xp.astype(self._validated_output(X, "predict_proba", logits=True), dtype)
        if self.n_outputs_ == 1:
            return sigmoid(xp, xp.concat([-Z, Z], axis=1))  # (N, 2): P(negative), P(positive)
        P = sigmoid(xp, Z)
        if self._label_binarizer.y_type_ == "multiclass":
            return normalised_rows(xp, P)  # one-vs-rest outputs, normalised
        return P

    def predict_log_proba(self, X: object) -> Array:
        """``log(predict_proba(X))`` (−inf where a probability underflows to 0)."""
        if not is_lazy(X):  # X where fit was: a message that names this method
            check_is_fitted(self)
            predict_namespace(X, self.network_.namespace,
                              f"{type(self).__name__}.predict_log_proba")
        P = self.predict_proba(X)
        if not isinstance(P, np.ndarray):
            return array_namespace(P).xp.log(P)
        with np.errstate(divide="ignore"):
            return np.log(P, out=P)
