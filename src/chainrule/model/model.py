"""The trained thing: a network with its inputs' names and scaling and its targets' encoding.

A :class:`Model` is what ``chainrule train`` saves, what ``chainrule predict``
loads, and what a notebook holds: the same object, so ``load_model(path).predict(df)``
gives exactly what ``chainrule predict`` prints (the same blocks of rows, the same
scaling in float64, the same bits).

    >>> import numpy as np
    >>> from chainrule import Model, Network
    >>> X = np.array([[0.0, 10.0], [1.0, 20.0], [2.0, 10.0], [3.0, 20.0]])
    >>> y = np.array(["cat", "dog", "cat", "dog"])
    >>> net = Network([2, 4, 2], "tanh", cost="cross_entropy", random_state=0)
    >>> model = Model(net).fit(X, y, epochs=200, learning_rate=0.1, batch_size=None)
    >>> model.predict(X).tolist()
    ['cat', 'dog', 'cat', 'dog']
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..data.encoding import class_targets, label_value, predicted_labels
from ..data.frames import is_frame
from ..data.lazy import is_lazy, map_rows
from ..data.scaling import Standardizer, check_fits, scale_block, standardized
from ..data.source import Source
from ..errors import ConfigError, ShapeError
from ..io.model_file import read_model_file, save_model
from ..io.model_metadata import MODEL_FIELDS, check_metadata
from ..nn.network import Network
from ..optim.solvers import solver_class
from ..train import History
from ..train import evaluate as evaluate_network
from ..train import loop as training
from ..train.device_rows import DeviceRows
from ..utils import validation
from ..utils.namespace import (
    Namespace,
    array_namespace,
    as_data,
    is_numpy,
    to_namespace,
    to_numpy,
)
from ..utils.validation import as_2d, row_blocks
from ..utils.version import __version__
from .devices import (
    device_labels,
    device_like,
    device_matrix,
    device_proba,
    device_scaler,
    host_labels,
    scaled,
)
from .inputs import frame_names, input_matrix, select_columns, target_array
from .reprs import model_html

__all__ = ["Evaluation", "Model", "load_model", "training_summary"]

Array = np.ndarray

CLASSIFICATION_COSTS = ("cross_entropy", "binary_cross_entropy")


class Evaluation(NamedTuple):
    """What :meth:`Model.evaluate` measures: ``C = (1/N) Σ_k C_k`` and, for a
    classifier, the share of examples whose predicted class is theirs."""

    cost: float
    accuracy: float | None
    n_examples: int


class Model:
    """A trained network with everything needed to use it on raw data.

    Parameters
    ----------
    network : Network
        The network (trained, or to be trained by :meth:`fit`).
    feature_names : sequence of str, optional
        The inputs' column names, one per input: a DataFrame's columns are
        matched by these names.  None: inputs are taken by position.
    scaler : Standardizer, optional
        The input scaling ``(x − mean) / scale`` fitted on the training data
        (applied in float64, before the network's dtype).
    classes : sequence, optional
        For a classifier, the class labels in output order (two for a single
        output, which gives the probability of ``classes[1]``).  None: a regressor.
    class_names : sequence of str, optional
        Display names of the classes (e.g. ``inner``, ``outer`` for 0, 1).
    target_names : sequence of str, optional
        The targets' names: one per output for a regressor, the label column's
        for a classifier.
    training : dict, optional
        The training summary (epochs run, final cost, ...).
    dataset, data_file : str, optional
        Where the training data came from.
    metadata : dict, optional
        Any other JSON data to keep in the model file.

    Attributes
    ----------
    history : History or None
        The record of the last :meth:`fit` or :meth:`train` in this session (not
        saved with the model; :attr:`training` keeps its summary).

    Raises
    ------
    ConfigError
        For a field that does not fit the network (naming the field), as the
        model file would refuse it.
    """

    def __init__(self, network: Network, *, feature_names: Sequence[str] | None = None,
                 scaler: Standardizer | None = None, classes: Sequence[Any] | None = None,
                 class_names: Sequence[str] | None = None,
                 target_names: Sequence[str] | None = None,
                 training: dict[str, Any] | None = None, dataset: str | None = None,
                 data_file: str | None = None, metadata: dict[str, Any] | None = None) -> None:
        if not isinstance(network, Network):
            raise ConfigError(f"network: expected a chainrule Network, got "
                              f"{type(network).__name__}")
        if scaler is not None and not isinstance(scaler, Standardizer):
            raise ConfigError(f"scaler: expected a fitted Standardizer or None, got "
                              f"{type(scaler).__name__}")
        self.network = network
        self.feature_names = None if feature_names is None else tuple(feature_names)
        self.scaler = scaler
        self.classes = None if classes is None else [label_value(c) for c in classes]
        self.class_names = None if class_names is None else [str(c) for c in class_names]
        self.target_names = None if target_names is None else tuple(target_names)
        self.training = dict(training) if training is not None else None
        self.dataset, self.data_file = dataset, data_file
        self.metadata = dict(metadata) if metadata is not None else {}
        self.history: History | None = None
        self.check()

    # -- what it is ------------------------------------------------------------

    @property
    def task(self) -> str:
        """``'classification'`` when the model has classes, else ``'regression'``."""
        return "classification" if self.classes is not None else "regression"

    @property
    def n_inputs(self) -> int:
        """Inputs the network takes."""
        return self.network.n_inputs

    @property
    def n_outputs(self) -> int:
        """Outputs the network gives."""
        return self.network.n_outputs

    @property
    def cost(self) -> str:
        """The name of the network's cost."""
        return self.network.cost.name

    def to_metadata(self) -> dict[str, Any]:
        """The model's fields as the model file stores them (plus :attr:`metadata`)."""
        return {
            **self.metadata,
            "task": self.task,
            "feature_names": None if self.feature_names is None else list(self.feature_names),
            "target_names": None if self.target_names is None else list(self.target_names),
            "classes": self.classes,
            "class_names": self.class_names,
            "standardizer": None if self.scaler is None else self.scaler.to_dict(),
            "training": self.training,
            "dataset": self.dataset,
            "data_file": self.data_file,
        }

    def check(self) -> None:
        """Check every field against the network, as saving and loading do.

        Raises
        ------
        ConfigError
            Naming the field (e.g. ``classes`` with the wrong count for the outputs).
        """
        if self.scaler is not None and getattr(self.scaler, "mean_", None) is None:
            raise ConfigError("scaler: is not fitted; call its fit() first")
        check_metadata(self.to_metadata(), self.network.layer_sizes, ConfigError)

    def __repr__(self) -> str:
        sizes = "-".join(map(str, self.network.layer_sizes))
        what = f"classes={self.classes!r}" if self.classes is not None else "regression"
        return (f"Model({sizes} {self.network.activations[-1].name} network, cost={self.cost!r}, "
                f"{what}, standardized={self.scaler is not None})")

    def _repr_html_(self) -> str:
        return model_html(self)

    # -- files ------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the whole model to one safetensors file, atomically (see
        :func:`chainrule.io.save_model`); returns ``path``.

        A network on a device is written from a host copy of its parameters: the file
        is the same, bit for bit, as the one the model writes from NumPy.
        """
        self.check()
        return save_model(path, self.network, metadata=self.to_metadata())

    def to(self, device: object = None, *, like: object = None) -> Model:
        """Put the network on ``device`` (as PyTorch's ``.to``); returns the model.

        Parameters
        ----------
        device : str or torch.device, optional
            ``'cpu'``, ``'cuda'``, ``'cuda:1'`` or a ``torch.device``: PyTorch tensors
            there.  None (with no ``like``): NumPy arrays on the host.
        like : array, optional
            An array of the library and device wanted, e.g. ``cupy.empty(0)`` for CuPy
            on the current GPU.

        The model then takes inputs of that library and device only and answers in kind
        (``predict`` gives a tensor there).  The scaling and the classes stay on the host.

        Raises
        ------
        ConfigError
            Naming ``device``: an unknown or unavailable device, or PyTorch missing.
        """
        self.network.move_to(device_like(device, like))
        return self

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, device: object = None,
             like: object = None) -> Model:
        """Read a model file (format version 1 or 2); :func:`load_model` does the same.

        ``device`` and ``like`` put the network there, as :meth:`to` does (default: NumPy
        on the host).

        Raises
        ------
        ModelFileError
            Naming the file and the problem (a metadata field by name).
        ConfigError
            Naming ``device`` (see :meth:`to`).
        """
        place = device_like(device, like)  # an unknown device is refused before reading
        network, meta = read_model_file(path)
        network.move_to(place)
        scaling = meta.get("standardizer")
        return cls(network, feature_names=meta.get("feature_names"),
                   scaler=Standardizer.from_dict(scaling) if scaling else None,
                   classes=meta.get("classes"), class_names=meta.get("class_names"),
                   target_names=meta.get("target_names"), training=meta.get("training"),
                   dataset=meta.get("dataset"), data_file=meta.get("data_file"),
                   metadata={k: v for k, v in meta.items() if k not in MODEL_FIELDS})

    @classmethod
    def from_estimator(cls, estimator: Any) -> Model:
        """The model of a fitted chainrule estimator (``MLPClassifier``, ``MLPRegressor``).

        Reads its public fitted attributes: ``network_`` (copied), ``classes_``,
        ``feature_names_in_`` and ``n_iter_``.  Estimators do not scale their
        inputs, so the model has no scaler.

        Raises
        ------
        ConfigError
            For an estimator that is not fitted, or a classifier with several
            logistic outputs (multilabel targets, or ``output_activation='logistic'``
            for several classes), whose labels the model cannot tell apart.
        """
        network = getattr(estimator, "network_", None)
        if not isinstance(network, Network):
            raise ConfigError(f"estimator: expected a fitted chainrule estimator (with a "
                              f"network_), got {type(estimator).__name__}")
        classes = getattr(estimator, "classes_", None)
        if classes is not None and network.n_outputs > 1 \
                and network.activations[-1].name != "softmax":
            raise ConfigError("estimator: a classifier with several logistic outputs (multilabel "
                              "targets, or output_activation='logistic') cannot be a Model; "
                              "use output_activation='softmax'")
        names = getattr(estimator, "feature_names_in_", None)
        training = {"status": "completed", "epochs_run": int(getattr(estimator, "n_iter_", 0)),
                    "estimator": type(estimator).__name__, "chainrule_version": __version__}
        return cls(network.copy(), feature_names=None if names is None else list(names),
                   classes=None if classes is None else list(to_numpy(classes)),
                   training=training)

    # -- inputs -------------------------------------------------------------------

    def inputs(self, X: object, *, columns: Sequence[str] | None = None,
               source: Source | None = None) -> Array:
        """The model's inputs of ``X`` as an (N, n_inputs) array, not yet scaled.

        Parameters
        ----------
        X : array-like or DataFrame
            A DataFrame's columns are taken by the model's feature names (a
            missing one is named); an array's by position, unless ``columns``
            names them.
        columns : sequence of str, optional
            The names of an array's columns (e.g. a CSV file's), to pick the
            model's inputs by name.
        source : Source, optional
            Names ``X`` (a file, its rows) in messages.
        """
        if columns is not None and not is_frame(X):
            src = source if source is not None else Source("X", list(columns))
            A = select_columns(np.asarray(X), list(columns), self.feature_names,
                               self.n_inputs, src)
            return input_matrix(A, self.feature_names, self.n_inputs, src)[0]
        return input_matrix(X, self.feature_names, self.n_inputs, source)[0]

    def _matrix(self, X: object, source: Source | None) -> tuple[Array, Source]:
        A, src = input_matrix(X, self.feature_names, self.n_inputs, source)
        check_fits(A, self.scaler, self.network.dtype, src)
        return A, src

    def unscaled_network(self) -> Network:
        """A copy of the network that takes raw inputs: the scaling folded into layer 1.

        ``W(1) (x − m) / s + b(1) = W' x + b'`` with ``W' = W(1) diag(1/s)`` and
        ``b' = b(1) − W' m`` (the network itself when there is no scaling).
        """
        if self.scaler is None:
            return self.network
        raw = self.network.copy().move_to(None)  # folded on the host, then put back
        W1 = raw.W[0] / self.scaler.scale_  # (n1, n0): column i divided by s_i
        raw.b[0][...] = raw.b[0] - W1 @ self.scaler.mean_
        raw.W[0][...] = W1
        on = self.network.namespace
        return raw if on is None else raw.move_to(self.network.params)

    def transform(self, X: object, *, source: Source | None = None) -> Array:
        """The network's inputs for ``X``: its columns scaled as in training, in memory."""
        A, src = self._matrix(X, source)
        return A if self.scaler is None else scale_block(self.scaler, A, 0, src)

    # -- outputs ------------------------------------------------------------------

    def output_blocks(self, X: object, *,
                      source: Source | None = None) -> Iterator[tuple[int, Array]]:
        """``(start, A)`` for each block of rows: the network's outputs ``a(L)`` of rows
        ``start, ...``, scaled as in training first.

        Block by block, so a memory-mapped ``X`` needs memory for one block only.
        The blocks are the same whatever the storage, so the outputs are the same
        bits for an array in memory and for a file.
        """
        A, src = self._matrix(X, source)
        for start, block in row_blocks(A, self._block_rows(A), "X", exact=True):
            Xb = scale_block(self.scaler, block, start, src) if self.scaler is not None \
                else block
            yield start, self.network.predict(Xb)  # (rows, n_out)

    def _block_rows(self, A: Array) -> int:
        """Rows per forward pass when predicting: bounded memory; on the host BLAS groups
        the rows of a product by block, and other blocks could round a few outputs
        differently, so the size depends on the shapes alone."""
        per_row = max(A.shape[1] * 8, 8 * 4 * max(self.network.layer_sizes), 1)
        return max(1, validation.BLOCK_BYTES // per_row)  # the forward pass keeps a few layers

    def _device_outputs(self, X: object) -> Array:
        """:meth:`outputs` of a network on a device, for X there: scaled there in float64."""
        A, ns = device_matrix(X, self.network)
        step, net, N = self._block_rows(A), self.network, A.shape[0]
        # the standard promises slices within bounds only
        blocks = [net.predict(scaled(A[start:min(start + step, N), :], self.scaler, ns))
                  for start in range(0, N, step)]
        return ns.xp.concat(blocks) if len(blocks) > 1 else blocks[0]

    def outputs(self, X: object, *, source: Source | None = None) -> Array:
        """The network's outputs ``a(L)`` for each row of ``X``, shape (N, n_outputs):
        the numbers ``chainrule predict`` prints.  A Dask array or DataFrame gives a lazy
        Dask array, computed block by block where the blocks live.

        The outputs are in the network's dtype (``model.network.dtype``) whatever X's
        float dtype, for NumPy arrays and tensors alike: a float64 model answers a float32
        tensor in float64, a float32 model a float64 one in float32.  (The estimators
        follow scikit-learn instead, float32 results for float32 input, and build a
        float32 network when fitted on float32 data.)  A tensor that records gradients
        is read as data: the outputs are never part of its autograd graph."""
        if is_lazy(X):
            return map_rows(X, self.outputs, width=self.n_outputs, dtype=self.network.dtype)
        if self.network.namespace is not None or not is_numpy(X):  # X's library and device
            return self._device_outputs(X)
        blocks = [A for _, A in self.output_blocks(X, source=source)]
        return np.concatenate(blocks) if len(blocks) > 1 else blocks[0]

    def predict(self, X: object, *, source: Source | None = None) -> Array:
        """Class labels (N,) for a classifier, else the outputs (N, n_outputs).

        A class is the largest output's, or for a single output the second
        class where ``a ≥ 1/2``.  A Dask array or DataFrame gives a lazy Dask array.
        Outputs of a regressor are in the network's dtype (see :meth:`outputs`).
        """
        if is_lazy(X):
            labels = np.asarray(self.classes) if self.classes is not None else None
            return map_rows(X, self.predict, width=None if labels is not None else self.n_outputs,
                            dtype=labels.dtype if labels is not None else self.network.dtype)
        A = self.outputs(X, source=source)
        if self.classes is None:
            return A
        if self.network.namespace is not None:  # numbers on the device, text on the host
            return device_labels(A, self.classes, self.network.namespace)
        return np.asarray(predicted_labels(A, self.classes))

    def predict_proba(self, X: object, *, source: Source | None = None) -> Array:
        """Class probabilities, shape (N, n_classes), in the order of :attr:`classes`.

        A softmax's outputs as they are; a single logistic output ``p`` as
        ``(1 − p, p)``; several logistic outputs normalised to sum to 1.

        Raises
        ------
        ConfigError
            For a regressor, or outputs that are not probabilities (e.g. a
            squared-error network with identity outputs).
        """
        out = self.network.activations[-1].name
        if self.classes is None or out not in ("softmax", "logistic"):
            what = "a regressor" if self.classes is None else f"its {out} outputs"
            raise ConfigError(f"predict_proba: needs a classifier with softmax or logistic "
                              f"outputs, this model has {what}; use outputs()")
        if is_lazy(X):
            return map_rows(X, self.predict_proba, width=len(self.classes),
                            dtype=self.network.dtype)
        A = self.outputs(X, source=source)
        if self.network.namespace is not None:
            return device_proba(A, out, self.network.namespace)
        if out == "softmax":
            return A
        if A.shape[1] == 1:
            return np.hstack([1.0 - A, A])  # (N, 2): P(classes[0]), P(classes[1])
        total = A.sum(axis=1, keepdims=True)
        return np.divide(A, total, out=np.full_like(A, 1 / A.shape[1]), where=total > 0)

    # -- targets and scores -----------------------------------------------------------

    def targets(self, y: object, *, source: Source | None = None) -> Array:
        """The network's targets for ``y``: one-hot rows (or one column for a single
        output) for a classifier's labels, the values (N, n_outputs) for a regressor.

        A classifier also takes targets already encoded (N, n_outputs > 1).
        """
        src = source if source is not None else Source("y")
        y_arr, _ = target_array(y)
        if self.classes is not None and not (y_arr.ndim == 2 and self.n_outputs > 1
                                             and y_arr.shape[1] == self.n_outputs):
            Y, _ = class_targets(y_arr, self.classes, single_output=self.n_outputs == 1,
                                 source=src)
        else:
            Y, _ = as_2d(y_arr, src.name, None, None)
        if Y.shape[1] != self.n_outputs:
            raise ShapeError(f"{src.name}: has {Y.shape[1]} target columns; the model has "
                             f"{self.n_outputs} outputs")
        check_fits(Y, None, self.network.dtype, src)
        return Y

    def evaluate(self, X: object, y: object, *, source: Source | None = None,
                 target_source: Source | None = None) -> Evaluation:
        """The mean cost on ``(X, y)`` and, for a classifier, the accuracy, as
        ``chainrule evaluate`` reports them.

        A memory-mapped ``X`` is scaled block by block into a temporary file.
        """
        if self.network.namespace is not None or not is_numpy(X):
            return self._device_evaluate(X, y, target_source)
        A, src = self._matrix(X, source)
        Y = self.targets(y, source=target_source)
        with contextlib.ExitStack() as stack:
            C, accuracy = evaluate_network(self.network, standardized(A, self.scaler, src, stack),
                                           Y, classification=self._classification())
        return Evaluation(C, accuracy, int(A.shape[0]))

    def _device_evaluate(self, X: object, y: object, target_source: Source | None) -> Evaluation:
        """:meth:`evaluate` on X's device: the rows' costs and hits summed there."""
        net = self.network
        A, ns = device_matrix(X, net)
        Y = self.targets(y, source=target_source)
        if Y.shape[0] != A.shape[0]:
            raise ShapeError(f"y: has {Y.shape[0]} examples (rows) but X has {A.shape[0]}")
        counted = self.classes is not None or self.cost in CLASSIFICATION_COSTS
        rows = DeviceRows(net.check_X(scaled(A, self.scaler, ns))[0],
                          ns.asarray(Y, net.dtype), ns)
        total, correct = rows.pass_terms(net, None, count_correct=counted)
        n = int(A.shape[0])
        return Evaluation(total / n, correct / n if counted else None, n)

    def score(self, X: object, y: object) -> float:
        """Accuracy for a classifier; for a regressor the coefficient of determination
        ``R² = 1 − Σ(y − a)² / Σ(y − ȳ)²`` (averaged over the outputs), as scikit-learn's."""
        if self.classes is not None:
            labels = np.asarray(target_array(y)[0]).reshape(-1)
            return float(np.mean(to_numpy(self.predict(X)) == labels))
        from sklearn.metrics import r2_score

        return float(r2_score(self.targets(y), to_numpy(self.outputs(X))))

    def _classification(self) -> bool | None:
        """Accuracy is counted for any model with classes (even a squared-error one)."""
        return True if self.classes is not None else None

    # -- training -------------------------------------------------------------------

    def fit(self, X: object, y: object, *, standardize: bool = True, task: str | None = None,
            source: Source | None = None, **options: Any) -> Model:
        """Fit the input scaling and the target encoding, then train the network.

        Parameters
        ----------
        X : array-like, memmap or DataFrame of shape (N, n_inputs)
            A DataFrame's column names become the feature names (when the model
            has none yet); a memory-mapped array is scaled block by block into
            a temporary file, so it is never held in memory.
        y : array-like, Series or DataFrame
            Class labels (any values: text, numbers) for a classifier; values of
            shape (N,) or (N, n_outputs) for a regressor.
        standardize : bool, default True
            Fit ``(x − mean) / scale`` per input column and train on that.
        task : {'classification', 'regression'}, optional
            By default a classifier if the model has classes already, its cost
            is a cross-entropy, or ``y`` holds text; else a regressor.
        source : Source, optional
            Names ``X`` in messages (a file, its rows).
        **options
            Passed to :func:`chainrule.train.fit` (``epochs``, ``optimizer``,
            ``learning_rate``, ``batch_size``, ``random_state``, ...).
            ``validation_data=(X_val, y_val)`` (or with validation weights) is taken
            as X and y are: X_val scaled as X, y_val encoded as y (labels by the
            model's classes), X_val copied to X's library and device if it is
            elsewhere.

        Returns
        -------
        Model
            ``self``, trained; :attr:`history` holds the run's record and
            :attr:`training` its summary.
        """
        A, Y, src = self.prepare(X, y, standardize=standardize, task=task, source=source)
        if options.get("validation_data") is not None:
            options["validation_data"] = self._validation_targets(options["validation_data"])
        history = self.train(A, Y, source=src, **options)
        self.training = training_summary(history, n_examples=int(A.shape[0]), options=options)
        return self

    def _scale_validation(self, options: dict[str, Any], ns: Namespace | None) -> None:
        """``options['validation_data']``, if given, scaled as X is, X being in ``ns``."""
        if options.get("validation_data") is not None:
            options["validation_data"] = self._validation_rows(options["validation_data"], ns)

    def _validation_targets(self, data: object) -> tuple[Any, ...]:
        """``validation_data`` with ``y_val`` encoded as y is (labels by the model's
        classes): the network's targets, as :meth:`train` takes them."""
        if not isinstance(data, tuple | list) or len(data) not in (2, 3):
            raise ConfigError("validation_data: expected (X_val, y_val) or (X_val, y_val, "
                              f"sample_weight_val), got {type(data).__name__}")
        X_val, y_val, *weights = data
        Y_val = self.targets(host_labels(as_data(y_val, "validation_data")),
                             source=Source("validation_data"))
        return (X_val, Y_val, *weights)

    def _validation_rows(self, data: object, ns: Namespace | None) -> tuple[Any, ...]:
        """``validation_data`` of network targets for :func:`chainrule.train.fit`:
        ``X_val`` scaled as X is, in X's namespace ``ns`` (None: NumPy)."""
        if not isinstance(data, tuple | list) or len(data) not in (2, 3):
            raise ConfigError("validation_data: expected (X_val, Y_val) or (X_val, Y_val, "
                              f"sample_weight_val), got {type(data).__name__}")
        X_val, Y_val, *weights = data
        X_val = as_data(X_val, "validation_data")
        if _place(array_namespace(X_val, name="validation_data")) != _place(ns):
            X_val = to_namespace(X_val, ns)  # follows X, as in train.fit: an explicit copy
        if ns is None:
            A_val = self.transform(X_val, source=Source("validation_data",
                                                        list(self.feature_names or ())))
        else:
            A_val = scaled(device_matrix(X_val, self.network, "validation_data")[0],
                           self.scaler, ns)
            Y_val = ns.asarray(host_labels(Y_val))
        if Y_val.shape[0] != A_val.shape[0]:
            raise ShapeError(f"validation_data: y_val has {Y_val.shape[0]} examples (rows) "
                             f"but X_val has {A_val.shape[0]}")
        return (A_val, Y_val, *weights)

    def train(self, X: Array, Y: Array, *, source: Source | None = None,
              **options: Any) -> History:
        """Train the network on inputs ``X`` (not yet scaled: the fitted scaling is applied)
        and network targets ``Y`` (as :meth:`prepare` or :meth:`targets` give them),
        keeping the scaling and the classes as they are.

        A memory-mapped ``X`` is scaled block by block into a temporary file that
        lives while the network trains.  ``validation_data=(X_val, Y_val)`` is taken as
        X and Y are: X_val not yet scaled (scaled here; copied to X's library and
        device if it is elsewhere), Y_val network targets.  ``options`` go to
        :func:`chainrule.train.fit`; returns its :class:`~chainrule.train.History` (also
        kept as :attr:`history`).
        """
        src = source if source is not None else Source("X", list(self.feature_names or ()))
        options.setdefault("classification", self._classification())
        if not is_numpy(X):  # the network trains where X lives, scaled there
            X = as_data(X, src.name)
            A, ns = device_matrix(X, self.network.move_to(X, name=src.name))
            self._scale_validation(options, ns)
            self.history = training.fit(self.network, scaled(A, self.scaler, ns),
                                        ns.asarray(host_labels(Y)), **options)
            return self.history
        self._scale_validation(options, None)
        with contextlib.ExitStack() as stack:
            self.history = training.fit(self.network, standardized(X, self.scaler, src, stack),
                                         Y, **options)
        return self.history

    def prepare(self, X: object, y: object, *, standardize: bool = True,
                task: str | None = None, source: Source | None = None,
                target_source: Source | None = None) -> tuple[Array, Array, Source]:
        """The first half of :meth:`fit`: take the feature names, fit the scaling and the
        target encoding, check that everything fits the network; train nothing.

        Returns
        -------
        X : ndarray of shape (N, n_inputs)
            The inputs, not yet scaled (a memmap stays mapped).
        Y : ndarray of shape (N, n_outputs)
            The network's targets.
        source : Source
            Names ``X`` in messages.
        """
        if is_frame(X) and self.feature_names is None:
            self.feature_names = frame_names(X)
        on_device = not is_numpy(X)  # the network goes where X lives, X is checked there
        if not on_device:
            A, src = input_matrix(X, self.feature_names, self.n_inputs, source)
            return self._prepare_targets(A, y, src, standardize, task, target_source, False)
        src = source if source is not None else Source("X", list(self.feature_names or ()))
        X = as_data(X, src.name)
        before = self.network.namespace
        A = device_matrix(X, self.network.move_to(X, name=src.name))[0]
        try:
            return self._prepare_targets(A, y, src, standardize, task, target_source, True)
        except BaseException:  # a refused fit leaves the network where it was
            self.network.move_to(None if before is None else before.asarray(np.zeros(1)))
            raise

    def _prepare_targets(self, A: Array, y: object, src: Source, standardize: bool,
                         task: str | None, target_source: Source | None, on_device: bool
                         ) -> tuple[Array, Array, Source]:
        """:meth:`prepare` once X is checked (as ``A``; ``on_device``: in the network's
        namespace, not NumPy): encode y, check that both fit the network, fit the scaling."""
        tsrc = target_source if target_source is not None else Source("y")
        Y = self._encode_for_fit(y, task, tsrc)
        if Y.shape[0] != A.shape[0]:
            raise ShapeError(f"y: has {Y.shape[0]} examples (rows) but {src.name} has "
                             f"{A.shape[0]}")
        check_fits(Y, None, self.network.dtype, tsrc)
        if on_device:
            self.scaler = device_scaler(A, self.network.namespace) if standardize else None
        else:
            self.scaler = Standardizer().fit(A) if standardize else None
            check_fits(A, self.scaler, self.network.dtype, src)
        self.check()
        return A, Y, src

    def _encode_for_fit(self, y: object, task: str | None, source: Source) -> Array:
        """The training targets; learns the classes (or the target names) on the way."""
        if task not in (None, "classification", "regression"):
            raise ConfigError(f"task: expected 'classification', 'regression' or None, "
                              f"got {task!r}")
        y_arr, names = target_array(y)
        text = y_arr.dtype.kind in "OUSb"
        classify = task == "classification" or (task is None and (
            self.classes is not None or self.cost in CLASSIFICATION_COSTS or text))
        if not classify:
            self.classes = self.class_names = None
            Y, _ = as_2d(y_arr, source.name, self.n_outputs, None)
            if names is not None and self.target_names is None:
                self.target_names = names
            return Y
        Y, classes = class_targets(y_arr, self.classes, single_output=self.n_outputs == 1,
                                   source=source)
        if Y.shape[1] != self.n_outputs:
            raise ShapeError(f"y: has {len(classes)} classes; the network has "
                             f"{self.n_outputs} outputs (give it {Y.shape[1]})")
        self.classes = classes
        if names is not None and self.target_names is None:
            self.target_names = names
        return Y


def load_model(path: str | os.PathLike[str], device: object = None, *,
               like: object = None) -> Model:
    """Read a model file written by ``chainrule train`` or :meth:`Model.save`.

    Parameters
    ----------
    path : str or path-like
        The model file.
    device : str or torch.device, optional
        Where the network goes: None for NumPy on the host (the default);
        ``'cpu'``, ``'cuda'``, ``'cuda:1'`` or a ``torch.device`` for PyTorch tensors
        there (see :meth:`Model.to`).
    like : array, optional
        Or an array of the library and device wanted (``cupy.empty(0)`` for CuPy).

    Raises
    ------
    ModelFileError
        Naming the file and the problem.
    ConfigError
        Naming ``device``: unknown, unavailable, or PyTorch missing.
    """
    return Model.load(path, device=device, like=like)


def _place(ns: Namespace | None) -> str:
    """Where arrays of ``ns`` live, for messages."""
    return "NumPy arrays on the host" if ns is None else f"{ns.name} arrays on {ns.device}"


def _last(values: Sequence[float]) -> float | None:
    """The last value recorded, or None (nothing, or not finite: JSON has no NaN)."""
    if not len(values):
        return None
    v = float(values[-1])
    return v if math.isfinite(v) else None


def _first(values: Any) -> float | None:
    """The first value recorded, or None (nothing, or not finite)."""
    return _last(values.head(1)) if len(values) else None


def training_summary(history: History, *, n_examples: int,
                     options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The summary a model file keeps of a completed run: epochs, final costs, options.

    What the run recorded fills what its options left out: ``learning_rate`` is the
    η of the first epoch (None for a solver without one, L-BFGS), ``seconds`` the
    epochs' total time, ``batch_size`` None for a full-batch solver or a batch that
    holds every example.  ``seed`` is None when ``random_state`` was not an integer
    (no seed to record).  ``best_epoch`` counts epochs from 1, as the progress lines do.
    """
    options = options or {}
    optimizer = options.get("optimizer", "adam")
    name = optimizer if isinstance(optimizer, str) else type(optimizer).__name__
    full_batch = bool(optimizer.full_batch if not isinstance(optimizer, str)
                      else solver_class(optimizer).full_batch)
    batch = options.get("batch_size", 200)
    seed = options.get("random_state")
    return {
        "status": "completed",
        "optimizer": name,
        "learning_rate": None if full_batch else _first(history.learning_rate),
        "batch_size": None if full_batch or batch is None or batch >= n_examples else batch,
        "epochs": options.get("epochs", 100),
        "epochs_run": len(history),
        "seed": seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
        "n_examples": n_examples,
        "final_cost": _last(history.cost),
        "final_val_cost": _last(history.val_cost),
        "final_accuracy": _last(history.accuracy),
        "final_val_accuracy": _last(history.val_accuracy),
        "best_epoch": history.best_epoch,
        "seconds": round(float(np.sum(history.seconds.to_numpy())), 3),
        "chainrule_version": __version__,
    }
