"""The plain NumPy training loop, written the obvious way: the baseline to beat.

This is what a first implementation straight from the textbook formulas looks
like: lists of ``W`` and ``b``, every array of every step created afresh (no
preallocated buffers, no ``out=``), boolean masks for relu, Adam written per
parameter array.  It computes exactly what chainrule computes (the same
costs, the same deltas, the same updates), so the two can be timed side by side;
like every training loop it adds up each epoch's cost (chainrule's ``fit``
also counts correct predictions and checks for divergence, which this loop
does not).
"""

from __future__ import annotations

import math
import resource
from collections.abc import Callable

import numpy as np

Array = np.ndarray


def _relu(Z: Array) -> Array:
    return np.maximum(Z, 0)


def _logistic(Z: Array) -> Array:
    return 1 / (1 + np.exp(-Z))


def _softmax(Z: Array) -> Array:
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


# σ(Z) and σ'(Z) (from Z and A) of each activation
SIGMA: dict[str, Callable[[Array], Array]] = {
    "relu": _relu, "tanh": np.tanh, "logistic": _logistic, "identity": lambda Z: Z,
    "softmax": _softmax,
}
SIGMA_PRIME: dict[str, Callable[[Array, Array], Array]] = {
    "relu": lambda Z, A: Z > 0, "tanh": lambda Z, A: 1 - A**2,
    "logistic": lambda Z, A: A * (1 - A), "identity": lambda Z, A: 1,
}


def train(weights: list[Array], biases: list[Array], X: Array, Y: Array, *, hidden: str,
          output: str, cost: str, optimizer: str, learning_rate: float, batch_size: int | None,
          epochs: int, shuffle: bool, seed: int,
          marks: list[int] | None = None
          ) -> tuple[list[Array], list[Array], int, list[float]]:
    """Train copies of ``weights`` (each (n_out, n_in)) and ``biases``.

    Returns the trained weights and biases, the number of steps and each epoch's
    mean cost (taken during the epoch, as chainrule's History does).

    ``cost`` is 'squared_error' (mean over examples of Σ_i (a_i − y_i)²) or
    'cross_entropy' (with a softmax output); ``optimizer`` is 'gd' or 'adam'.
    With ``marks`` the minor page-fault count is appended after every epoch.
    """
    W = [w.copy() for w in weights]
    b = [v.copy() for v in biases]
    L = len(W)
    m = [np.zeros_like(p) for p in W + b]
    v = [np.zeros_like(p) for p in W + b]
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    B = n if batch_size is None else batch_size
    t = 0
    epoch_costs = []
    for _ in range(epochs):
        total = 0.0
        order = rng.permutation(n) if shuffle and B < n else np.arange(n)
        for start in range(0, n, B):
            if B < n:
                idx = order[start:start + B]
                Xb, Yb = X[idx], Y[idx]
            else:
                Xb, Yb = X, Y
            N = Xb.shape[0]
            # forward
            Zs, As = [], [Xb]
            for l in range(L):
                Z = As[-1] @ W[l].T + b[l]
                Zs.append(Z)
                As.append(SIGMA[hidden if l < L - 1 else output](Z))
            # the cost (summed for the epoch) and the output delta of the batch's mean cost
            if cost == "cross_entropy":
                total -= np.sum(Yb * np.log(As[-1]))
                delta = (As[-1] - Yb) / N
            else:
                total += np.sum((As[-1] - Yb) ** 2)
                delta = 2 * (As[-1] - Yb) / N * SIGMA_PRIME[output](Zs[-1], As[-1])
            # backward
            dW, db = [None] * L, [None] * L
            for l in range(L - 1, -1, -1):
                dW[l] = delta.T @ As[l]
                db[l] = delta.sum(axis=0)
                if l > 0:
                    delta = (delta @ W[l]) * SIGMA_PRIME[hidden](Zs[l - 1], As[l])
            # update
            t += 1
            params, grads = W + b, dW + db
            if optimizer == "gd":
                for p, g in zip(params, grads):
                    p -= learning_rate * g
            else:
                b1, b2, eps = 0.9, 0.999, 1e-8
                # a Python float: a NumPy float64 scalar would promote float32 arrays
                lr_t = learning_rate * math.sqrt(1 - b2**t) / (1 - b1**t)
                for i, (p, g) in enumerate(zip(params, grads)):
                    m[i] = b1 * m[i] + (1 - b1) * g
                    v[i] = b2 * v[i] + (1 - b2) * g**2
                    p -= lr_t * m[i] / (np.sqrt(v[i]) + eps)
        epoch_costs.append(total / n)
        if marks is not None:
            marks.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)
    return W, b, t, epoch_costs
