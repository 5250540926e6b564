"""The defaults of ``chainrule train`` for each kind of data, and the options that change them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..data.registry import DATASETS
from ..errors import ConfigError
from .data_prep import TrainingData

if TYPE_CHECKING:
    from ..optim.optimizers import Solver


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
    # The course's network.  Full-batch Adam with η = 0.01: over --seed 0-9, 20000 epochs
    # end between C = 0.00009 and 0.0012 (some hearts still miss a piece of a lobe), 30000
    # epochs between 0.00007 and 0.00022 (every heart whole), in 2-4 s on one core.  The
    # course's plain gradient descent would need hundreds of thousands of epochs here.
    "heart": Recipe((6, 7), "logistic", None, "squared_error", "adam", 0.01, 30_000, None),
    # The course's single tanh neuron, trained by the course's own step θ ← θ − η ∂C/∂θ.
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


def check_optimizer(name: str) -> None:
    """The optimisers `train` knows: the registry's (:mod:`chainrule.optim.solvers`)."""
    solver(name)


def solver(optimizer: str) -> type[Solver]:
    """The registry's solver of that name, to ask what it is (full batch, learning rate,
    checkpoints, label) rather than test its name."""
    from ..optim.solvers import solver_class

    return solver_class(optimizer)


def check_validation(validation: float, n: int) -> None:
    """``--validation`` leaves examples on both sides of ``n``."""
    if validation == 0:
        return
    n_val = round(validation * n)  # as training.fit splits
    if not 1 <= n_val < n:
        raise ConfigError(f"--validation: {validation:g} of {n} examples leaves {n_val} for "
                          f"validation and {n - n_val} for training; each needs at least one")


def recipe_for(data: TrainingData, changes: dict[str, Any]) -> Recipe:
    """The data's recipe with the user's options (``Recipe`` field → value) applied."""
    for_files = FILE_CLASSIFICATION if data.task == "classification" else FILE_REGRESSION
    base = RECIPES.get(data.dataset or "", for_files)  # a built-in set without a recipe too
    return replace(base, **changes)


def recipe_options(r: Recipe) -> str:
    """A recipe as the options that would set it: ``--hidden 6,7 --activation logistic ...``."""
    hidden = ",".join(map(str, r.hidden)) or "none"
    batch = "full" if r.batch_size is None else r.batch_size
    output = "" if r.output_activation is None else f" --output-activation {r.output_activation}"
    return (f"--hidden {hidden} --activation {r.activation}{output} --cost {r.cost} "
            f"--optimizer {r.optimizer} --lr {r.learning_rate:g} --epochs {r.epochs} "
            f"--batch-size {batch}")


def recipes_help() -> str:
    """The defaults of every kind of data, one paragraph each, as ``train --help`` ends."""
    lines = ["Defaults by data (an option given replaces its default; no data: the heart):",
             f"A file of classes: {recipe_options(FILE_CLASSIFICATION)}",
             f"A file of values: {recipe_options(FILE_REGRESSION)}"]
    lines += [f"--dataset {name}: {recipe_options(r)}" for name, r in RECIPES.items()]
    others = [f"--dataset {name}" for name in DATASETS if name not in RECIPES]
    if others:  # a built-in set without a recipe trains as a file of its kind
        lines.append(f"{', '.join(others)}: the defaults of a file of the same kind")
    return "\n\n".join(lines)


def file_default(field: str) -> str:
    """How an option's default reads in ``--help``: a file's, then the data sets'."""
    values = {getattr(FILE_CLASSIFICATION, field), getattr(FILE_REGRESSION, field)}
    assert len(values) == 1, field  # one default for both kinds of file
    value = values.pop()
    shown = (",".join(map(str, value)) if isinstance(value, tuple) else
             "full" if value is None else f"{value:g}" if isinstance(value, float) else value)
    return f"{shown} for a file; a data set's own, below"
