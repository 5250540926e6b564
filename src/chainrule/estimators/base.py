"""What both estimators share: fitting through the training engine, prediction, attributes.

The estimator is a face: it checks the hyperparameters and the data as scikit-learn
does, draws the initial weights and the validation split in scikit-learn's order, and
hands the rest to :class:`~chainrule.train.Trainer` with scikit-learn's parts: the
solver of the registry with the same name, scikit-learn's schedules
(:class:`~chainrule.optim.EpochInverseScalingLR`, :class:`~chainrule.optim.DivideOnPlateau`)
and scikit-learn's stopping rule (:class:`~chainrule.train.EarlyStopping` with
``rule='min'``, ``patience = n_iter_no_change + 1``).  A callback keeps scikit-learn's
fitted attributes (``loss_``, ``loss_curve_``, ``n_iter_``, ``t_``, ...).

The inputs are scikit-learn's: dense arrays or SciPy sparse CSR/CSC matrices (the
first layer's products stay sparse), float32 kept as float32 (a float32 network)
unless ``dtype`` says otherwise, anything else as float64.
"""

from __future__ import annotations

import contextlib
import math
import sys
import warnings
from collections.abc import Iterator
from itertools import pairwise
from typing import Any, TypeVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from ..data.lazy import check_host_arrays, is_lazy
from ..errors import ConfigError, DivergenceError
from ..model.model import Model
from ..nn.network import Network
from ..optim.optimizers import SGD, GradientDescent, Solver
from ..optim.schedules import ConstantLR, DivideOnPlateau, EpochInverseScalingLR, LRSchedule
from ..optim.solvers import solver_class
from ..train.batches import as_weights, weight_total
from ..train.device_rows import DeviceRows
from ..train.history import EpochInfo
from ..train.progress import ProgressBar
from ..train.stopping import EarlyStopping
from ..train.trainer import Trainer
from ..utils.namespace import Namespace, as_data, is_numpy, namespace_dtype, take_rows
from .arrays import (
    data_inputs,
    device_dtypes,
    dispatch_on,
    fit_namespace,
    follow_x,
    predict_namespace,
)
from .hyperparameters import check_hyperparameters
from .parameters import LayerList, copy_layers, starting_weights

__all__ = ["BaseMLP", "MLPTags", "as_1d_if_single", "as_csr", "partial_fit_available",
           "result_dtype"]

Array = np.ndarray
PREDICT_CHUNK = 4096  # rows per forward pass when predicting: bounds the network's buffers
# the solvers scikit-learn's learning_rate schedule steers (its 'sgd'; ours also 'gd')
SCHEDULED = (GradientDescent, SGD)
INPUT_DTYPES = (np.float64, np.float32)  # scikit-learn's: float32 kept, the rest float64
SPARSE_FORMATS = ("csr", "csc")  # taken as they come; CSC is turned into CSR rows
MLP = TypeVar("MLP", bound="BaseMLP")
Held = tuple[Array, Array, Array | None]  # the rows held out for early stopping: X, y, weights


class MLPTags:
    """scikit-learn's tags of its MLPs: a regressor predicts several outputs, a classifier
    several labels.  Listed first among an estimator's bases, after the mixins' tags."""

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()  # type: ignore[misc]
        tags.input_tags.sparse = True
        # PyTorch and CuPy inputs with array_api_dispatch (estimators.arrays); not L-BFGS
        try:
            tags.array_api_support = not solver_class(self.solver).full_batch  # type: ignore[attr-defined]
        except ConfigError:
            tags.array_api_support = False
        if tags.classifier_tags is not None:
            tags.classifier_tags.multi_label = True
        else:
            tags.target_tags.multi_output = True
        return tags


class BaseMLP(BaseEstimator):
    """Fitting, prediction and state shared by :class:`MLPRegressor` and :class:`MLPClassifier`.

    Subclasses set ``__init__`` (which only stores the hyperparameters) and the hooks
    :meth:`_validate_input`, :meth:`_output_spec` and :meth:`_score_arrays`.
    """

    _classifier = False

    # -- the subclasses' hooks ---------------------------------------------------

    def _validate_input(self, X: object, y: object, incremental: bool, reset: bool,
                        dtype: np.dtype | None,
                        ns: Namespace | None = None) -> tuple[Array, Array, Array]:
        """``(X, Y, y)``: checked inputs, the targets as the network's (N, n_out), the labels.

        ``dtype`` None keeps float32 and float64 inputs as they are (see :meth:`_check_X_y`);
        X stays in the namespace ``ns`` (None: NumPy), Y and y are NumPy arrays.
        """
        raise NotImplementedError

    def _output_spec(self, n_outputs: int) -> tuple[str, str]:
        """The output layer's activation and the network's cost."""
        raise NotImplementedError

    def _score_arrays(self, X: Array, y: Array, sample_weight: Array | None = None) -> float:
        """scikit-learn's ``score`` on checked arrays (accuracy, R², weighted by
        ``sample_weight``): early stopping's."""
        raise NotImplementedError

    def _check_X_y(self, X: object, y: object, reset: bool, dtype: np.dtype | None,
                   ns: Namespace | None = None, **options: Any) -> tuple[Array, Array]:
        """scikit-learn's checks of ``(X, y)``: X dense or sparse (as CSR rows), in ``dtype``
        (None: float32 stays float32, the rest becomes float64), y 1-D if one column.

        With a namespace ``ns`` X is checked where it lives (scikit-learn's checks run
        there with ``array_api_dispatch``) and y, on the host, as scikit-learn checks it.
        """
        if ns is not None:
            X = validate_data(self, X, reset=reset, dtype=device_dtypes(ns, dtype))
            y = check_array(y, ensure_2d=False, dtype=None, input_name="y", estimator=self)
            if options.get("y_numeric") and y.dtype.kind == "O":
                y = y.astype(np.float64)
            check_consistent_length(X, y)
            return X, as_1d_if_single(y)
        X, y = validate_data(self, X, y, accept_sparse=SPARSE_FORMATS, multi_output=True,
                             dtype=INPUT_DTYPES if dtype is None else dtype, reset=reset,
                             **options)
        return as_csr(X), as_1d_if_single(y)

    def __sklearn_is_fitted__(self) -> bool:
        return "network_" in self.__dict__

    # -- the penalty and the reported loss --------------------------------------------

    def _l2(self) -> float:
        """The engine's ``l2`` for ``alpha``: doubled for the exercise's squared error.

        The penalty is then ``(l2 / 2N) Σ W²``: scikit-learn's ``(α/2N) Σ W²`` next to
        its ½|a − y|² and the cross-entropies, twice it next to the exercise's |a − y|².
        """
        return 2.0 * self.alpha if self.network_.cost.name == "squared_error" \
            else float(self.alpha)

    def _reported(self, cost: float, penalty: float) -> float:
        """``loss_`` for the engine's cost ``C + P``, as scikit-learn reports it.

        scikit-learn reports its squared error as the mean over examples and outputs of
        ½(a − y)², though its gradient is that of ½|a − y|² summed over the outputs; its
        tol-based stopping sees the reported value.
        """
        if self.network_.cost.name == "half_squared_error" and self.n_outputs_ > 1:
            return (cost - penalty) / self.n_outputs_ + penalty
        return cost

    # -- fitting ---------------------------------------------------------------------

    def fit(self: MLP, X: object, y: object, sample_weight: object = None) -> MLP:
        """Fit the network to ``(X, y)``; with ``warm_start``, continue the previous fit.

        Parameters
        ----------
        X : array-like or SciPy sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional
            Weights ``s_k ≥ 0`` (not all 0): each mini-batch's cost is the weighted
            mean ``Σ s_k C_k / Σ s_k`` and its L2 term ``(α / 2Σ s_k) Σ W²``, as in
            scikit-learn; early stopping's validation score is weighted too.

        Returns
        -------
        self
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    def _fit(self: MLP, X: object, y: object, incremental: bool,
             sample_weight: object = None) -> MLP:
        # Warnings name the caller's line: their stacklevel counts the frames from the
        # warning up through _fit and fit/partial_fit to the caller.
        hidden, dtype = check_hyperparameters(self)
        net: Network | None = self.__dict__.get("network_")
        assigned = self.__dict__.get("_assigned")  # coefs_, intercepts_ set before fitting
        # warm_start and partial_fit continue the fitted (or assigned) weights
        continuing = (self.warm_start or incremental) and (net is not None or bool(assigned))
        if dtype is None and continuing and net is not None:
            dtype = net.dtype  # new inputs are converted to the network's precision
        ns = None
        if is_lazy(X) or is_lazy(y):  # Dask collections: the rows stay on the cluster
            check_host_arrays(X=X, y=y)  # NumPy chunks on the workers: no tensors
            if sample_weight is not None:
                raise ConfigError("sample_weight: not taken with Dask inputs (every row "
                                  "weighs 1 on a cluster); fit on arrays to weight the rows")
            X, Y, y_labels = self._on_cluster(X, y, incremental, not continuing, dtype)
            weights = None
            n_in, n_out = X.n_inputs, X.n_outputs
        else:
            ns = self._fit_namespace(X, y, sample_weight)
            X, y, sample_weight = data_inputs(X=X, y=y, sample_weight=sample_weight)
            if ns is not None or dispatch_on():  # y and the weights follow X
                y, sample_weight = follow_x(y), follow_x(sample_weight)
            X, Y, y_labels = self._validate_input(X, y, incremental, not continuing, dtype,
                                                  ns)
            weights = as_weights(sample_weight, X.shape[0])
            n_in, n_out = X.shape[1], Y.shape[1]
        rs = check_random_state(self.random_state)
        sizes = [n_in, *hidden, n_out]
        X_dtype = namespace_dtype(X) if ns is not None else X.dtype
        if not continuing:
            self._initialize(sizes, X_dtype, rs)
        elif net is None:
            self._initialize(sizes, X_dtype, rs, starting_weights(
                assigned.get("coefs_"), assigned.get("intercepts_"), sizes, X_dtype))
        else:
            self._check_continuable(n_in, hidden, n_out, dtype or net.dtype)
        if ns is not None or self.network_.namespace is not None:
            self.network_.move_to(None if ns is None else X, name="X")  # it follows the data
        if solver_class(self.solver).full_batch:
            self._fit_full_batch(X, Y, weights)
        else:
            self._fit_stochastic(X, Y, y_labels, weights, rs, incremental)
        return self

    def _fit_namespace(self, X: object, y: object, sample_weight: object) -> Namespace | None:
        """Where this fit computes: X's namespace with ``array_api_dispatch`` (see
        :mod:`.arrays`), None for NumPy; a solver that cannot run there is refused."""
        ns = fit_namespace(X, y=y, sample_weight=sample_weight)
        if ns is not None and solver_class(self.solver).full_batch:
            raise ConfigError(f"solver: {self.solver!r} runs in SciPy on the host; X is "
                              f"{ns.name} on {ns.device}: use solver='adam' or 'sgd' there, "
                              "or fit on NumPy arrays")
        return ns

    def _on_cluster(self, X: Any, y: Any, incremental: bool, reset: bool,
                    dtype: np.dtype | None) -> tuple[Any, None, None]:
        """Dask collections as a :class:`~chainrule.distributed.ClusterData` on the current
        Dask client (``distributed.Client``): the targets encoded on the workers.

        ``dtype`` None keeps a float32 input float32 (an array's dtype, or a DataFrame's
        when every column is float32); the rest computes in float64.
        """
        from ..distributed import ClusterData, current_client

        if self.early_stopping:
            raise ConfigError("early_stopping: holds out rows in memory; with Dask inputs use "
                              "chainrule.distributed.fit(..., validation_split=...)")
        if dtype is None:
            dtypes = set(X.dtypes) if hasattr(X, "dtypes") else {X.dtype}
            dtype = np.dtype(np.float32 if dtypes == {np.dtype(np.float32)} else np.float64)
        Y = self._lazy_targets(y, incremental, reset, dtype)
        n_in = X.shape[1] if hasattr(X, "ndim") and X.ndim == 2 else len(X.columns)
        n_out = Y.shape[1] if Y.ndim == 2 else 1
        data = ClusterData.from_collections(X, Y, current_client(), n_inputs=int(n_in),
                                            n_outputs=int(n_out), dtype=dtype)
        if reset:
            self.n_features_in_ = int(n_in)
        return data, None, None

    def _lazy_targets(self, y: Any, incremental: bool, reset: bool, dtype: np.dtype) -> Any:
        """The network's targets for the Dask collection ``y``, lazily (the subclasses')."""
        raise NotImplementedError

    def _initialize(self, sizes: list[int], dtype: np.dtype, rs: np.random.RandomState,
                    given: tuple[list[Array], list[Array]] | None = None) -> None:
        """A new network: the ``given`` weights, or scikit-learn's initial draws from ``rs``."""
        n_outputs = sizes[-1]
        out_activation, cost = self._output_spec(n_outputs)
        weights, biases = given or _glorot_uniform(sizes, self.activation, rs)
        self.network_ = Network(sizes, self.activation, out_activation, cost, dtype=dtype,
                                weights=weights, biases=biases)
        self.__dict__.pop("_assigned", None)  # from now on they are the network's
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(sizes)
        self.out_activation_ = out_activation
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_: list[float] = []
        self._trainer: Trainer | None = None
        self._stopping: EarlyStopping | None = None  # carried over by warm starts
        full_batch = solver_class(self.solver).full_batch
        self.learning_rate_ = None if full_batch else float(self.learning_rate_init)
        stochastic_es = self.early_stopping and not full_batch
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

    def _solver(self) -> Solver:
        """The registry's solver named ``solver``, with the hyperparameters it takes."""
        cls = solver_class(self.solver)
        offered = {"momentum": float(self.momentum),
                   "nesterov": bool(self.nesterovs_momentum and self.momentum > 0),
                   "beta_1": float(self.beta_1), "beta_2": float(self.beta_2),
                   "epsilon": float(self.epsilon), "max_fun": int(self.max_fun)}
        options = {k: v for k, v in offered.items() if k in cls.hyperparameters}
        if cls.has_learning_rate:
            options["learning_rate"] = float(self.learning_rate_init)
        return cls(**options)

    def _schedule(self, solver: Solver) -> LRSchedule:
        """scikit-learn's ``learning_rate`` schedule (it steers 'sgd' only)."""
        if not isinstance(solver, SCHEDULED) or self.learning_rate == "constant":
            return ConstantLR()
        if self.learning_rate == "invscaling":
            # η = η₀ / (t_ + 1)^power_t between epochs, t_ counting examples across fits
            return EpochInverseScalingLR(float(self.learning_rate_init), float(self.power_t),
                                         seen=int(self.t_))
        return DivideOnPlateau(5.0, 1e-6)  # 'adaptive': η / 5 instead of stopping

    def _stopping_for_fit(self, stochastic: bool) -> EarlyStopping:
        """scikit-learn's stopping rule with this fit's options, its state carried over.

        A stochastic fit stops after more than ``n_iter_no_change`` epochs without an
        improvement by ``tol`` of the training loss (or, with ``early_stopping``, of the
        validation score), and puts the best weights back with ``early_stopping``.
        L-BFGS only records.
        """
        new = EarlyStopping(float(self.tol), self.n_iter_no_change + 1, rule="min",
                            stop=stochastic, restore_best=stochastic and self.early_stopping)
        if self._stopping is not None:
            new.load_state_dict(self._stopping.state_dict(), self._stopping.best_epoch)
        self._stopping = new
        return new

    def _batch_size(self, n: int) -> int:
        if self.batch_size == "auto":
            return min(200, n)
        if self.batch_size > n:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going "
                          "to be clipped", UserWarning, stacklevel=5)
        return int(np.clip(self.batch_size, 1, n))

    def _hold_out(self, X: Array, Y: Array, y_labels: Array, weights: Array | None,
                  rs: np.random.RandomState) -> tuple[Array, Array, Array | None, Held | None]:
        """scikit-learn's early-stopping split (stratified for single-output classifiers):
        the training rows ``(X, Y, weights)`` and the held-out ``(X, y, weights)``."""
        if not self.early_stopping:
            return X, Y, weights, None
        if self.validation_scores_ is None:  # first fitted by a full-batch solver
            self.validation_scores_, self.best_validation_score_ = [], -math.inf
            self.best_loss_ = None
        # as scikit-learn stratifies: by the binary target as a bool column (so a class too
        # small to split is named 'True' or 'False' in train_test_split's error)
        stratify = Y.astype(bool) if self._classifier and self.n_outputs_ == 1 else None
        # the rows' numbers are split (scikit-learn's split depends on their count and
        # the stratification only), then every array is cut by them, X where it lives
        train, held = train_test_split(np.arange(X.shape[0]), random_state=rs,
                                       test_size=self.validation_fraction, stratify=stratify)
        if held.size < 2:
            raise ValueError("The validation set is too small. Increase "
                             "'validation_fraction' or the size of your dataset.")
        w, w_val = (None, None) if weights is None else (weights[train], weights[held])
        return (take_rows(X, train), Y[train], w,
                (take_rows(X, held), y_labels[held], w_val))

    def _fit_stochastic(self, X: Array, Y: Array, y_labels: Array, weights: Array | None,
                        rs: np.random.RandomState, incremental: bool) -> None:
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        X, Y, weights, validation = self._hold_out(X, Y, y_labels, weights, rs)
        n = X.shape[0]
        batch_size = self._batch_size(n)
        t = self._trainer
        if not incremental or t is None:
            solver = self._solver()
            seed = int(rs.randint(np.iinfo(np.int32).max))
            t = self._trainer = Trainer(
                self.network_, optimizer=solver, batch_size=batch_size,
                shuffle=bool(self.shuffle), random_state=np.random.default_rng(seed),
                l2=self._l2(), schedule=self._schedule(solver), classification=False,
                stopping=self._stopping_for_fit(stochastic=True))
        else:
            t.batch_size = batch_size
            t.batch = 0  # an interrupted epoch is not resumed on new data
            t.history.stopped_early = False  # each partial_fit trains its epoch
        record = _Record(self, n, validation)
        t.monitor = record.score
        self.n_iter_ = 0
        ns = self.network_.namespace
        if ns is not None:  # the rows gathered on X's device, the weights kept beside them
            X, Y = DeviceRows(X, ns.asarray(Y, self.network_.dtype), ns, weights), None
        try:
            with _in_scikit_learns_words(), record:
                t.run(X, Y, t.epoch + (1 if incremental else self.max_iter),
                      sample_weight=weights, callbacks=[record])
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=4)
            if self.early_stopping:
                t.stopping.restore(self.network_.params)
        except DivergenceError as exc:
            if not self.early_stopping:
                raise
            record.diverged(exc)
            return
        finally:
            t.monitor = None  # it holds the validation rows: not kept, nor pickled
        if not incremental and self.n_iter_ == self.max_iter and not t.history.stopped_early:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                          "and the optimization hasn't converged yet.", ConvergenceWarning,
                          stacklevel=4)

    def _fit_full_batch(self, X: Array, Y: Array, weights: Array | None) -> None:
        """Full-batch L-BFGS on ``J(θ) = C + (l2 / 2S) Σ W²`` (SciPy's L-BFGS-B, like
        scikit-learn), ``C`` the (weighted) mean cost and ``S`` the rows' number (weight)."""
        t = Trainer(self.network_, optimizer=self._solver(), batch_size=None, shuffle=False,
                    random_state=0, l2=self._l2(), classification=False,
                    stopping=self._stopping_for_fit(stochastic=False))
        record = _Record(self, 0, None)  # scikit-learn's t_ counts no L-BFGS examples
        with _in_scikit_learns_words(), record:
            t.run(X, Y, int(self.max_iter), sample_weight=weights, callbacks=[record])
        result = t.lbfgs_result
        self.n_iter_ = min(int(result.nit), int(self.max_iter))
        penalty = 0.0 if t.penalty is None else t.penalty.value(
            self.network_.params, weight_total(weights, None, X.shape[0]))
        self.loss_ = self._reported(float(result.fun), penalty)
        self.best_loss_ = min([self.loss_, *self.loss_curve_])
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
        """The output layer's A (or Z with ``logits``) for validated X, in bounded chunks
        (where the network lives)."""
        net = self.network_
        if net.namespace is not None:
            blocks, N = [], X.shape[0]  # each taken before the next pass refills the cache
            for start in range(0, N, PREDICT_CHUNK):  # slices in bounds: all the standard has
                c = net.forward(X[start:min(start + PREDICT_CHUNK, N), :], check=False)
                blocks.append(c.Z[-1] if logits else c.A[-1])
            return net.namespace.xp.concat(blocks)
        out = np.empty((X.shape[0], net.n_outputs), net.dtype)  # (N, n_out)
        for start in range(0, X.shape[0], PREDICT_CHUNK):
            c = net.forward(X[start:start + PREDICT_CHUNK], check=False)
            out[start:start + PREDICT_CHUNK] = c.Z[-1] if logits else c.A[-1]
        return out

    def _validated_output(self, X: object, method: str, *, logits: bool = False) -> Array:
        """The outputs of :meth:`_output` for ``X`` checked by scikit-learn; X must be
        where the network was fitted (``method`` names the caller in the message)."""
        check_is_fitted(self)
        net = self.network_
        ns = predict_namespace(X, net.namespace, f"{type(self).__name__}.{method}")
        X = as_data(X, "X")
        dtype = net.dtype if ns is None else ns.dtype(net.dtype)
        X = validate_data(self, X, reset=False, dtype=dtype, accept_sparse=SPARSE_FORMATS)
        return self._output(as_csr(X), logits=logits)

    def to_model(self) -> Model:
        """The fitted network as a :class:`~chainrule.Model`, ``Model.from_estimator(self)``.

        A model saves to one file, predicts from DataFrames by column name and is what
        the command line loads.
        """
        return Model.from_estimator(self)

    # -- fitted attributes in scikit-learn's layout ----------------------------

    @property
    def coefs_(self) -> list[Array]:
        """Weights in scikit-learn's orientation, ``(n_{l−1}, n_l)``: views of ``W[l].T``.

        Assigning the list, or one layer (``coefs_[l] = W``), copies into the network;
        before the first fit the list is kept for a warm start or ``partial_fit`` to
        start from (with ``intercepts_``).
        """
        return self._layers("coefs_")

    @coefs_.setter
    def coefs_(self, value: list[Array]) -> None:
        self._assign("coefs_", value)

    @property
    def intercepts_(self) -> list[Array]:
        """Bias vectors ``b[l]`` of shape ``(n_l,)``: views into the network, assigned as
        :attr:`coefs_` is."""
        return self._layers("intercepts_")

    @intercepts_.setter
    def intercepts_(self, value: list[Array]) -> None:
        self._assign("intercepts_", value)

    def _views(self, name: str) -> list[Array]:
        net = self.network_
        return [W.T for W in net.W] if name == "coefs_" else list(net.b)

    def _layers(self, name: str) -> list[Array]:
        if "network_" in self.__dict__:
            return LayerList(self._views(name), name)
        assigned = self.__dict__.get("_assigned", {})
        if name not in assigned:
            raise AttributeError(f"{type(self).__name__} has no {name} before it is fitted")
        return assigned[name]

    def _assign(self, name: str, value: list[Array]) -> None:
        if "network_" in self.__dict__:
            copy_layers(self._views(name), value, name)
        else:
            self.__dict__.setdefault("_assigned", {})[name] = value


class _Record:
    """scikit-learn's end-of-epoch bookkeeping, as the engine's callback and monitor.

    :meth:`score` is the score the engine's early stopping watches (lower is better):
    minus the validation score with ``early_stopping``, else the training loss as
    scikit-learn reports it.  Calling the object at each epoch's end keeps ``loss_``,
    ``loss_curve_``, ``n_iter_``, ``t_``, ``validation_scores_``, ``best_loss_`` and
    ``best_validation_score_``, and prints what scikit-learn prints with ``verbose``,
    or, where someone watches (a terminal, a notebook), shows a live bar instead; used
    as a context manager around the run, which closes the bar.
    """

    def __init__(self, est: BaseMLP, n: int, validation: Held | None):
        self.est, self.validation = est, validation
        self.n = n  # examples an epoch adds to t_
        self.last = math.nan
        self.bar = ProgressBar.where_watched(sys.stdout) if est.verbose else None
        self.lines = bool(est.verbose) and self.bar is None

    def __enter__(self) -> _Record:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def score(self, info: EpochInfo) -> float:
        if self.validation is None:
            return self.est._reported(info.cost, info.penalty)
        self.last = self.est._score_arrays(*self.validation)
        return -self.last

    def diverged(self, exc: DivergenceError) -> None:
        """scikit-learn's end of a diverged run with early stopping: the best weights kept.

        The epoch that diverged is recorded with a NaN loss and validation score (as
        scikit-learn 1.9 records it), the weights of the best validation score are put
        back, and a ConvergenceWarning says so instead of an error.
        """
        est = self.est
        est.n_iter_ += 1
        est.loss_ = math.nan
        est.loss_curve_.append(math.nan)
        assert est.validation_scores_ is not None and est._stopping is not None
        est.validation_scores_.append(math.nan)
        best = est._stopping.best_epoch if est._stopping.restore(est.network_.params) else None
        kept = "the initial weights are kept" if best is None else \
            f"the weights of epoch {best}, with the best validation score, are kept"
        warnings.warn(f"Training diverged in epoch {exc.epoch} and stopped; with "
                      f"early_stopping {kept}. ({exc})", ConvergenceWarning, stacklevel=5)

    def __call__(self, info: EpochInfo) -> None:
        est = self.est
        est.n_iter_ += 1
        est.t_ += self.n
        est.loss_ = est._reported(info.cost, info.penalty)
        est.loss_curve_.append(est.loss_)
        trainer = est._trainer
        if trainer is not None and trainer.optimizer.has_learning_rate:
            est.learning_rate_ = float(trainer.optimizer.learning_rate)  # η of the next step
        if self.bar is not None:
            self.bar(info)
        if self.lines:
            print(f"Iteration {est.n_iter_}, loss = {est.loss_:.8f}")
        stopping = est._stopping
        assert stopping is not None
        if self.validation is not None:
            assert est.validation_scores_ is not None
            est.validation_scores_.append(self.last)
            est.best_validation_score_ = -stopping.best
            if self.lines:
                print(f"Validation score: {self.last:f}")
        elif stopping.stop:
            est.best_loss_ = stopping.best
        if self.lines and stopping.stop and stopping.stalled_at == info.epoch:
            what = "Validation score" if self.validation is not None else "Training loss"
            then = "Stopping." if info.history.stopped_early else \
                f"Setting learning rate to {est.learning_rate_:f}"
            print(f"{what} did not improve more than tol={est.tol:f} for "
                  f"{est.n_iter_no_change} consecutive epochs. {then}")


@contextlib.contextmanager
def _in_scikit_learns_words() -> Iterator[None]:
    """A diverged run raises with scikit-learn's message first (still a DivergenceError)."""
    try:
        yield
    except DivergenceError as exc:
        raise DivergenceError(f"Solver produced non-finite parameter weights. The input data "
                              f"may contain large values and need to be preprocessed. ({exc})",
                              epoch=exc.epoch, batch=exc.batch,
                              kept_epoch=exc.kept_epoch) from exc


def partial_fit_available(est: BaseMLP) -> bool:
    """``partial_fit`` exists only for the step solvers (scikit-learn's message)."""
    try:
        full_batch = solver_class(est.solver).full_batch
    except ConfigError:
        return True  # partial_fit's own checks name the bad solver
    if full_batch:
        raise AttributeError(f"partial_fit is only available for stochastic optimizers. "
                             f"{est.solver} is not stochastic.")
    return True


def _glorot_uniform(sizes: list[int], activation: str,
                    rs: np.random.RandomState) -> tuple[list[Array], list[Array]]:
    """scikit-learn's initial weights: ``U(−r, r)``, ``r = √(6/(fan_in + fan_out))``
    (``√(2/…)`` for a logistic hidden activation), drawn in its order, layer by layer
    its coefs ``(fan_in, fan_out)`` then its intercepts; returned as our ``W`` and ``b``."""
    factor = 2.0 if activation == "logistic" else 6.0
    weights, biases = [], []
    for fan_in, fan_out in pairwise(sizes):
        r = np.sqrt(factor / (fan_in + fan_out))
        weights.append(rs.uniform(-r, r, (fan_in, fan_out)).T)  # our W is (n_l, n_{l-1})
        biases.append(rs.uniform(-r, r, fan_out))
    return weights, biases


def as_csr(X: Any) -> Any:
    """Sparse rows as CSR (a mini-batch is a set of rows); dense arrays as they are."""
    return X.tocsr() if hasattr(X, "tocsr") and not isinstance(X, np.ndarray) else X


def result_dtype(X: object) -> type[np.floating]:
    """scikit-learn's habit: results in float32 for float32 input, else in float64
    (a PyTorch or CuPy array's dtype read by its name: bfloat16, as float16, gives float64)."""
    dtype = getattr(X, "dtype", None)
    if dtype is not None and not isinstance(dtype, np.dtype) and not is_numpy(X):
        return np.float32 if str(dtype).rsplit(".", 1)[-1] == "float32" else np.float64
    return np.float32 if dtype == np.float32 else np.float64


def as_1d_if_single(y: Array) -> Array:
    """A one-column target as a 1-D array (with scikit-learn's DataConversionWarning)."""
    if y.ndim == 2 and y.shape[1] == 1:
        return column_or_1d(y, warn=True)
    return y
