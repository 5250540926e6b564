"""Option types shared by the commands, and the parsers of option values.

Each parser names its option in its error (``--hidden: ...``), so that a bad value is
refused before any data is read.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError
from ..nn.network import Network

Debug = Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print a JSON document on stdout.")]


def parse_numbers(text: str, option: str, count: int | None = None) -> list[float]:
    """``"0.5, 1"`` → ``[0.5, 1.0]``; ConfigError naming ``option`` otherwise."""
    parts = [p.strip() for p in text.replace(";", ",").split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ConfigError(f"{option}: expected comma-separated numbers, got {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise ConfigError(f"{option}: expected finite numbers, got {text!r}")
    if count is not None and len(values) != count:
        raise ConfigError(f"{option}: expected {count} numbers, got {len(values)} in {text!r}")
    return values


def parse_hidden(text: str) -> tuple[int, ...]:
    """``"6,7"`` → ``(6, 7)``; ``"none"`` → no hidden layer."""
    if text.strip().lower() in ("", "none", "-"):
        return ()
    try:
        sizes = tuple(int(p) for p in text.replace(" ", "").split(","))
    except ValueError:
        raise ConfigError(f"--hidden: expected layer sizes such as 6,7 (or 'none'), "
                          f"got {text!r}") from None
    if min(sizes) < 1:
        raise ConfigError(f"--hidden: every hidden layer needs at least one neuron, got {text!r} "
                          "('none' for no hidden layer)")
    return sizes


def parse_batch_size(text: str) -> int | None:
    """``"full"`` → None (every example in each step); otherwise a positive int."""
    if text.strip().lower() in ("full", "all", "none"):
        return None
    try:
        size = int(text)
    except ValueError:
        raise ConfigError(f"--batch-size: expected a whole number or 'full', got {text!r}") \
            from None
    if size < 1:
        raise ConfigError(f"--batch-size: expected at least 1 example per step (or 'full'), "
                          f"got {size}")
    return size


def check_positive(value: float, option: str) -> float:
    """A finite number > 0 (a learning rate), or ConfigError naming ``option``."""
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"{option}: expected a positive number, got {value!r}")
    return value


def check_known_name(name: str, option: str, lookup: Callable[[str], object]) -> str:
    """``name`` if the library's ``lookup`` knows it; else its error, naming ``option``."""
    try:
        lookup(name)
    except ConfigError as exc:
        reason = str(exc).split(": ", 1)[-1]  # drop the library's argument name
        raise ConfigError(f"{option}: {reason}") from None
    return name


ModelArg = Annotated[Path, typer.Argument(help="A model file written by `chainrule train`.",
                                          show_default=False)]


DataArg = Annotated[Path | None, typer.Argument(
    help="A .csv, .npy or .npz file (default: the model's built-in training set).",
    show_default=False)]


DatasetOpt = Annotated[str | None, typer.Option("--dataset", "-d",
                                                help="Use a built-in data set instead.")]


TargetOpt = Annotated[str | None, typer.Option(
    help="The file's target column(s), left out of the inputs: CSV column names, "
         "comma-separated; 'last' for a .npy; the target array of a .npz (as for train).",
    show_default=False)]


def param_index(net: Network, param: str, option: str) -> int:
    """Where ``param`` (``W1[0,2]``) lies in the network's parameters; its error names
    ``option``."""
    try:
        return net.flat_index(param)
    except ConfigError as exc:
        reason = str(exc).split(": ", 1)[-1]  # drop the library's argument name
        raise ConfigError(f"{option}: {reason}") from None
