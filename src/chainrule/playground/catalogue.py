"""The data sets the page offers, each with the network it starts with.

Most are the library's built-in sets; two small regression sets (a 1-D wave and a 2-D
saddle) are made here from a seed, as the library makes its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import library

__all__ = ["CATALOGUE", "Entry", "make_data"]


@dataclass(frozen=True)
class Entry:
    """One data set of the page: how to make it and the network it suggests."""

    label: str
    task: str
    library_name: str | None  # None: made here
    takes_noise: bool = True  # generated from n, noise and a seed
    preset: dict[str, Any] = field(default_factory=dict)


_CLASSIFY = {"hidden": [8, 8], "act": ["tanh", "tanh"], "cost": "cross_entropy",
             "out": "softmax", "opt": "adam", "lr": 0.03, "batch": 10, "l2": 0.0}

CATALOGUE: dict[str, Entry] = {
    "circle": Entry("circle", "classification", "circle", preset=_CLASSIFY),
    "xor": Entry("xor", "classification", "xor_blobs", preset=_CLASSIFY),
    "gaussians": Entry("gaussians", "classification", "gaussians",
                       preset={**_CLASSIFY, "hidden": [4]}),
    "spiral": Entry("spiral", "classification", "spiral",
                    preset={**_CLASSIFY, "hidden": [16, 16, 16],
                            "act": ["tanh", "tanh", "tanh"], "lr": 0.01}),
    "not": Entry("the NOT gate", "regression", "not_gate", takes_noise=False,
                 preset={"hidden": [], "act": [], "cost": "squared_error", "out": "tanh",
                         "opt": "gd", "lr": 0.5, "batch": 0, "l2": 0.0}),
    "heart": Entry("the heart curve", "regression", "heart", takes_noise=False,
                   preset={"hidden": [6, 7], "act": ["logistic", "logistic"],
                           "cost": "squared_error", "out": "logistic", "opt": "adam",
                           "lr": 0.01, "batch": 0, "l2": 0.0}),
    "wave": Entry("wave (regression, 1-D)", "regression", None,
                  preset={"hidden": [8, 8], "act": ["tanh", "tanh"], "cost": "squared_error",
                          "out": "identity", "opt": "adam", "lr": 0.01, "batch": 10,
                          "l2": 0.0}),
    "saddle": Entry("saddle (regression, 2-D)", "regression", None,
                    preset={"hidden": [8, 8], "act": ["tanh", "tanh"],
                            "cost": "squared_error", "out": "identity", "opt": "adam",
                            "lr": 0.01, "batch": 10, "l2": 0.0}),
}


def wave(n_samples: int, noise: float, random_state: int) -> Any:
    """``y = sin(πx) + noise · ε`` for x uniform in [−1, 1]: a curve to fit."""
    rng = np.random.default_rng(random_state)
    x = rng.uniform(-1.0, 1.0, n_samples)
    y = np.sin(np.pi * x) + noise * rng.standard_normal(n_samples)
    return library.make_dataset("wave", x[:, None], y[:, None], "regression",
                                "y = sin(πx) + noise, x in [-1, 1]", ("x",), ("y",))


def saddle(n_samples: int, noise: float, random_state: int) -> Any:
    """``y = 2 x1 x2 + noise · ε`` over [−1, 1]²: XOR's smooth cousin, a surface to fit."""
    rng = np.random.default_rng(random_state)
    X = rng.uniform(-1.0, 1.0, (n_samples, 2))
    y = 2.0 * X[:, 0] * X[:, 1] + noise * rng.standard_normal(n_samples)
    return library.make_dataset("saddle", X, y[:, None], "regression",
                                "y = 2 x1 x2 + noise over [-1, 1]^2", ("x1", "x2"), ("y",))


_MADE_HERE = {"wave": wave, "saddle": saddle}


def make_data(name: str, n_samples: int, noise: float, test_ratio: float,
              seed: int) -> library.Data:
    """The page's data set ``name`` (a key of :data:`CATALOGUE`), split for training."""
    entry = CATALOGUE[name]
    if entry.library_name is None:
        return library.from_dataset(_MADE_HERE[name](n_samples, noise, seed), test_ratio, seed)
    if entry.takes_noise:
        return library.from_dataset(entry.library_name, test_ratio, seed, n_samples=n_samples,
                                    noise=noise, random_state=seed)
    return library.from_dataset(entry.library_name, 0.0, seed)
