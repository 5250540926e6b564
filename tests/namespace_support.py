"""The array libraries the array-API tests compute on besides NumPy, one test run each.

PyTorch's CPU tensors (array-api-compat's namespace) and array_api_strict's arrays: the
standard's reference implementation, whose arrays have only what the standard promises (no
``.reshape``, ``.T`` of N-D arrays, ``.astype`` or ``.numpy()``), here on its second device
``device1``, so that parameters left on another device would fail.  Results come back to
NumPy through DLPack (``numpy.from_dlpack``), independently of chainrule's own move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import array_api_strict
import numpy as np
import pytest
import torch


@dataclass(frozen=True)
class Library:
    """An array library and the device its arrays are made on."""

    name: str
    make: Callable[[np.ndarray], Any]
    device: Any

    def __call__(self, a: object) -> Any:
        """``a`` as an array of this library, on its device."""
        return self.make(np.asarray(a))

    def like(self, dtype: str = "float64") -> Any:
        """A one-element array of ``dtype`` there, for ``Network.move_to``."""
        return self(np.zeros(1, dtype))

    @staticmethod
    def host(a: Any) -> np.ndarray:
        """``a`` read back as a NumPy array."""
        return np.from_dlpack(a)

    def holds(self, a: object) -> bool:
        """Whether ``a`` is an array of this library on its device."""
        return type(a) is type(self.like()) and a.device == self.device  # type: ignore[attr-defined]


DEVICE1 = array_api_strict.Device("device1")
TORCH = Library("torch", torch.asarray, torch.device("cpu"))
STRICT = Library("array_api_strict", lambda a: array_api_strict.asarray(a, device=DEVICE1),
                 DEVICE1)
# @LIBRARIES on a test with a ``lib`` argument runs it on each
LIBRARIES = pytest.mark.parametrize("lib", [TORCH, STRICT], ids=lambda lib: lib.name)
