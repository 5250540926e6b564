"""The record of a run: one row per epoch, kept in compact NumPy columns.

A :class:`History` has one :class:`Column` per quantity (``epoch``, ``cost``,
``val_cost``, ``accuracy``, ``val_accuracy``, ``learning_rate``, ``seconds``).  A
column reads like the list it replaces (``h.cost[-1]``, ``len(h.cost)``, iteration,
``==`` and ``+`` as for lists, slices give lists) and goes into NumPy as an array
(``np.asarray(h.cost)``), but it stores its values in blocks of
:data:`BLOCK` rows that grow without copying, and stores nothing at all while its
values follow a rule: the epochs count up one by one, and a learning rate that does
not change, or a column that is NaN every epoch (no validation, no accuracy), is
one number however long the run.  A run without validation thus costs 12 bytes an
epoch (the cost in float64, the seconds in float32), one with validation and
accuracy 36.

:class:`EpochInfo` is what the engine tells the callbacks at the end of each epoch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, overload

import numpy as np

__all__ = ["BLOCK", "Column", "EpochInfo", "History"]

Array = np.ndarray
BLOCK = 1024  # rows per storage block: 8 KiB of float64


class Column(Sequence[float]):
    """One quantity per epoch: a growable NumPy column that reads like a list.

    The newest values (fewer than :data:`BLOCK`) wait in a short list; each full block
    of :data:`BLOCK` values becomes a NumPy array of ``dtype``, or, when its values
    follow the rule ``first + step · i`` (``step`` 1 for epoch numbers, 0 otherwise,
    NaN equal to NaN), just the number ``first``.

    Parameters
    ----------
    values : iterable of numbers, optional
        The starting values.
    dtype : numpy dtype, default float64
        The storage type (float32 keeps 7 significant digits).
    step : int, default 0
        The rule of a block stored as one number.
    """

    __slots__ = ("_blocks", "_dtype", "_round", "_step", "_tail")

    def __init__(self, values: Iterable[float] = (), dtype: Any = np.float64, step: int = 0):
        self._dtype = np.dtype(dtype)
        self._step = step
        # float32 values are rounded as they come, so that reading them never changes
        self._round = self._dtype == np.float32
        self._blocks: list[Array | float | int] = []  # full blocks: arrays, or rules' first
        self._tail: list[float] = []
        self.extend(values)

    # -- growing ----------------------------------------------------------------

    def append(self, value: float) -> None:
        """Add one value at the end."""
        tail = self._tail
        tail.append(float(np.float32(value)) if self._round else value)
        if len(tail) == BLOCK:
            self._blocks.append(self._pack(tail))
            self._tail = []

    def extend(self, values: Iterable[float]) -> None:
        """Append every value of ``values``."""
        for v in np.asarray(values, dtype=self._dtype).reshape(-1).tolist():
            self.append(v)

    def _pack(self, values: list[float]) -> Array | float | int:
        """A full block: its first value if it follows the rule, else an array."""
        block = np.array(values, dtype=self._dtype)  # (BLOCK,)
        first = block[0].item()
        if np.array_equal(block, self._rule(first, BLOCK), equal_nan=self._dtype.kind == "f"):
            return first
        return block

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
        q, r = divmod(k, BLOCK)
        if q == len(self._blocks):
            return self._tail[r]
        block = self._blocks[q]
        if isinstance(block, np.ndarray):
            return block[r].item()
        return block + self._step * r

    def __iter__(self) -> Iterator[float]:
        return iter(self.tolist())

    def to_numpy(self) -> Array:
        """The values as a new 1-D array of the column's dtype."""
        parts = [b if isinstance(b, np.ndarray) else self._rule(b, BLOCK) for b in self._blocks]
        parts.append(np.array(self._tail, dtype=self._dtype))
        return np.concatenate(parts)

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
        """Bytes held by full blocks (those stored as a rule hold none)."""
        return sum(b.nbytes for b in self._blocks if isinstance(b, np.ndarray))

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
    (kept to 7 significant digits).  Any field may be given as a list or an array.
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
            given = getattr(self, name)
            col = _column(name)
            if isinstance(given, Column):
                col = given.copy()  # never shared with another History
            else:
                col.extend(given)
            setattr(self, name, col)

    def record(self, epoch: int, cost: float, val_cost: float | None, accuracy: float | None,
               val_accuracy: float | None, learning_rate: float, seconds: float) -> None:
        """Append one epoch's row (None is recorded as NaN)."""
        nan = math.nan
        self.epoch.append(epoch)
        self.cost.append(cost)
        self.val_cost.append(nan if val_cost is None else val_cost)
        self.accuracy.append(nan if accuracy is None else accuracy)
        self.val_accuracy.append(nan if val_accuracy is None else val_accuracy)
        self.learning_rate.append(learning_rate)
        self.seconds.append(seconds)

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
