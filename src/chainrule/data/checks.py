"""Checks of the options of the data-set generators, each naming the option."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import ConfigError

__all__ = ["as_rng", "check_int", "check_nonnegative", "class_sizes"]


def check_int(value: object, name: str, minimum: int) -> int:
    """``value`` as an int ``>= minimum``, or :class:`ConfigError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{name}: expected an integer >= {minimum}, got {value}")
    return int(value)


def check_nonnegative(value: object, name: str) -> float:
    """``value`` as a finite float ``>= 0``, or :class:`ConfigError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name}: expected a number >= 0, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name}: expected a finite number >= 0, got {value}")
    return float(value)


def as_rng(random_state: object) -> np.random.Generator:
    """``np.random.default_rng(random_state)`` with a ConfigError instead of TypeError."""
    if isinstance(random_state, bool):
        raise ConfigError(
            f"random_state: expected None, an int or a Generator, got {random_state!r}")
    try:
        return np.random.default_rng(random_state)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"random_state: expected None, an int or a Generator, got {random_state!r} ({exc})"
        ) from None


def class_sizes(n_samples: int, n_classes: int) -> list[int]:
    """Split ``n_samples`` into ``n_classes`` counts that differ by at most one."""
    base, extra = divmod(n_samples, n_classes)
    return [base + (k < extra) for k in range(n_classes)]
