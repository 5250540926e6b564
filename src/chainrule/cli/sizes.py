"""The memory a training run will need, checked before the network is built."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from ..utils.memory import check_memory
from .recipes import solver

# A full-batch quasi-Newton solver (L-BFGS) keeps about ten pairs of vectors (s, y) of
# θ's size, and a few more for its line search.
FULL_BATCH_STATE = 24


def check_training_fits(layer_sizes: Sequence[int], dtype: str, optimizer: str,
                        batch_size: int | None, n_examples: int) -> None:
    """Refuse (``--hidden``) a network whose training could not fit in memory.

    Counted: the weights and their gradients, the optimiser's state (Adam's two
    moments, ...), and the forward and backward arrays of one batch (Z, A and
    ∂C/∂Z for every layer: about four numbers per neuron and example).
    """
    sizes = [int(s) for s in layer_sizes]
    n_params = sum((a + 1) * b for a, b in pairwise(sizes))
    kind = solver(optimizer)
    buffers = tuple(getattr(kind, "state_buffers", ()))
    slots = FULL_BATCH_STATE if kind.full_batch else len(buffers)
    state = (f"{kind.label}'s {' and '.join(buffers)}" if buffers else
             f"{kind.label}'s history" if kind.full_batch else "")
    B = n_examples if batch_size is None or kind.full_batch else min(batch_size, n_examples)
    n_bytes = np.dtype(dtype).itemsize * (n_params * (2 + slots) + 4 * B * sum(sizes))
    parts = [p for p in ("the weights and their gradients", state,
                         f"the activations of a batch of {B:,}") if p]
    check_memory(n_bytes, "--hidden", f"training a {'-'.join(map(str, sizes))} network with "
                 f"{optimizer}", f"{n_params:,} parameters, {dtype}: {', '.join(parts[:-1])} "
                 f"and {parts[-1]}")
