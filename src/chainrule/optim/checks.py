"""Checks of hyperparameters: each returns the value in its plain type or raises ConfigError.

Every message names the argument, says what was expected and shows what came, e.g.
``momentum: expected a number in [0, 1), got 1.5``.  The optimisers, the schedules,
the training engine and the scikit-learn estimators all check their options here.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np

from ..errors import ConfigError

__all__ = [
    "check_bool",
    "check_choice",
    "check_fraction",
    "check_int",
    "check_kwargs",
    "check_rate",
    "check_real",
]


def check_real(value: object, name: str, low: float = -math.inf, high: float = math.inf, *,
               low_open: bool = False, high_open: bool = False, finite: bool = True) -> float:
    """``value`` as a float in the interval from ``low`` to ``high``; else ConfigError.

    Parameters
    ----------
    value : object
        What was given; booleans and non-numbers are refused.
    name : str
        The argument's name, the start of the message.
    low, high : float
        The bounds; ``low_open``/``high_open`` exclude them.
    finite : bool, default True
        Refuse ±infinity (NaN is always refused).
    """
    if math.isinf(high):
        sign = ">" if low_open else ">="
        expected = f"a {'finite ' if finite else ''}number {sign} {low:g}"
    else:
        lo, hi = "(" if low_open else "[", ")" if high_open else "]"
        expected = f"a number in {lo}{low:g}, {high:g}{hi}"
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        raise ConfigError(f"{name}: expected {expected}, got {value!r}")
    x = float(value)
    above = x > low if low_open else x >= low
    below = x < high if high_open else x <= high
    # NaN fails both comparisons, so it is refused here too
    if not (above and below) or (finite and not math.isfinite(x)):
        raise ConfigError(f"{name}: expected {expected}, got {value!r}")
    return x


def check_rate(value: object, name: str) -> float:
    """A finite number > 0 (learning rates, ε)."""
    return check_real(value, name, 0.0, low_open=True)


def check_fraction(value: object, name: str) -> float:
    """A number in [0, 1) (momentum, β₁, β₂)."""
    return check_real(value, name, 0.0, 1.0, high_open=True)


def check_int(value: object, name: str, low: int = 1) -> int:
    """``value`` as an int ``>= low`` (booleans refused); else ConfigError."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, Integral) or value < low:
        expected = "a positive integer" if low == 1 else f"an integer >= {low}"
        raise ConfigError(f"{name}: expected {expected}, got {value!r}")
    return int(value)


def check_bool(value: object, name: str) -> bool:
    """``value`` as a bool (Python's or NumPy's); else ConfigError."""
    if not isinstance(value, bool | np.bool_):
        raise ConfigError(f"{name}: expected True or False, got {value!r}")
    return bool(value)


def check_choice(value: object, name: str, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices`` (exactly); else ConfigError listing them."""
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ConfigError(f"{name}: expected one of {listed}, got {value!r}")
    return value


def check_kwargs(cls: type, kwargs: dict[str, Any], what: str) -> None:
    """Refuse keyword arguments that ``cls.__init__`` does not take, naming them."""
    accepted = [p for p in inspect.signature(cls).parameters if p != "self"]
    for key in kwargs:
        if key not in accepted:
            raise ConfigError(f"{key}: not an option of {what} {cls.__name__}; "
                              f"expected one of {', '.join(accepted) or '(none)'}")
