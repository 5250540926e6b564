"""The registry of built-in data sets: :data:`DATASETS`, :func:`load_dataset` by name."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

from ..errors import ConfigError
from . import generators
from .dataset import Dataset

__all__ = ["DATASETS", "DatasetInfo", "describe_datasets", "load_dataset"]

DATASETS: dict[str, Callable[..., Dataset]] = {
    "not_gate": generators.not_gate,
    "xor": generators.xor,
    "heart": generators.heart,
    "circle": generators.circle,
    "xor_blobs": generators.xor_blobs,
    "gaussians": generators.gaussians,
    "spiral": generators.spiral,
    "wave": generators.wave,
    "saddle": generators.saddle,
    "digits": generators.digits,
}

_ALIASES = {"not": "not_gate"}


class DatasetInfo(NamedTuple):
    """One row of :func:`describe_datasets`."""

    name: str
    n_examples: int
    n_features: int
    n_outputs: int
    task: str
    description: str


def load_dataset(name: str, **kwargs: Any) -> Dataset:
    """Build the built-in data set ``name`` with the options ``kwargs``.

    Names are case-insensitive and ``-`` may stand for ``_`` (``xor-blobs``).

    Raises
    ------
    ConfigError
        For an unknown name (listing the known ones) or an option the set does not take.
    """
    key = str(name).strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in DATASETS:
        known = ", ".join(sorted(DATASETS))
        raise ConfigError(f"dataset: unknown name {name!r}; known datasets: {known}")
    make = DATASETS[key]
    accepted = list(inspect.signature(make).parameters)
    for option in kwargs:
        if option not in accepted:
            takes = ", ".join(accepted) if accepted else "no options"
            raise ConfigError(f"dataset {key!r}: unknown option {option!r}; it takes {takes}")
    return make(**kwargs)


# Sets described without being built: digits would import scikit-learn's datasets and
# read its file (about 1 s) to be counted.  A test checks each row against the set.
DESCRIBED = {"digits": DatasetInfo("digits", *generators.DIGITS_SHAPE, "classification",
                                   generators.DIGITS_DESCRIPTION)}


def describe_datasets() -> list[DatasetInfo]:
    """One row per built-in set, with its default options, for ``chainrule datasets``."""
    rows = []
    for name, make in DATASETS.items():
        if name in DESCRIBED:
            rows.append(DESCRIBED[name])
            continue
        ds = make()
        rows.append(DatasetInfo(name, ds.n_examples, ds.n_features, ds.n_outputs, ds.task,
                                ds.description))
    return rows

