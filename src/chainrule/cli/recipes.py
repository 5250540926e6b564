"""The defaults of ``chainrule train`` for each kind of data, and the options that change them."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from ..errors import ConfigError
from .data_prep import TrainingData
from .options import check_known_name, check_positive, parse_batch_size, parse_hidden


@dataclass(frozen=True)
class Recipe:
    """The defaults of ``chainrule train`` for one kind of data; every field has an option."""

    hidden: tuple[int, ...]
    activation: str
    output_activation: str | None  # None: the Network's default for the cost
    cost: str
    optimizer: str
    learning_rate: float
    epochs: int
    batch_size: int | None  # None: full batch


RECIPES: dict[str, Recipe] = {
    # The course's network.  Full-batch Adam with η = 0.01: over the seeds 0-9, 20000 epochs
    # end between C = 0.00009 and 0.0012 (some hearts still miss a piece of a lobe), 30000
    # epochs between 0.00007 and 0.00022 (every heart whole), in 2-4 s on one core.  The
    # seed's plain gradient descent would need hundreds of thousands of epochs here.
    "heart": Recipe((6, 7), "logistic", None, "squared_error", "adam", 0.01, 30_000, None),
    # The seed's single tanh neuron, trained by the seed's own step θ ← θ − η ∂C/∂θ.
    "not_gate": Recipe((), "tanh", None, "squared_error", "gd", 0.5, 3000, None),
    "xor": Recipe((4,), "tanh", None, "squared_error", "gd", 0.5, 3000, None),
    "circle": Recipe((8,), "tanh", None, "cross_entropy", "adam", 0.01, 200, 32),
    "xor_blobs": Recipe((8,), "tanh", None, "cross_entropy", "adam", 0.01, 200, 32),
    "gaussians": Recipe((4,), "tanh", None, "cross_entropy", "adam", 0.01, 100, 32),
    "spiral": Recipe((16, 16), "tanh", None, "cross_entropy", "adam", 0.01, 500, 32),
    "digits": Recipe((100,), "relu", None, "cross_entropy", "adam", 1e-3, 60, 200),
}


# User files: standardised inputs, a modest hidden layer, mini-batch Adam.
FILE_REGRESSION = Recipe((16,), "tanh", "identity", "squared_error", "adam", 0.01, 200, 32)


FILE_CLASSIFICATION = Recipe((16,), "tanh", None, "cross_entropy", "adam", 0.01, 200, 32)


def _optimizer_name(name: str) -> str:
    """The optimisers `train` knows: those of chainrule.optim and L-BFGS (run by fit)."""
    from ..optim.optimizers import OPTIMIZERS

    known = [*OPTIMIZERS, "lbfgs"]
    if name.lower() not in (*known, "l-bfgs"):
        raise ConfigError(f"optimizer: expected one of {', '.join(known)}, got {name!r}")
    return name


def check_validation(validation: float, n: int | None = None) -> None:
    """``--validation`` is a fraction in [0, 1) that leaves examples on both sides of ``n``."""
    if not (math.isfinite(validation) and 0 <= validation < 1):
        raise ConfigError(f"--validation: expected a fraction in [0, 1), e.g. 0.1, "
                          f"got {validation!r}")
    if n is None or validation == 0:
        return
    n_val = round(validation * n)  # as training.fit splits
    if not 1 <= n_val < n:
        raise ConfigError(f"--validation: {validation:g} of {n} examples leaves {n_val} for "
                          f"validation and {n - n_val} for training; each needs at least one")


def option_changes(*, hidden: str | None, activation: str | None,
                   output_activation: str | None, cost: str | None, optimizer: str | None,
                   lr: float | None, epochs: int | None,
                   batch_size: str | None) -> dict[str, Any]:
    """The user's options as changes to a :class:`Recipe`, each checked and named by its flag.

    Called before any data is read, so a bad option fails at once.
    """
    from ..nn.activations import get_activation
    from ..nn.costs import get_cost

    changes: dict[str, Any] = {}
    if hidden is not None:
        changes["hidden"] = parse_hidden(hidden)
    if activation is not None:
        changes["activation"] = check_known_name(activation, "--activation", get_activation)
    if cost is not None:
        changes["cost"] = check_known_name(cost, "--cost", get_cost)
        # A new cost brings its own output layer unless one is named.
        changes["output_activation"] = None
    if output_activation is not None:
        changes["output_activation"] = check_known_name(output_activation, "--output-activation",
                                                        get_activation)
    if optimizer is not None:
        changes["optimizer"] = check_known_name(optimizer, "--optimizer", _optimizer_name)
    if lr is not None:
        changes["learning_rate"] = check_positive(lr, "--lr")
    if epochs is not None:
        if epochs < 1:
            raise ConfigError(f"--epochs: expected at least 1, got {epochs}")
        changes["epochs"] = epochs
    if batch_size is not None:
        changes["batch_size"] = parse_batch_size(batch_size)
    return changes


def recipe_for(data: TrainingData, changes: dict[str, Any]) -> Recipe:
    """The data's recipe with the user's options (:func:`option_changes`) applied."""
    for_files = FILE_CLASSIFICATION if data.task == "classification" else FILE_REGRESSION
    base = RECIPES.get(data.dataset or "", for_files)  # a built-in set without a recipe too
    return replace(base, **changes)
