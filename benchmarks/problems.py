"""The training problems of tasks a–d: data, architecture, optimiser and one shared start.

Every contender gets the same :class:`Problem`: the same examples in the same
dtype, the same layer sizes and activations, the same cost, optimiser,
learning rate, batch size and number of epochs, and the same initial weights
(drawn once by chainrule), so that only the implementation differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainrule import Network

Array = np.ndarray


@dataclass
class Problem:
    """One training problem, the same work for every contender.

    ``Y`` holds the targets in the problem's dtype (one-hot rows for
    classification); ``labels`` the class indices (None for regression).
    ``epochs`` is the length of one timed run; ``unit`` says whether times are
    reported per epoch or, for full-batch gradient descent, per step.
    """

    key: str
    title: str
    X: Array
    Y: Array
    labels: Array | None
    sizes: tuple[int, ...]
    hidden: str
    output: str
    cost: str
    optimizer: str
    learning_rate: float
    batch_size: int | None
    epochs: int
    W0: list[Array]
    b0: list[Array]
    unit: str = "epoch"

    @property
    def dtype(self) -> np.dtype:
        return self.X.dtype

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def shuffle(self) -> bool:
        return self.batch_size is not None and self.batch_size < self.n

    @property
    def batches(self) -> list[int]:
        """The batch sizes of one epoch, in order (the last one may be short)."""
        B = self.n if self.batch_size is None else min(self.batch_size, self.n)
        sizes = [B] * (self.n // B)
        return [*sizes, self.n % B] if self.n % B else sizes

    @property
    def steps(self) -> int:
        """Optimiser steps in one timed run."""
        return self.epochs * len(self.batches)

    @property
    def units(self) -> int:
        """What one timed run's time is divided by: epochs, or steps."""
        return self.steps if self.unit == "step" else self.epochs

    def network(self, weights: list[Array] | None = None,
                biases: list[Array] | None = None) -> Network:
        """A chainrule network of this problem with the given (default: initial) parameters."""
        return Network(self.sizes, self.hidden, self.output, self.cost, dtype=self.dtype,
                       weights=self.W0 if weights is None else weights,
                       biases=self.b0 if biases is None else biases)

    def describe(self) -> str:
        arch = "-".join(map(str, self.sizes))
        batch = "full batch" if self.batch_size is None else f"batch {self.batch_size}"
        return (f"{self.title}: {arch} {self.hidden}/{self.output} {self.cost}, "
                f"{self.optimizer} η={self.learning_rate:g}, {batch}, {self.dtype.name}, "
                f"N={self.n}")


def final_metrics(p: Problem, weights: list[Array], biases: list[Array]) -> dict[str, float]:
    """Training-set cost (chainrule's definition) and accuracy of trained parameters."""
    net = p.network([np.asarray(W, np.float64) for W in weights],
                    [np.asarray(b, np.float64) for b in biases])
    out: dict[str, float] = {"cost": net.compute_cost(p.X, p.Y)}
    if p.labels is not None:
        pred = net.predict(p.X).argmax(axis=1)
        out["accuracy"] = float(np.mean(pred == p.labels))
    return out


def _init(sizes: tuple[int, ...], hidden: str, output: str, cost: str,
          seed: int) -> tuple[list[Array], list[Array]]:
    net = Network(sizes, hidden, output, cost, random_state=seed)
    return net.get_weights()


def _one_hot(labels: Array, k: int, dtype: np.dtype) -> Array:
    return np.eye(k, dtype=dtype)[labels]


def digits(dtype: object, epochs: int) -> Problem:
    """Task a: scikit-learn's digits, 64-100-10 relu + softmax cross-entropy, Adam, batch 200."""
    from sklearn.datasets import load_digits

    X, labels = load_digits(return_X_y=True)
    X = (X / 16.0).astype(dtype)
    sizes = (64, 100, 10)
    W0, b0 = _init(sizes, "relu", "softmax", "cross_entropy", seed=0)
    return Problem("a", "digits", X, _one_hot(labels, 10, X.dtype), labels, sizes, "relu",
                   "softmax", "cross_entropy", "adam", 1e-3, 200, epochs, W0, b0)


def synthetic(n: int, epochs: int, dtype: object = np.float32) -> Problem:
    """Task b: n×784 Gaussian inputs, 10 classes from a random linear teacher, 784-256-10."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 784), dtype=np.float32).astype(dtype, copy=False)
    teacher = rng.standard_normal((784, 10))
    labels = np.argmax(X @ teacher.astype(X.dtype), axis=1)
    sizes = (784, 256, 10)
    W0, b0 = _init(sizes, "relu", "softmax", "cross_entropy", seed=0)
    return Problem("b", "synthetic", X, _one_hot(labels, 10, X.dtype), labels, sizes, "relu",
                   "softmax", "cross_entropy", "adam", 1e-3, 128, epochs, W0, b0)


def not_toy(steps: int) -> Problem:
    """Task c: the exercise's NOT neuron (w = 1.3, b = −0.1), tanh, squared error, both examples."""
    X = np.array([[0.0], [1.0]])
    Y = np.array([[1.0], [0.0]])
    W0, b0 = [np.array([[1.3]])], [np.array([-0.1])]
    return Problem("c", "NOT toy", X, Y, None, (1, 1), "tanh", "tanh", "squared_error", "gd",
                   1.0, None, steps, W0, b0, unit="step")


def heart(steps: int) -> Problem:
    """Task d: the course's 1-6-7-2 logistic network on the 100-point heart curve."""
    from chainrule.data import heart as heart_curve

    data = heart_curve(100)
    sizes = (1, 6, 7, 2)
    W0, b0 = _init(sizes, "logistic", "logistic", "squared_error", seed=0)
    return Problem("d", "heart", data.X, data.y, None, sizes, "logistic", "logistic",
                   "squared_error", "gd", 2.0, None, steps, W0, b0, unit="step")
