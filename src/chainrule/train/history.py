"""The record of a run: one row per epoch, kept in compact NumPy columns.

A :class:`History` has one :class:`Column` per quantity (``epoch``, ``cost``,
``val_cost``, ``accuracy``, ``val_accuracy``, ``learning_rate``, ``seconds``).  A
column reads like the list it replaces (``h.cost[-1]``, ``len(h.cost)``, iteration,
``==`` and ``+`` as for lists, slices give lists) and goes into NumPy as an array
(``np.asarray(h.cost)``), but it keeps its values in blocks of :data:`BLOCK` rows
that are never copied as the run grows, and a block whose values follow a rule (the
epochs counting up one by one, a learning rate that does not change, NaN in a column
that is not computed) is kept as one number.  A run without validation thus costs
12 bytes an epoch (the cost in float64, the seconds in float32), one with validation
and accuracy 36.

:class:`EpochInfo` is what the engine tells the callbacks at the end of each epoch.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, overload

import numpy as np

from .reprs import history_frame, history_html, history_text

__all__ = ["BLOCK", "Column", "EpochInfo", "History"]

Array = np.ndarray
BLOCK = 1024  # rows per storage block: 8 KiB of float64
_TYPECODES = {np.dtype(np.float64): "d", np.dtype(np.float32): "f", np.dtype(np.int64): "q"}


class Column(Sequence[float]):
    """One quantity per epoch: a growable NumPy column that reads like a list.

    The newest values (fewer than :data:`BLOCK`) wait in a typed buffer (the standard
    library's :class:`array.array`: 8 bytes a float64, no Python object per value);
    each full block of :data:`BLOCK` values is kept as such a buffer or, when its
    values follow the rule ``first + step · i`` (``step`` 1 for epoch numbers, 0
    otherwise, NaN equal to NaN), as the number ``first`` alone.  Nothing is copied
    again as the column grows.

    Parameters
    ----------
    values : iterable of numbers, optional
        The starting values (None is NaN).
    dtype : {float64, float32, int64}, default float64
        The storage type (float32 keeps 7 significant digits).
    step : int, default 0
        The rule of a block kept as one number.
    """

    __slots__ = ("_blocks", "_dtype", "_step", "_tail")

    def __init__(self, values: Iterable[float | None] = (), dtype: Any = np.float64,
                 step: int = 0):
        self._dtype = np.dtype(dtype)
        self._step = step
        self._blocks: list[array | float | int] = []  # full blocks, or their rule's first
        self._tail = array(_TYPECODES[self._dtype])  # emptied in place, never replaced
        self.extend(values)

    # -- growing ----------------------------------------------------------------

    def append(self, value: float) -> None:
        """Add one value at the end."""
        tail = self._tail
        tail.append(value)
        if len(tail) >= BLOCK:
            self._pack()

    def extend(self, values: Iterable[float | None]) -> None:
        """Append every value of ``values`` (None is NaN)."""
        self._tail.frombytes(np.asarray(values, dtype=self._dtype).reshape(-1).tobytes())
        self._pack()

    def _pack(self) -> None:
        """Keep every full block of waiting values, as it is or as its rule's first value."""
        tail = self._tail
        while len(tail) >= BLOCK:
            first = tail[0]
            self._blocks.append(first if self._follows_rule(tail) else tail[:BLOCK])
            del tail[:BLOCK]

    def _follows_rule(self, values: array) -> bool:
        """Whether the first BLOCK values are ``first + step · i``."""
        block = np.frombuffer(values, dtype=self._dtype, count=BLOCK)  # a view, released here
        return bool(np.array_equal(block, self._rule(block[0].item(), BLOCK),
                                   equal_nan=self._dtype.kind == "f"))

    def _rule(self, first: float | int, n: int) -> Array:
        """``first + step · i`` for i < n, in the column's dtype."""
        return (first + self._step * np.arange(n)).astype(self._dtype)

    # -- reading ------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._blocks) * BLOCK + len(self._tail)

    @overload
    def __getitem__(self, i: int) -> float: ...

    @overload
    def __getitem__(self, i: slice) -> list[float]: ...

    def __getitem__(self, i: int | slice) -> float | list[float]:
        if isinstance(i, slice):
            return self.to_numpy()[i].tolist()
        n = len(self)
        k = i.__index__()
        if k < 0:
            k += n
        if not 0 <= k < n:
            raise IndexError(f"history column index {i} out of range ({n} epochs)")
        packed = len(self._blocks) * BLOCK
        if k >= packed:
            return self._tail[k - packed]
        block = self._blocks[k // BLOCK]
        if isinstance(block, array):
            return block[k % BLOCK]
        return block + self._step * (k % BLOCK)

    def __iter__(self) -> Iterator[float]:
        return iter(self.tolist())

    def to_numpy(self) -> Array:
        """The values as a new 1-D array of the column's dtype."""
        parts = [np.frombuffer(b, dtype=self._dtype) if isinstance(b, array)
                 else self._rule(b, BLOCK) for b in self._blocks]
        parts.append(np.frombuffer(self._tail, dtype=self._dtype))
        return np.concatenate(parts)  # a copy: the views of the buffers end here

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Array:
        out = self.to_numpy()
        return out if dtype is None else out.astype(dtype, copy=False)

    def tolist(self) -> list[float]:
        """The values as a list of Python numbers."""
        return self.to_numpy().tolist()

    @property
    def dtype(self) -> np.dtype:
        """The storage type."""
        return self._dtype

    @property
    def nbytes(self) -> int:
        """Bytes held by full blocks (those kept as a rule hold none)."""
        return sum(len(b) * b.itemsize for b in self._blocks if isinstance(b, array))

    # -- list habits -----------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence | np.ndarray) or isinstance(other, str):
            return NotImplemented
        if len(other) != len(self):
            return False
        a, b = self.to_numpy(), np.asarray(other)
        nan_aware = a.dtype.kind == "f" and b.dtype.kind in "fiu"
        return bool(np.array_equal(a, b, equal_nan=nan_aware))

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other: Iterable[float]) -> list[float]:
        return self.tolist() + list(other)

    def __radd__(self, other: Iterable[float]) -> list[float]:
        return list(other) + self.tolist()

    def __repr__(self) -> str:
        n = len(self)
        if n <= 8:
            return f"Column({self.tolist()!r})"
        head = ", ".join(repr(v) for v in self[:3])
        return f"Column([{head}, ..., {self[-1]!r}], {n} epochs)"

    def copy(self) -> Column:
        """An independent copy."""
        return self.head(len(self))

    def head(self, n: int) -> Column:
        """A new column of the first ``n`` values."""
        return Column(self.to_numpy()[:n], self._dtype, self._step)


def _column(name: str) -> Column:
    """An empty column of the right kind for the History field ``name``."""
    if name == "epoch":
        return Column(dtype=np.int64, step=1)
    return Column(dtype=np.float32 if name == "seconds" else np.float64)


COLUMNS = ("epoch", "cost", "val_cost", "accuracy", "val_accuracy", "learning_rate", "seconds")


@dataclass
class History:
    """Per-epoch record of a run: :class:`Column` objects of equal length, one row per epoch.

    ``cost`` is the training cost ``C + P``: the mean cost over the epoch's examples plus
    the L2 penalty of the weights each batch was evaluated at (scikit-learn's ``loss_``);
    ``val_cost``, ``accuracy`` and ``val_accuracy`` are NaN where not computed;
    ``learning_rate`` is the ``η`` the epoch used (NaN for L-BFGS); ``seconds`` its time
    (kept to 7 significant digits).

    Epochs are counted from 1, as the progress lines count them: ``epoch`` holds
    1, 2, ... (an L-BFGS iteration is an epoch), ``best_epoch`` is the ``epoch`` of the
    lowest watched score (None without one), and 0 means before training (a
    DivergenceError's ``kept_epoch``).  ``until(best_epoch)`` is the record of the best
    weights.  Any field may be given as a list or an array; the
    columns belong to their History (make a new one, e.g. with :meth:`until` or
    ``dataclasses.replace``, rather than assigning a column).
    """

    epoch: Column = field(default_factory=lambda: _column("epoch"))
    cost: Column = field(default_factory=lambda: _column("cost"))
    val_cost: Column = field(default_factory=lambda: _column("val_cost"))
    accuracy: Column = field(default_factory=lambda: _column("accuracy"))
    val_accuracy: Column = field(default_factory=lambda: _column("val_accuracy"))
    learning_rate: Column = field(default_factory=lambda: _column("learning_rate"))
    seconds: Column = field(default_factory=lambda: _column("seconds"))
    best_epoch: int | None = None
    stopped_early: bool = False
    n_steps: int = 0

    def __post_init__(self) -> None:
        for name in COLUMNS:
            col = _column(name)
            col.extend(getattr(self, name))  # a copy: never shared with another History
            setattr(self, name, col)
        # the columns' buffers of waiting values, which record() appends to
        self._tails = tuple(getattr(self, name)._tail for name in COLUMNS)

    def record(self, epoch: int, cost: float, val_cost: float | None, accuracy: float | None,
               val_accuracy: float | None, learning_rate: float, seconds: float) -> None:
        """Append one epoch's row (None is recorded as NaN).

        Straight into the columns' buffers: this runs once an epoch, in the training loop.
        """
        nan = math.nan
        e, c, vc, a, va, lr, s = self._tails
        e.append(epoch)
        c.append(cost)
        vc.append(nan if val_cost is None else val_cost)
        a.append(nan if accuracy is None else accuracy)
        va.append(nan if val_accuracy is None else val_accuracy)
        lr.append(learning_rate)
        s.append(seconds)
        if len(e) >= BLOCK:
            for name in COLUMNS:
                getattr(self, name)._pack()

    def __len__(self) -> int:
        return len(self.epoch)

    def to_dict(self) -> dict[str, Any]:
        """Plain Python: each column as a list, and the scalars."""
        out: dict[str, Any] = {name: getattr(self, name).tolist() for name in COLUMNS}
        out.update(best_epoch=self.best_epoch, stopped_early=self.stopped_early,
                   n_steps=self.n_steps)
        return out

    def to_arrays(self) -> dict[str, Any]:
        """Like :meth:`to_dict`, with each column as a NumPy array (what checkpoints store)."""
        out: dict[str, Any] = {name: getattr(self, name).to_numpy() for name in COLUMNS}
        out.update(best_epoch=self.best_epoch, stopped_early=self.stopped_early,
                   n_steps=self.n_steps)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        """The inverse of :meth:`to_dict` and :meth:`to_arrays`."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def until(self, epoch: int) -> History:
        """The record up to the end of ``epoch`` (0: none of it), e.g. of the weights kept.

        ``best_epoch`` is kept only if it is within that record.
        """
        n = int(np.count_nonzero(self.epoch.to_numpy() <= epoch))
        cut = {name: getattr(self, name).head(n) for name in COLUMNS}
        best = self.best_epoch if self.best_epoch is not None and self.best_epoch <= epoch \
            else None
        return History(**cut, best_epoch=best, stopped_early=self.stopped_early,
                       n_steps=self.n_steps)

    @property
    def nbytes(self) -> int:
        """Bytes of column storage held."""
        return sum(getattr(self, name).nbytes for name in COLUMNS)

    # -- display (chainrule.train.reprs) ----------------------------------------------

    def to_frame(self) -> Any:
        """Every epoch as a :class:`pandas.DataFrame` indexed by ``epoch``."""
        return history_frame(self)

    def __repr__(self) -> str:
        return history_text(self)

    def _repr_html_(self) -> str:
        return history_html(self)


@dataclass(frozen=True)
class EpochInfo:
    """What a callback is told at the end of each epoch (each iteration of L-BFGS).

    Attributes
    ----------
    epoch, n_epochs : int
        The epoch just ended (1-based) and the last one the run may reach.
    cost : float
        The training cost ``C + P`` as the history records it.
    val_cost, accuracy, val_accuracy : float or None
        None where not computed.
    learning_rate : float
        The ``η`` the epoch used (NaN for L-BFGS).
    seconds, examples_per_second : float
        The epoch's time and speed.
    history : History
        The run's record so far (this epoch included).
    penalty : float
        The L2 part ``P`` of ``cost`` (0 without a penalty).
    score : float
        The score early stopping watched (lower is better): by default the validation
        cost, else the training cost.
    plateau : bool
        The score has not improved by ``tol`` for ``patience`` epochs: training stops
        here with early stopping, unless the schedule lowered ``η`` instead.
    """

    epoch: int
    n_epochs: int
    cost: float
    val_cost: float | None
    accuracy: float | None
    val_accuracy: float | None
    learning_rate: float
    seconds: float
    examples_per_second: float
    history: History
    penalty: float = 0.0
    score: float = math.nan
    plateau: bool = False
