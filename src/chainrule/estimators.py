"""scikit-learn estimators: :class:`MLPRegressor` and :class:`MLPClassifier`.

Drop-in replacements for ``sklearn.neural_network``'s MLPs: the same
hyperparameters (names and defaults), the same fitted attributes, ``fit``,
``partial_fit``, ``predict``, ``predict_proba`` and ``score``, and input
checks from :mod:`sklearn.utils.validation` (so the messages are
scikit-learn's).  Underneath, a :class:`~chainrule.nn.network.Network` is
trained by :class:`~chainrule.train.Trainer`; it is ``network_`` after
fitting, and ``coefs_[l]`` / ``intercepts_[l]`` are views of its ``W[l].T``
and ``b[l]`` (scikit-learn stores the transposed weights, shape
``(n_{l−1}, n_l)``).

What is the same as scikit-learn
    * Initial weights: ``W, b ~ U(−r, r)``, ``r = √(6 / (fan_in + fan_out))``
      (``√(2 / …)`` for a logistic hidden activation), drawn from
      ``check_random_state(random_state)`` in scikit-learn's order, so a given
      integer seed gives bit-identical initial weights.  The early-stopping
      split (``train_test_split``, stratified for single-output classifiers)
      comes next from the same generator; mini-batch shuffling then uses a
      NumPy ``Generator`` seeded from it.
    * Costs and gradients: ``loss='squared_error'`` (the regressor's default)
      minimises scikit-learn's ``J = (1/N) Σ_k ½|a_k − y_k|² + (α/2N) Σ_l ‖W(l)‖²``
      (the network's cost 'half_squared_error'), ``loss='log_loss'`` the
      cross-entropies plus the same penalty.  On a batch of ``m`` examples the
      output delta is ``∂C/∂Z = (A − Y)/m`` (times ``σ'(Z)`` for a squared
      error after another output activation than the identity) and the L2
      term ``(α/m) W``, exactly scikit-learn's, so with the same
      ``learning_rate_init`` the same steps are taken.
    * ``loss_`` and ``loss_curve_``: the epoch's mean batch cost plus, as
      scikit-learn counts it, the penalty ``(α/2m)‖W‖²`` of every mini-batch
      of ``m`` examples at the weights before its step, weighted by ``m``
      (``(α/2n) Σ_batches ‖W_b‖²`` per epoch).  For ``loss='squared_error'``
      the data part is, as scikit-learn reports it, the mean over examples
      *and outputs* of ``½(a − y)²`` (for ``n_outputs_ > 1`` that is ``J``'s
      data part divided by ``n_outputs_``; the gradient stays that of
      ``½|a − y|²`` summed over the outputs, as scikit-learn's is), so
      tol-based stopping happens at the same epochs.
    * Stopping: an epoch counts as no improvement when the training loss is
      ``> best_loss_ − tol`` (or, with ``early_stopping``, the validation
      score is ``< best_validation_score_ + tol``); after more than
      ``n_iter_no_change`` of them in a row training stops (with
      ``solver='sgd', learning_rate='adaptive'`` the rate is divided by 5
      first, until it falls to 1e-6).  ``invscaling`` sets
      ``η = η₀ / (t_ + 1)^power_t`` after each epoch, ``t_`` counting
      examples seen.  A :class:`~sklearn.exceptions.ConvergenceWarning` is
      issued when ``max_iter`` epochs end without stopping.

What differs
    * ``loss='seed_squared_error'`` (both estimators) minimises the seed's
      cost ``C = (1/N) Σ_k |a_k − y_k|²``, without scikit-learn's ½ (the
      network's cost 'squared_error').  The penalty is doubled with it, so
      ``J = C + (α/N) Σ W²`` is exactly twice scikit-learn's objective (for
      one output): the same minimiser, ``loss_`` and ``loss_curve_`` twice as
      large (and summed over the outputs, not averaged), and with
      ``solver='sgd'`` steps twice as long for the same ``learning_rate_init``
      (Adam's steps do not depend on the scale).
    * A run that diverges stops at once with :class:`~chainrule.DivergenceError`
      (a ``ValueError``, with scikit-learn's message first) and keeps the last
      weights whose cost was finite; scikit-learn finishes its epochs and then
      raises ``ValueError`` on non-finite weights.
    * L-BFGS with several outputs: scikit-learn hands SciPy the per-output
      mean as the value but the gradient of the sum over the outputs;
      chainrule minimises ``J`` with its own gradient and only *reports*
      ``loss_`` per output, so such fits may take other iterations (with one
      output the two are the same).
    * float32 predictions depend on how many rows are predicted together, by
      up to about 3 ε₃₂ ≈ 3.6e-7 relative: BLAS rounds a row's float32
      matrix product differently with the number of rows sharing the GEMM
      (and NumPy uses a matrix-vector product for one row).  scikit-learn's
      ``check_methods_subset_invariance`` compares with an absolute 1e-7,
      which float32 outputs of size ~1 cannot meet; our tests run the same
      check with a float32 tolerance instead.  float64 differs by ~1e-16.
    * Sparse input and ``sample_weight`` are not supported; ``loss='poisson'``
      neither.
    * Extra options: ``activation`` may also be 'leaky_relu' or 'softplus';
      ``output_activation`` replaces the output layer's σ (e.g. the seed's
      'tanh' for a regressor, 'logistic' one-vs-rest outputs for a multiclass
      classifier); ``dtype`` ('float64' or 'float32') is the precision of the
      weights and of the arithmetic; the classifier's ``loss`` may also be
      'squared_error' (``½|a − y|²`` on the one-hot targets) or
      'seed_squared_error' (``|a − y|²``, as above).
"""

from __future__ import annotations

import copy
import math
import warnings
from itertools import pairwise
from numbers import Integral, Real
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from .errors import ConfigError, DivergenceError
from .nn.network import Network
from .optim.optimizers import l2_penalty_grad, minimize_lbfgs
from .train.loop import EpochInfo, Trainer
from .utils.validation import as_float_dtype

__all__ = ["MLPClassifier", "MLPRegressor"]

Array = np.ndarray

HIDDEN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu", "leaky_relu", "softplus")
SOLVERS = ("lbfgs", "sgd", "adam")
SCHEDULES = ("constant", "invscaling", "adaptive")
PREDICT_CHUNK = 4096  # rows per forward pass when predicting: bounds the network's buffers
MIN_ADAPTIVE_LR = 1e-6  # scikit-learn stops 'adaptive' SGD when η falls to this
# the estimators' squared-error ``loss`` → the network's cost: scikit-learn's ½|a − y|², or the
# seed's |a − y|² (whose L2 term is doubled with it, see _BaseMLP._l2)
SQUARED_LOSSES = {"squared_error": "half_squared_error", "seed_squared_error": "squared_error"}


# ---------------------------------------------------------------------------
# hyperparameter checks (ConfigError names the argument, like every chainrule option)


def _bad(name: str, expected: str, value: object) -> ConfigError:
    return ConfigError(f"{name}: expected {expected}, got {value!r}")


def _check_number(est: BaseEstimator, name: str, low: float, high: float = math.inf, *,
                  low_open: bool = False, high_open: bool = False) -> None:
    """A finite real number in the range; else ConfigError naming the hyperparameter."""
    value = getattr(est, name)
    # NaN fails every comparison; ±inf is refused here rather than by whatever uses it
    in_range = isinstance(value, Real) and not isinstance(value, bool) and \
        math.isfinite(value) and (low < value if low_open else low <= value) and \
        (value < high if high_open else value <= high)
    if not in_range:
        if math.isinf(high):
            expected = f"a finite number {'>' if low_open else '>='} {low:g}"
        else:
            lo, hi = "(" if low_open else "[", ")" if high_open else "]"
            expected = f"a number in {lo}{low:g}, {high:g}{hi}"
        raise _bad(name, expected, value)


def _check_int(est: BaseEstimator, name: str, low: int = 1) -> None:
    value = getattr(est, name)
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise _bad(name, f"an integer >= {low}", value)


def _check_choice(est: BaseEstimator, name: str, choices: tuple[str, ...]) -> None:
    value = getattr(est, name)
    if not isinstance(value, str) or value not in choices:
        raise _bad(name, "one of " + ", ".join(repr(c) for c in choices), value)


def _hidden_sizes(value: object) -> list[int]:
    """``hidden_layer_sizes`` as a list: an int is one layer, a sequence one entry per layer."""
    sizes = [value] if np.ndim(value) == 0 else list(np.ravel(value))  # type: ignore[arg-type]
    for s in sizes:
        if isinstance(s, bool | np.bool_) or not isinstance(s, Integral) or s < 1:
            raise _bad("hidden_layer_sizes", "positive integers (one per hidden layer)", value)
    return [int(s) for s in sizes]


# ---------------------------------------------------------------------------
# the shared implementation


class _BaseMLP(BaseEstimator):
    """Fitting, prediction and state shared by :class:`MLPRegressor` and :class:`MLPClassifier`.

    Subclasses define ``__init__`` (which only stores the hyperparameters) and
    the hooks ``_validate_input``, ``_output_spec``, ``_predict_from_output``
    and ``_score_arrays``.
    """

    _classifier = False

    # -- hyperparameters -------------------------------------------------------

    def _check_params(self) -> tuple[list[int], np.dtype]:
        """The hidden layer sizes and the dtype, once every hyperparameter is checked."""
        hidden = _hidden_sizes(self.hidden_layer_sizes)
        _check_choice(self, "activation", HIDDEN_ACTIVATIONS)
        _check_choice(self, "solver", SOLVERS)
        _check_choice(self, "learning_rate", SCHEDULES)
        _check_number(self, "alpha", 0.0)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            _check_int(self, "batch_size")
        _check_number(self, "learning_rate_init", 0.0, low_open=True)
        _check_number(self, "power_t", 0.0)
        _check_int(self, "max_iter")
        _check_number(self, "tol", 0.0)
        _check_number(self, "momentum", 0.0, 1.0)
        _check_number(self, "validation_fraction", 0.0, 1.0, high_open=True)
        for name in ("beta_1", "beta_2"):
            _check_number(self, name, 0.0, 1.0, high_open=True)
        _check_number(self, "epsilon", 0.0, low_open=True)
        if self.n_iter_no_change != np.inf:
            _check_int(self, "n_iter_no_change")
        _check_int(self, "max_fun")
        for name in ("shuffle", "warm_start", "nesterovs_momentum", "early_stopping"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise _bad(name, "True or False", getattr(self, name))
        return hidden, as_float_dtype(self.dtype, "dtype")

    def _l2(self, cost: str) -> float:
        """The Trainer's ``l2`` for ``alpha``: doubled for the seed's squared error (no ½ in C).

        The penalty is then ``(l2 / 2N) Σ W²``: scikit-learn's ``(α/2N) Σ W²`` next
        to its ½|a − y|² and the cross-entropies, twice it next to the seed's |a − y|².
        """
        return 2.0 * self.alpha if cost == "squared_error" else float(self.alpha)

    def _weights_sq(self) -> float:
        """``Σ_l ‖W(l)‖²`` at the current weights (biases are not penalised)."""
        return sum(float(np.vdot(W, W)) for W in self.network_.W)

    def _per_output(self) -> bool:
        """Whether ``loss_`` divides the data part by ``n_outputs_`` (scikit-learn's habit).

        scikit-learn reports its squared error as the mean over examples and outputs
        of ½(a − y)², though its gradient is that of ½|a − y|² summed over the
        outputs; the tol-based stopping sees the reported value.
        """
        return self.network_.cost.name == "half_squared_error" and self.n_outputs_ > 1

    # -- fitting -----------------------------------------------------------------

    def _fit(self, X: object, y: object, incremental: bool) -> _BaseMLP:
        # Warnings name the caller's line: their stacklevel counts the frames from the
        # warning up through _fit and fit/partial_fit to the caller.
        hidden, dtype = self._check_params()
        first_pass = "network_" not in self.__dict__ or (not self.warm_start and not incremental)
        X, Y, y_labels = self._validate_input(X, y, incremental, first_pass, dtype)
        rs = check_random_state(self.random_state)
        if first_pass:
            self._initialize(Y.shape[1], [X.shape[1], *hidden, Y.shape[1]], dtype, rs)
        else:
            self._check_continuable(X.shape[1], hidden, Y.shape[1], dtype)
        if self.solver == "lbfgs":
            self._fit_lbfgs(X, Y)
        else:
            self._fit_stochastic(X, Y, y_labels, rs, incremental)
        return self

    def _initialize(self, n_outputs: int, sizes: list[int], dtype: np.dtype,
                    rs: np.random.RandomState) -> None:
        out_activation, cost = self._output_spec(n_outputs)
        # scikit-learn's Glorot-uniform draws, in its order: coefs (fan_in, fan_out), intercepts
        factor = 2.0 if self.activation == "logistic" else 6.0
        weights, biases = [], []
        for fan_in, fan_out in pairwise(sizes):
            r = np.sqrt(factor / (fan_in + fan_out))
            weights.append(rs.uniform(-r, r, (fan_in, fan_out)).T)  # our W is (n_l, n_{l-1})
            biases.append(rs.uniform(-r, r, fan_out))
        self.network_ = Network(sizes, self.activation, out_activation, cost, dtype=dtype,
                                weights=weights, biases=biases)
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(sizes)
        self.out_activation_ = out_activation
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_: list[float] = []
        self._no_improvement_count = 0
        self._trainer: Trainer | None = None
        self._best_params = self.network_.params.copy()
        stochastic_es = self.early_stopping and self.solver != "lbfgs"
        self.best_loss_: float | None = None if stochastic_es else math.inf
        self.validation_scores_: list[float] | None = [] if stochastic_es else None
        self.best_validation_score_: float | None = -math.inf if stochastic_es else None

    def _check_continuable(self, n_features: int, hidden: list[int], n_outputs: int,
                           dtype: np.dtype) -> None:
        """warm_start and partial_fit continue the fitted network: its shape must not change."""
        net = self.network_
        sizes = (n_features, *hidden, n_outputs)
        if net.layer_sizes != sizes:
            raise ConfigError(f"hidden_layer_sizes: the fitted network has layers "
                              f"{net.layer_sizes}; continuing it with {sizes} is not possible "
                              f"(set warm_start=False to start again)")
        if net.dtype != dtype:
            raise ConfigError(f"dtype: the fitted network is {net.dtype.name}, now "
                              f"{dtype.name} is asked for (set warm_start=False to start again)")
        cost = self._output_spec(n_outputs)[1]
        if net.cost.name != cost:
            raise ConfigError(f"loss: the fitted network minimises {net.cost.name!r}, "
                              f"loss={self.loss!r} needs {cost!r} (set warm_start=False to "
                              f"start again)")

    def _make_trainer(self, rs: np.random.RandomState, batch_size: int) -> Trainer:
        options: dict[str, Any]
        if self.solver == "sgd":
            options = {"momentum": float(self.momentum),
                       "nesterov": bool(self.nesterovs_momentum and self.momentum > 0)}
        else:
            options = {"beta_1": float(self.beta_1), "beta_2": float(self.beta_2),
                       "epsilon": float(self.epsilon)}
        seed = int(rs.randint(np.iinfo(np.int32).max))
        return Trainer(self.network_, optimizer=self.solver,
                       learning_rate=float(self.learning_rate_init), batch_size=batch_size,
                       shuffle=bool(self.shuffle), random_state=np.random.default_rng(seed),
                       l2=self._l2(self.network_.cost.name), schedule="constant",
                       optimizer_options=options)

    def _batch_size(self, n: int) -> int:
        if self.batch_size == "auto":
            return min(200, n)
        if self.batch_size > n:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going "
                          "to be clipped", UserWarning, stacklevel=5)
        return int(np.clip(self.batch_size, 1, n))

    def _fit_stochastic(self, X: Array, Y: Array, y_labels: Array,
                        rs: np.random.RandomState, incremental: bool) -> None:
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        X_val = y_val = None
        if self.early_stopping:
            if self.validation_scores_ is None:  # first fitted by lbfgs, now stochastic
                self.validation_scores_, self.best_validation_score_ = [], -math.inf
                self.best_loss_ = None
            stratify = y_labels if self._classifier and self.n_outputs_ == 1 else None
            X, X_val, Y, _, _, y_val = train_test_split(
                X, Y, y_labels, random_state=rs, test_size=self.validation_fraction,
                stratify=stratify)
            if X_val.shape[0] < 2:
                raise ValueError("The validation set is too small. Increase "
                                 "'validation_fraction' or the size of your dataset.")
        n = X.shape[0]
        batch_size = self._batch_size(n)
        t = self._trainer
        if not incremental or t is None:
            t = self._trainer = self._make_trainer(rs, batch_size)
        else:
            t.batch_size = batch_size
            t.batch = 0  # an interrupted epoch is not resumed on new data
        self.n_iter_ = 0
        # scikit-learn's loss_ adds the penalty (α/2m)‖W‖² of every mini-batch of m examples,
        # at the weights before its step; summed over an epoch, weighted by m and divided
        # by n, that is (α/2n) Σ_batches ‖W_b‖²: "sq" sums ‖W‖² before each step of the
        # epoch, "next" is ‖W‖² before the coming step
        state: dict[str, Any] = {"reached_max_iter": False, "sq": 0.0,
                                 "next": self._weights_sq()}
        l2 = self._l2(self.network_.cost.name)

        def after_step(epoch: int, batch: int, n_batches: int) -> None:
            state["sq"] += state["next"]
            state["next"] = self._weights_sq()

        def end_of_epoch(info: EpochInfo) -> bool:
            return self._end_of_epoch(info, n, X_val, y_val, incremental, state)

        try:
            t.run(X, Y, t.epoch + (1 if incremental else self.max_iter), validation=None,
                  callbacks=[end_of_epoch], batch_callback=after_step if l2 > 0 else None)
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=4)
        except DivergenceError as exc:
            raise DivergenceError(f"Solver produced non-finite parameter weights. The input "
                                  f"data may contain large values and need to be "
                                  f"preprocessed. ({exc})", epoch=exc.epoch,
                                  batch=exc.batch) from exc
        if self.early_stopping:
            self.network_.params[...] = self._best_params
        if state["reached_max_iter"]:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                          "and the optimization hasn't converged yet.", ConvergenceWarning,
                          stacklevel=4)

    def _end_of_epoch(self, info: EpochInfo, n: int, X_val: Array | None, y_val: Array | None,
                      incremental: bool, state: dict[str, Any]) -> bool:
        """scikit-learn's end-of-iteration bookkeeping; returns True to stop training."""
        self.n_iter_ += 1
        self.t_ += n
        # the Trainer's epoch cost sum is C summed over the outputs, without the penalty
        data = self._trainer.epoch_cost_sum / n  # type: ignore[union-attr]
        if self._per_output():
            data /= self.n_outputs_
        l2 = self._l2(self.network_.cost.name)
        self.loss_ = float(data + 0.5 * l2 * state["sq"] / n)  # sq is 0 when l2 is
        state["sq"] = 0.0
        self.loss_curve_.append(self.loss_)
        if self.verbose:
            print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
        self._update_no_improvement_count(X_val, y_val)
        optimizer = self._trainer.optimizer  # type: ignore[union-attr]
        sgd = self.solver == "sgd"
        if sgd and self.learning_rate == "invscaling":
            optimizer.learning_rate = self.learning_rate_init / (self.t_ + 1) ** self.power_t
        if self._no_improvement_count > self.n_iter_no_change:
            what = "Validation score" if self.early_stopping else "Training loss"
            msg = (f"{what} did not improve more than tol={self.tol:f} for "
                   f"{self.n_iter_no_change} consecutive epochs.")
            if sgd and self.learning_rate == "adaptive" and \
                    optimizer.learning_rate > MIN_ADAPTIVE_LR:
                optimizer.learning_rate /= 5.0
                self._no_improvement_count = 0
                if self.verbose:
                    print(f"{msg} Setting learning rate to {optimizer.learning_rate:f}")
            else:
                if self.verbose:
                    print(f"{msg} Stopping.")
                return True
        if not incremental and self.n_iter_ == self.max_iter:
            state["reached_max_iter"] = True
        return False

    def _update_no_improvement_count(self, X_val: Array | None, y_val: Array | None) -> None:
        if self.early_stopping:
            assert X_val is not None and self.validation_scores_ is not None
            score = self._score_arrays(X_val, y_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_params[...] = self.network_.params
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            self.best_loss_ = min(self.best_loss_, self.loss_curve_[-1])

    def _fit_lbfgs(self, X: Array, Y: Array) -> None:
        """Full-batch L-BFGS on ``J(θ) = C + (l2 / 2N) Σ W²`` (SciPy's L-BFGS-B, like sklearn)."""
        net = self.network_
        n = X.shape[0]
        l2 = self._l2(net.cost.name)
        mask = np.zeros(net.n_params, bool)
        for w0, b0 in net.offsets():
            mask[w0:b0] = True  # weights only; biases are not penalised
        scratch = np.empty_like(net.params)

        def cost_and_gradient(theta: Array) -> tuple[float, Array]:
            # theta is net.params itself (minimize_lbfgs writes each point into it)
            total = 0.0
            grad = np.zeros(net.n_params, np.float64)
            for start in range(0, n, PREDICT_CHUNK):
                Xb, Yb = X[start:start + PREDICT_CHUNK], Y[start:start + PREDICT_CHUNK]
                c = net.forward(Xb, check=False)
                total += float(np.sum(net.cost.per_example(c.Z[-1], c.A[-1], Yb)))
                grad += net.backward(Yb) * (Xb.shape[0] / n)  # chunk mean → full mean
            W = theta[mask].astype(np.float64, copy=False)
            cost = total / n + 0.5 * l2 * float(np.dot(W, W)) / n
            return cost, l2_penalty_grad(grad, theta, mask, l2 / n, out=scratch)

        def reported(fun: float, theta: Array) -> float:
            # J = C + penalty, optimised as it is (value and gradient consistent); loss_ as
            # scikit-learn reports it, C per output (see _per_output)
            if not self._per_output():
                return float(fun)
            penalty = 0.5 * l2 * float(np.dot(theta[mask], theta[mask])) / n
            return (float(fun) - penalty) / self.n_outputs_ + penalty

        def record(result: Any) -> None:
            self.loss_curve_.append(reported(result.fun, result.x))

        # SciPy's gtol must be > 0; tol=0 means "never stop on the gradient"
        tol = float(self.tol) or float(np.finfo(np.float64).tiny)
        with np.errstate(over="ignore", invalid="ignore"):
            result = minimize_lbfgs(cost_and_gradient, net.params, max_iter=int(self.max_iter),
                                    tol=tol, max_fun=int(self.max_fun), callback=record)
        self.n_iter_ = min(int(result.nit), int(self.max_iter))
        self.loss_ = reported(result.fun, result.x)
        self.best_loss_ = min([self.loss_, *self.loss_curve_])
        if not np.isfinite(net.params).all():
            raise ValueError("Solver produced non-finite parameter weights. The input data may "
                             "contain large values and need to be preprocessed.")
        if result.status != 0:
            message = result.message.decode() if isinstance(result.message, bytes) else \
                result.message
            warnings.warn(f"lbfgs failed to converge after {result.nit} iteration(s) "
                          f"(status={result.status}): {message}. Increase the number of "
                          f"iterations (max_iter={self.max_iter}) or the number of function "
                          f"evaluations (max_fun={self.max_fun}), or scale the data.",
                          ConvergenceWarning, stacklevel=4)

    # -- prediction ------------------------------------------------------------

    def _output(self, X: Array, *, logits: bool = False) -> Array:
        """The output layer's A (or Z with ``logits``) for validated X, in bounded chunks."""
        net = self.network_
        out = np.empty((X.shape[0], net.n_outputs), net.dtype)  # (N, n_out)
        for start in range(0, X.shape[0], PREDICT_CHUNK):
            c = net.forward(X[start:start + PREDICT_CHUNK], check=False)
            out[start:start + PREDICT_CHUNK] = c.Z[-1] if logits else c.A[-1]
        return out

    def _validated_output(self, X: object, *, logits: bool = False) -> Array:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=self.network_.dtype)
        return self._output(X, logits=logits)

    # -- fitted attributes in scikit-learn's layout ----------------------------

    @property
    def coefs_(self) -> list[Array]:
        """Weights in scikit-learn's orientation, ``(n_{l−1}, n_l)``: views of ``W[l].T``."""
        return [W.T for W in self.network_.W]

    @property
    def intercepts_(self) -> list[Array]:
        """Bias vectors ``b[l]`` of shape ``(n_l,)`` (views into the network)."""
        return list(self.network_.b)

    # -- pickling: never the training data ---------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        # network_ pickles its structure and parameters only (Network.__getstate__), and
        # pickle's memo keeps _trainer.network the same object as network_.  Between epochs
        # the trainer's permutation (one index per training example) is drawn afresh anyway.
        state = dict(super().__getstate__())  # object.__getstate__ gives __dict__ itself
        trainer = state.get("_trainer")
        if trainer is not None and trainer.batch == 0:
            trainer = copy.copy(trainer)
            trainer.perm = None
            state["_trainer"] = trainer
        return state


def _check_solver(est: _BaseMLP) -> bool:
    """``partial_fit`` exists only for the stochastic solvers (scikit-learn's message)."""
    if est.solver not in ("sgd", "adam"):
        raise AttributeError(f"partial_fit is only available for stochastic optimizers. "
                             f"{est.solver} is not stochastic.")
    return True


def _result_dtype(X: object) -> type[np.floating]:
    """scikit-learn's habit: results in float32 for float32 input, else in float64."""
    return np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64


def _as_1d_if_single(y: Array) -> Array:
    if y.ndim == 2 and y.shape[1] == 1:
        return column_or_1d(y, warn=True)
    return y


# ---------------------------------------------------------------------------
# the regressor


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor trained by back-propagation (scikit-learn's API).

    By default minimises scikit-learn's objective,
    ``J = (1/N) Σ_k ½|a_k − y_k|² + (α/2N) Σ_l ‖W(l)‖²``; with
    ``loss='seed_squared_error'`` the seed's
    ``J = (1/N) Σ_k |a_k − y_k|² + (α/N) Σ_l ‖W(l)‖²``, twice as large.

    Parameters
    ----------
    loss : {'squared_error', 'seed_squared_error'}, default='squared_error'
        'squared_error': ``C_k = ½|a_k − y_k|²`` (the network's cost
        'half_squared_error'), with ``loss_`` reported as scikit-learn does,
        ``½(a − y)²`` averaged over examples and outputs, plus the penalty.
        'seed_squared_error': ``C_k = |a_k − y_k|²`` (no ½, the network's cost
        'squared_error'), the penalty doubled with it; ``loss_`` is ``J``.
    hidden_layer_sizes : int or array-like of int, default=(100,)
        Neurons of each hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'softplus'}, \
default='relu'
        σ of the hidden layers.
    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
    alpha : float, default=0.0001
        L2 strength α (weights only, divided by the number of examples; doubled
        with 'seed_squared_error').
    batch_size : int or 'auto', default='auto'
        Examples per step; 'auto' is ``min(200, n_samples)``.  Not used by 'lbfgs'.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Schedule of η for ``solver='sgd'`` (see the module docstring).
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
        σ of the output layer; default 'identity' (scikit-learn's).
    dtype : {'float64', 'float32'}, default='float64'
        Precision of the weights and the arithmetic.

    Attributes
    ----------
    network_ : Network
        The trained network.
    coefs_, intercepts_ : list of ndarray
        ``W[l].T`` (shape ``(n_{l−1}, n_l)``) and ``b[l]``, views into ``network_``.
    loss_, best_loss_, loss_curve_, n_iter_, t_, n_layers_, n_outputs_, out_activation_,
    n_features_in_, feature_names_in_, validation_scores_, best_validation_score_
        As in scikit-learn.
    """

    def __init__(
        self,
        loss: str = "squared_error",
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        output_activation: str | None = None,
        dtype: str = "float64",
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.output_activation = output_activation
        self.dtype = dtype

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _validate_input(self, X: object, y: object, incremental: bool, reset: bool,
                        dtype: np.dtype) -> tuple[Array, Array, Array]:
        _check_choice(self, "loss", tuple(SQUARED_LOSSES))
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=dtype,
                             reset=reset)
        y = _as_1d_if_single(y)
        Y = y.reshape(-1, 1) if y.ndim == 1 else y  # (N, n_out)
        return X, Y.astype(dtype, copy=False), y

    def _output_spec(self, n_outputs: int) -> tuple[str, str]:
        out = "identity" if self.output_activation is None else self.output_activation
        return out, SQUARED_LOSSES[self.loss]

    def _score_arrays(self, X: Array, y: Array) -> float:
        pred = self._output(X)
        if not np.isfinite(pred).all():
            return math.nan
        return float(r2_score(y, pred.ravel() if y.ndim == 1 else pred))

    def fit(self, X: object, y: object) -> MLPRegressor:
        """Fit the network to ``(X, y)``; with ``warm_start``, continue the previous fit.

        Returns
        -------
        self
        """
        return self._fit(X, y, incremental=False)

    @available_if(_check_solver)
    def partial_fit(self, X: object, y: object) -> MLPRegressor:
        """One epoch over ``(X, y)``, continuing the weights and the optimiser's state."""
        return self._fit(X, y, incremental=True)

    def predict(self, X: object) -> Array:
        """The network's output ``a(L)``: shape (n_samples,) for one output, else (n, n_outputs).

        As in scikit-learn, predictions come back as float32 for float32 input and as
        float64 otherwise, whatever ``dtype`` the network computes in.
        """
        out = self._validated_output(X).astype(_result_dtype(X), copy=False)
        return out.ravel() if out.shape[1] == 1 else out


# ---------------------------------------------------------------------------
# the classifier


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier trained by back-propagation (scikit-learn's API).

    Like scikit-learn's: binary targets get one logistic output and the binary
    cross-entropy, multiclass targets a softmax output and the cross-entropy,
    multilabel targets (an indicator matrix) logistic outputs and the binary
    cross-entropy, each plus ``(α/2N) Σ ‖W‖²``.  With ``loss='squared_error'``
    ``½|a − y|²`` on the one-hot targets is minimised instead (penalty
    ``(α/2N) Σ ‖W‖²``), with ``loss='seed_squared_error'`` the seed's
    ``|a − y|²`` (penalty ``(α/N) Σ ‖W‖²``), as in :class:`MLPRegressor`.

    Parameters
    ----------
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate, \
learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose, warm_start, \
momentum, nesterovs_momentum, early_stopping, validation_fraction, beta_1, beta_2, epsilon, \
n_iter_no_change, max_fun
        As in :class:`MLPRegressor` (early stopping watches the accuracy).
    loss : {'log_loss', 'squared_error', 'seed_squared_error'}, default='log_loss'
        The squared errors as in :class:`MLPRegressor` (``loss_`` of
        'squared_error' per output, as there).
    output_activation : {'logistic', 'softmax'}, optional
        Default: logistic for binary and multilabel targets, softmax for
        multiclass.  'logistic' on multiclass targets trains one-vs-rest
        outputs; ``predict_proba`` then normalises each row to sum to one.
    dtype : {'float64', 'float32'}, default='float64'

    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        The class labels.
    network_, coefs_, intercepts_, loss_, best_loss_, loss_curve_, n_iter_, t_, n_layers_, \
n_outputs_, out_activation_, n_features_in_, feature_names_in_, validation_scores_, \
best_validation_score_
        As in :class:`MLPRegressor`.
    """

    _classifier = True

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        loss: str = "log_loss",
        output_activation: str | None = None,
        dtype: str = "float64",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.loss = loss
        self.output_activation = output_activation
        self.dtype = dtype

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def _validate_input(self, X: object, y: object, incremental: bool, reset: bool,
                        dtype: np.dtype) -> tuple[Array, Array, Array]:
        _check_choice(self, "loss", ("log_loss", *SQUARED_LOSSES))
        X, y = validate_data(self, X, y, multi_output=True, dtype=dtype, reset=reset)
        y = _as_1d_if_single(y)
        check_classification_targets(y)
        if "classes_" not in self.__dict__ or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start and not incremental:
                if set(classes) != set(self.classes_):
                    raise ValueError("warm_start can only be used where `y` has the same "
                                     "classes as in the previous call to fit. Previously got "
                                     f"{self.classes_}, `y` has {classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                                 f"{self.classes_}. 'y' has {classes}.")
        Y = self._label_binarizer.transform(y).astype(dtype)  # (N, n_out) one-hot / indicator
        return X, Y, y

    def _output_spec(self, n_outputs: int) -> tuple[str, str]:
        multiclass = self._label_binarizer.y_type_ == "multiclass"
        out = self.output_activation
        if out is None:
            out = "softmax" if multiclass else "logistic"
        elif out not in ("logistic", "softmax") or (out == "softmax" and not multiclass):
            expected = "'logistic' or 'softmax'" if multiclass else "'logistic'"
            raise _bad("output_activation",
                       f"{expected} for {self._label_binarizer.y_type_} targets", out)
        if self.loss in SQUARED_LOSSES:
            return out, SQUARED_LOSSES[self.loss]
        return out, "cross_entropy" if out == "softmax" else "binary_cross_entropy"

    def _labels(self, A: Array) -> Array:
        if self.n_outputs_ == 1:
            A = A.ravel()
        return self._label_binarizer.inverse_transform(A)

    def _score_arrays(self, X: Array, y: Array) -> float:
        return float(accuracy_score(y, self._labels(self._output(X))))

    def fit(self, X: object, y: object) -> MLPClassifier:
        """Fit the network to ``(X, y)``; with ``warm_start``, continue the previous fit.

        Returns
        -------
        self
        """
        return self._fit(X, y, incremental=False)

    @available_if(_check_solver)
    def partial_fit(self, X: object, y: object, classes: object = None) -> MLPClassifier:
        """One epoch over ``(X, y)``; ``classes`` (all labels) is required on the first call."""
        first = "classes_" not in self.__dict__
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if classes is not None:
            classes = unique_labels(classes)
            if not first and not np.array_equal(classes, self.classes_):
                raise ValueError(f"`classes={classes!r}` is not the same as on last call to "
                                 f"partial_fit, was: {self.classes_!r}")
        if first:
            lb = LabelBinarizer()
            lb.fit(y if type_of_target(y).startswith("multilabel") else classes)
            self._label_binarizer, self.classes_ = lb, lb.classes_
        return self._fit(X, y, incremental=True)

    def predict(self, X: object) -> Array:
        """Predicted labels: argmax for multiclass, ``a ≥ ½`` for binary and multilabel."""
        return self._labels(self._validated_output(X))

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
        wanted = _result_dtype(X)
        if self.out_activation_ == "softmax":
            return self._validated_output(X).astype(wanted, copy=False)
        Z = self._validated_output(X, logits=True).astype(wanted, copy=False)
        if self.n_outputs_ == 1:
            return expit(np.hstack([-Z, Z]))  # (N, 2): P(negative), P(positive)
        P = expit(Z)
        if self._label_binarizer.y_type_ == "multiclass":
            total = P.sum(axis=1, keepdims=True)  # one-vs-rest outputs, normalised
            return np.divide(P, total, out=np.full_like(P, 1 / P.shape[1]), where=total > 0)
        return P

    def predict_log_proba(self, X: object) -> Array:
        """``log(predict_proba(X))`` (−inf where a probability underflows to 0)."""
        P = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(P, out=P)
