"""The regressor: :class:`MLPRegressor`, scikit-learn's API over chainrule's network and engine."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if

from ..data.lazy import is_lazy, map_rows
from ..errors import ConfigError, DataError
from ..optim.checks import check_choice
from ..utils.namespace import Namespace, namespace_dtype, to_numpy
from .arrays import data_inputs
from .base import BaseMLP, MLPTags, partial_fit_available, result_dtype
from .hyperparameters import signature, storing_init

__all__ = ["LOSSES", "SQUARED_LOSSES", "MLPRegressor"]

Array = np.ndarray
# the estimators' squared-error ``loss`` → the network's cost: scikit-learn's ½|a − y|², or the
# exercise's |a − y|² (whose L2 term is doubled with it, see BaseMLP._l2)
SQUARED_LOSSES = {"squared_error": "half_squared_error", "squared_error_no_half": "squared_error"}
# and scikit-learn's Poisson loss, half the Poisson deviance, with an exp output layer
LOSSES = {**SQUARED_LOSSES, "poisson": "poisson"}


class MLPRegressor(MLPTags, RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor trained by back-propagation (scikit-learn's API).

    By default minimises scikit-learn's objective,
    ``J = (1/N) Σ_k ½|a_k − y_k|² + (α/2N) Σ_l ‖W(l)‖²``; with
    ``loss='squared_error_no_half'`` the exercise's
    ``J = (1/N) Σ_k |a_k − y_k|² + (α/N) Σ_l ‖W(l)‖²``, twice as large; with
    ``loss='poisson'`` scikit-learn's half Poisson deviance
    ``J = (1/N) Σ_k Σ_i [y log(y/a) − y + a] + (α/2N) Σ_l ‖W(l)‖²`` with ``a = e^z``.

    Parameters
    ----------
    loss : {'squared_error', 'squared_error_no_half', 'poisson'}, default='squared_error'
        'squared_error': ``C_k = ½|a_k − y_k|²`` (the network's cost
        'half_squared_error'), with ``loss_`` reported as scikit-learn does,
        ``½(a − y)²`` averaged over examples and outputs, plus the penalty.
        'squared_error_no_half': ``C_k = |a_k − y_k|²`` (no ½, the network's cost
        'squared_error'), the penalty doubled with it; ``loss_`` is ``J``.
        'poisson': for counts ``y ≥ 0``, half the Poisson deviance with an exp
        output layer (a log link: predictions are positive), as scikit-learn's.
    hidden_layer_sizes : int or array-like of int, default=(100,)
        Neurons of each hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'softplus'}, \
default='relu'
        σ of the hidden layers.
    solver : {'lbfgs', 'sgd', 'adam', 'gd'}, default='adam'
        A solver of :mod:`chainrule.optim.solvers` ('gd', the exercise's plain step,
        is chainrule's own).
    alpha : float, default=0.0001
        L2 strength α (weights only, divided by the number of examples; doubled
        with 'squared_error_no_half').
    batch_size : int or 'auto', default='auto'
        Examples per step; 'auto' is ``min(200, n_samples)``.  Not used by 'lbfgs'.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Schedule of η for ``solver='sgd'`` (and 'gd'; see the package docstring).
    learning_rate_init : float, default=0.001
        η₀ of 'sgd' and 'adam'.
    power_t : float, default=0.5
        Exponent of 'invscaling'.
    max_iter : int, default=200
        Epochs ('sgd', 'adam') or iterations ('lbfgs').
    shuffle : bool, default=True
        Reshuffle the examples every epoch.
    random_state : int, RandomState instance or None, default=None
        Seed of the initial weights, the validation split and the shuffling.
    tol : float, default=1e-4
        Least improvement that counts (and L-BFGS's gradient tolerance).
    verbose : bool, default=False
        Print the loss after every epoch.
    warm_start : bool, default=False
        Continue from the fitted weights on the next ``fit`` (a fresh optimiser).
    momentum : float, default=0.9
        μ of 'sgd'.
    nesterovs_momentum : bool, default=True
        Nesterov's look-ahead step for 'sgd'.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when its R² stops
        improving; the best weights are kept.
    validation_fraction : float, default=0.1
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's β₁, β₂ and ε.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping.
    max_fun : int, default=15000
        Most cost evaluations of 'lbfgs'.
    output_activation : str, optional
        σ of the output layer; default 'identity' ('exp' for the Poisson loss, which
        takes no other), as scikit-learn's.
    dtype : {None, 'float64', 'float32'}, default=None
        Precision of the weights and the arithmetic; None: the input's, as
        scikit-learn has it (float32 input trains a float32 network, anything else
        float64).

    Attributes
    ----------
    network_ : Network
        The trained network.
    coefs_, intercepts_ : list of ndarray
        ``W[l].T`` (shape ``(n_{l−1}, n_l)``) and ``b[l]``, views into ``network_``;
        assigning them (a list, or one layer) copies into the network, and before
        the first fit gives a warm start or ``partial_fit`` its starting weights.
    learning_rate_ : float or None
        η of the next step, as the ``learning_rate`` schedule left it ('invscaling'
        and 'adaptive' lower it); None for 'lbfgs'.  chainrule's own: scikit-learn
        keeps it inside its private optimiser.
    loss_, best_loss_, loss_curve_, n_iter_, t_, n_layers_, n_outputs_, out_activation_,
    n_features_in_, feature_names_in_, validation_scores_, best_validation_score_
        As in scikit-learn.
    """

    __init__ = storing_init(signature("squared_error", loss_first=True))

    def _validate_input(self, X: object, y: object, incremental: bool, reset: bool,
                        dtype: np.dtype | None,
                        ns: Namespace | None = None) -> tuple[Array, Array, Array]:
        check_choice(self.loss, "loss", tuple(LOSSES))
        X, y = self._check_X_y(X, y, reset, dtype, ns, y_numeric=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise DataError(f"y: loss='poisson' needs targets y >= 0 (counts), got "
                            f"{np.count_nonzero(y < 0)} negative")
        Y = y.reshape(-1, 1) if y.ndim == 1 else y  # (N, n_out)
        return X, Y.astype(namespace_dtype(X), copy=False), y  # Y on the host

    def _lazy_targets(self, y: Any, incremental: bool, reset: bool, dtype: np.dtype) -> Any:
        """Dask targets as they are: each chunk is checked on its worker."""
        check_choice(self.loss, "loss", tuple(LOSSES))
        if self.loss == "poisson":  # y >= 0 is not checked on the workers
            raise ConfigError("loss: 'poisson' is not taken with Dask inputs; use one of "
                              f"{', '.join(map(repr, SQUARED_LOSSES))}")
        return y

    def _output_spec(self, n_outputs: int) -> tuple[str, str]:
        out = self.output_activation
        if out is None:
            out = "exp" if self.loss == "poisson" else "identity"
        return out, LOSSES[self.loss]

    def _score_arrays(self, X: Array, y: Array, sample_weight: Array | None = None) -> float:
        pred = to_numpy(self._output(X))  # the held-out rows' outputs, beside their targets
        if not np.isfinite(pred).all():
            return math.nan
        return float(r2_score(y, pred.ravel() if y.ndim == 1 else pred,
                              sample_weight=sample_weight))

    @available_if(partial_fit_available)
    def partial_fit(self, X: object, y: object, sample_weight: object = None) -> MLPRegressor:
        """One epoch over ``(X, y)``, continuing the weights and the optimiser's state
        (``sample_weight`` as in :meth:`fit`)."""
        return self._fit(X, y, incremental=True, sample_weight=sample_weight)

    def score(self, X: object, y: object, sample_weight: object = None) -> float:
        """The coefficient of determination ``R² = 1 − Σ(y − a)² / Σ(y − ȳ)²`` of
        :meth:`predict` on ``(X, y)``, as scikit-learn's (tensors taken as data: their
        gradients are not followed)."""
        X, y, sample_weight = data_inputs(X=X, y=y, sample_weight=sample_weight)
        return super().score(X, y, sample_weight)

    def predict(self, X: object) -> Array:
        """The network's output ``a(L)``: shape (n_samples,) for one output, else (n, n_outputs).

        As in scikit-learn, predictions come back as float32 for float32 input and as
        float64 otherwise, whatever ``dtype`` the network computes in.  A Dask array or
        DataFrame gives a lazy Dask array.
        """
        if is_lazy(X):
            width = None if self.n_outputs_ == 1 else self.n_outputs_
            return map_rows(X, self.predict, width=width, dtype=np.dtype(np.float64))
        out = self._validated_output(X, "predict")
        ns = self.network_.namespace
        if ns is not None:  # X's library, on its device
            out = ns.xp.astype(out, ns.dtype(result_dtype(X)))
            return ns.xp.reshape(out, (-1,)) if out.shape[1] == 1 else out
        out = out.astype(result_dtype(X), copy=False)
        return out.ravel() if out.shape[1] == 1 else out
