"""The data sets the page offers, each with the network it starts with.

Every one is a built-in set of the library's registry (``chainrule datasets`` lists them),
made from the page's seed; the page adds only a label and a starting network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import library

__all__ = ["CATALOGUE", "Entry", "make_data"]


@dataclass(frozen=True)
class Entry:
    """One data set of the page: how to make it and the network it suggests."""

    label: str
    task: str
    library_name: str  # its name in the library's registry
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
    "wave": Entry("wave (regression, 1-D)", "regression", "wave",
                  preset={"hidden": [8, 8], "act": ["tanh", "tanh"], "cost": "squared_error",
                          "out": "identity", "opt": "adam", "lr": 0.01, "batch": 10,
                          "l2": 0.0}),
    "saddle": Entry("saddle (regression, 2-D)", "regression", "saddle",
                    preset={"hidden": [8, 8], "act": ["tanh", "tanh"],
                            "cost": "squared_error", "out": "identity", "opt": "adam",
                            "lr": 0.01, "batch": 10, "l2": 0.0}),
}


def make_data(name: str, n_samples: int, noise: float, test_ratio: float,
              seed: int) -> library.Data:
    """The page's data set ``name`` (a key of :data:`CATALOGUE`), split for training."""
    entry = CATALOGUE[name]
    if entry.takes_noise:
        return library.from_dataset(entry.library_name, test_ratio, seed, n_samples=n_samples,
                                    noise=noise, random_state=seed)
    return library.from_dataset(entry.library_name, 0.0, seed)
