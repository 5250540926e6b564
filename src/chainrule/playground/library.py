"""The playground's one door into chainrule: every library call the page needs, and no other.

The server and the session never import chainrule's layers themselves; they call these
functions.  When the engine or the model files change, this module is the one to follow.

Shapes: ``X`` is (N, n_in) and ``Y`` (N, n_out), rows are examples, as in the library.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..data import (
    Dataset,
    Standardizer,
    class_targets,
    csv_source,
    label_column,
    load_csv,
    load_dataset,
    looks_like_labels,
    split,
)
from ..errors import ChainruleError, ConfigError, DataError, DivergenceError
from ..model import Model, load_model, training_summary
from ..nn import ACTIVATIONS, COSTS, Network, cost_surface, explain
from ..optim import SOLVERS
from ..train import Trainer, fit
from ..utils.version import __version__

__all__ = [
    "ChainruleError",
    "ConfigError",
    "Data",
    "DivergenceError",
    "Model",
    "Run",
    "choices",
    "csv_columns",
    "from_csv",
    "from_dataset",
    "gradient_sizes",
    "landscape",
    "ledger",
    "load_model_bytes",
    "model_bytes",
    "model_of",
    "new_run",
    "predict",
]

Array = np.ndarray


def choices() -> dict[str, list[str]]:
    """The names the page offers, straight from the library's registries."""
    return {
        "hidden_activations": [n for n, a in ACTIVATIONS.items() if a.elementwise],
        "output_activations": list(ACTIVATIONS),
        "costs": list(COSTS),
        # the output σ each cost goes with ("" where any will do)
        "cost_outputs": [c.default_output_activation or "" for c in COSTS.values()],
        # the page steps a run epoch by epoch: solvers of the full-batch cost are left out
        "optimizers": [n for n, s in SOLVERS.items() if not s.full_batch],
        "version": [__version__],
    }


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Data:
    """A data set as the network sees it, split into training and test rows.

    ``X`` holds the network's inputs a(0) (standardised for a CSV file, as the
    command line does for data files, by ``scaler``).  The names, the classes and
    the scaling are what a :class:`~chainrule.Model` of this data keeps, as
    ``chainrule train`` keeps them.
    """

    name: str
    X: Array  # (N, n_in)
    Y: Array  # (N, n_out): one-hot rows for classification
    train: Array  # row indices
    test: Array
    task: str
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]  # one per output; the label column's for classification
    classes: tuple[Any, ...] | None = None  # class labels in output order (None: regression)
    class_names: tuple[str, ...] | None = None  # what the page calls the classes
    scaler: Standardizer | None = None
    labels: Array | None = None  # (N,) class index per row
    dataset: str | None = None  # the built-in set's registry name
    data_file: str | None = None  # the uploaded file's name

    @property
    def output_names(self) -> tuple[str, ...]:
        """One name per output: the classes' names, or the targets'."""
        return self.class_names if self.class_names is not None else self.target_names

    @property
    def X_train(self) -> Array:
        return self.X[self.train]

    @property
    def Y_train(self) -> Array:
        return self.Y[self.train]

    @property
    def validation(self) -> tuple[Array, Array]:
        """The held-out rows ``(X, Y)``, as :func:`~chainrule.train.fit` takes them."""
        return self.X[self.test], self.Y[self.test]


def _split(n: int, test_ratio: float, seed: int) -> tuple[Array, Array]:
    """Training and test rows; a set too small to hold rows out trains and tests on all."""
    if test_ratio <= 0 or n < 10:
        every = np.arange(n)
        return every, every
    return split(np.empty((n, 0)), fraction=test_ratio, random_state=seed)


def from_dataset(ds: Dataset | str, test_ratio: float, seed: int,
                 **options: Any) -> Data:
    """A built-in data set (a :class:`Dataset`, or a name and its options).

    As ``chainrule train --dataset`` keeps them: a classifier's classes are the
    label values 0, ..., K − 1, named by the set's target names.
    """
    if isinstance(ds, str):
        ds = load_dataset(ds, **options)
    train, test = _split(ds.n_examples, test_ratio, seed)
    names = (tuple(ds.feature_names), tuple(ds.target_names))
    if ds.task == "classification":
        return Data(ds.name, ds.X, ds.y, train, test, ds.task, names[0], ("label",),
                    tuple(range(ds.n_outputs)), names[1], labels=ds.labels, dataset=ds.name)
    return Data(ds.name, ds.X, ds.y, train, test, ds.task, *names, dataset=ds.name)


def _temp_file(blob: bytes, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix="chainrule-playground-", suffix=suffix)
    with os.fdopen(fd, "wb") as f:
        f.write(blob)
    return Path(name)


@contextlib.contextmanager
def _uploaded(blob: bytes, filename: str, suffix: str) -> Iterator[Path]:
    """The upload as a temporary file, removed after; the library's messages name the
    user's file, which the user knows, not the temporary one."""
    path = _temp_file(blob, suffix)
    try:
        yield path
    except ChainruleError as exc:
        raise type(exc)(str(exc).replace(str(path), filename)) from None
    finally:
        path.unlink(missing_ok=True)


def csv_columns(blob: bytes, filename: str) -> list[str]:
    """The column names of an uploaded CSV (DataError, naming the file, if it is not one)."""
    with _uploaded(blob, filename, ".csv") as path:
        _, _, features, targets = load_csv(path, None, labels=True)
    return [*features, *targets]


def from_csv(blob: bytes, filename: str, target: str, test_ratio: float, seed: int) -> Data:
    """An uploaded CSV: ``target`` holds class labels or numbers to fit; every other
    column is a standardised input.

    The task is decided as ``chainrule train FILE --target T`` decides it (without
    ``--task`` or ``--cost``): text labels, or a column of at most
    :data:`~chainrule.data.MAX_AUTO_CLASSES` distinct whole numbers
    (:func:`~chainrule.data.looks_like_labels`), are classes; other numbers are fitted.
    """
    with _uploaded(blob, filename, ".csv") as path:
        X, texts, features, targets = load_csv(path, target, labels=True)
        if X.shape[1] == 0:
            raise DataError(f"{path}: the only column is the target {target!r}; "
                            "the network needs at least one input column")
        source = csv_source(path, targets)
        y, is_text = label_column(texts, source)  # (N, 1) numbers, or the texts
        if is_text or looks_like_labels(y):
            Y, classes = class_targets(y, source=source)  # (N, K) one-hot rows
        else:
            Y, classes = y, None
    scaler = Standardizer().fit(X)
    train, test = _split(X.shape[0], test_ratio, seed)
    if classes is None:
        task, names, labels = "regression", None, None
    else:
        task, names, labels = "classification", tuple(map(str, classes)), Y.argmax(axis=1)
    return Data(Path(filename).stem or "upload", scaler.transform(X), Y, train, test, task,
                tuple(features), tuple(targets), None if classes is None else tuple(classes),
                names, scaler, labels, data_file=filename)


# ---------------------------------------------------------------------------
# The network and its training run
# ---------------------------------------------------------------------------


@dataclass
class Run:
    """A network, its trainer and the data it learns from."""

    network: Network
    trainer: Trainer
    data: Data
    options: dict[str, Any] = field(default_factory=dict)  # the trainer's, for the summary

    @property
    def epoch(self) -> int:
        return self.trainer.epoch

    def train(self, epochs: int) -> None:
        """``epochs`` more epochs through the library's engine (a DivergenceError passes up,
        the weights put back to the last finite ones)."""
        d = self.data
        fit(self.network, d.X_train, d.Y_train, epochs=self.trainer.epoch + epochs,
            trainer=self.trainer, validation_data=d.validation)

    @property
    def costs(self) -> tuple[list[float], list[float]]:
        """Training and test cost, one entry per epoch."""
        h = self.trainer.history
        return h.cost, h.val_cost


def new_run(data: Data, hidden: Sequence[int], activations: Sequence[str],
            output_activation: str | None, cost: str, optimizer: str, learning_rate: float,
            batch_size: int | None, l2: float, seed: int) -> Run:
    """A freshly initialised network (seeded) with its trainer."""
    sizes = [data.X.shape[1], *hidden, data.Y.shape[1]]
    net = Network(sizes, list(activations) if hidden else "identity", output_activation, cost,
                  random_state=seed)
    options = {"optimizer": optimizer, "learning_rate": learning_rate,
               "batch_size": batch_size, "random_state": seed, "l2": l2}
    trainer = Trainer(net, **options, classification=data.classes is not None)
    return Run(net, trainer, data, options)


def predict(net: Network, X: Array) -> Array:
    """The outputs a(N) for the rows of X, (N, n_out)."""
    return net.predict(X)


def param_names(net: Network) -> list[str]:
    return net.param_names()


def gradient_sizes(run: Run) -> list[float]:
    """Per layer, the root mean square of ∂C/∂W(l) over the training set (the vanishing-
    gradient meter); the data cost's gradient, without the L2 term."""
    net, d = run.network, run.data
    with np.errstate(over="ignore", invalid="ignore"):
        net.cost_and_gradient(d.X_train, d.Y_train)
        return [float(np.sqrt(np.mean(dW * dW))) for dW in net.dW]


def _finite(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _array(a: Array) -> Any:
    """An array as nested lists with None for NaN and infinities (strict JSON)."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return _finite(float(a))
    return [_array(r) for r in a] if a.ndim > 1 else [_finite(float(v)) for v in a]


def ledger(run: Run, param: str, example: int) -> dict[str, Any]:
    """The chain rule of ``param`` on training example ``example``, factor by factor.

    Every number is the library's: the factors and their product from
    :meth:`Network.chain_rule` (through :func:`chainrule.nn.explain`), beside
    back-propagation and the central finite difference, for the example and
    for the mean training cost.
    """
    net, d = run.network, run.data
    led = explain(net, d.X_train, d.Y_train, param, example=example)
    chain = led.chain
    return {
        "param": str(led.param),
        "symbol": led.param.symbol,
        "example": led.example,
        "n_examples": led.n_examples,
        "x": _array(d.X_train[example]),
        "y": _array(d.Y_train[example]),
        "cost": led.cost,
        "cost_formula": led.cost_formula,
        "factors": [{"symbol": f.symbol, "formula": f.formula, "shape": list(f.shape),
                     "value": _array(f.value)} for f in chain.factors],
        "product": _finite(led.product),
        "backprop": _finite(led.example_backprop),
        "numeric": _finite(led.example_numeric),
        "mean": _finite(led.value),
        "batch_backprop": _finite(led.backprop),
        "batch_numeric": _finite(led.numeric),
        "layers": [{"layer": g.layer, "dC_da_norm": _finite(g.dC_da_norm),
                    "sigma_prime": _finite(g.sigma_prime)} for g in led.layers],
    }


def landscape(run: Run, param_x: str, param_y: str, center: tuple[float, float],
              half_width: float, n: int) -> dict[str, Any]:
    """The training-set cost over a grid of two parameters, every other one as it is now."""
    net, d = run.network, run.data
    xs = np.linspace(center[0] - half_width, center[0] + half_width, n)
    ys = np.linspace(center[1] - half_width, center[1] + half_width, n)
    with np.errstate(over="ignore", invalid="ignore"):
        land = cost_surface(net, d.X_train, d.Y_train, param_x, param_y, xs, ys)
    C = np.asarray(land.C, dtype=np.float64)  # (ny, nx)
    return {"param_x": land.param_x, "param_y": land.param_y, "label_x": land.label_x,
            "label_y": land.label_y, "xs": [float(xs[0]), float(xs[-1])],
            "ys": [float(ys[0]), float(ys[-1])], "n": n, "C": C,
            "x0": land.x0, "y0": land.y0}


def param_value(net: Network, param: str) -> float:
    return float(net.params[net.flat_index(param)])


# ---------------------------------------------------------------------------
# Model files
# ---------------------------------------------------------------------------


def model_of(run: Run, page: dict[str, Any] | None = None) -> Model:
    """The run as a :class:`~chainrule.Model`: its network with the data's names,
    scaling and classes, and a training summary (``page``: the page's config, kept
    in it so that loading the file opens the same page)."""
    d, trainer = run.data, run.trainer
    options = {**run.options, "epochs": trainer.epoch}
    summary = training_summary(trainer.history, n_examples=int(d.train.size), options=options)
    if page is not None:
        summary["playground"] = page
    return Model(run.network, feature_names=d.feature_names, scaler=d.scaler,
                 classes=d.classes, class_names=d.class_names, target_names=d.target_names,
                 training=summary, dataset=d.dataset, data_file=d.data_file)


def model_bytes(run: Run, page: dict[str, Any] | None = None) -> bytes:
    """The trained model as the command line writes it (:meth:`Model.save`)."""
    with tempfile.TemporaryDirectory(prefix="chainrule-playground-") as folder:
        path = model_of(run, page).save(Path(folder) / "model.safetensors")
        return path.read_bytes()


def load_model_bytes(blob: bytes, filename: str) -> Model:
    """Read an uploaded model file with :func:`chainrule.load_model` (a ModelFileError
    names the file)."""
    with _uploaded(blob, filename, ".safetensors") as path:
        return load_model(path)


def activation_names(net: Network) -> list[str]:
    """σ of each layer, by name."""
    return [a.name for a in net.activations]


def set_params(run: Run, params: Array) -> None:
    """Put a loaded model's parameters into the run's network (same shapes)."""
    run.network.params[...] = params
