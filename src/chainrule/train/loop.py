"""The training loop: epochs of mini-batch gradient steps on a :class:`~chainrule.nn.Network`.

Each step takes a batch ``(X_b, Y_b)``, runs the forward pass, back-propagates
``∂C/∂θ`` of the batch's mean cost into ``network.grads`` and lets the optimiser
update ``network.params`` in place: ``θ ← θ − η ∂C/∂θ`` for plain gradient
descent, the seed's "vary the weight and bias" step.  ``batch_size=None`` uses
every example in each step (full-batch gradient descent).

Memory is bounded by the batch: batches are gathered into preallocated buffers,
with ``np.take`` from arrays in memory and with positional reads from the file
behind a memory-mapped ``.npy`` (:class:`~chainrule.utils.validation.FileRows`), which
leaves nothing of the file mapped into the process; so ``X`` may be larger than RAM.
Runs are deterministic: the same ``random_state`` gives bit-identical weights.

The whole loop state (position, generator, optimiser moments, history, best
weights) is exposed by :meth:`Trainer.state_dict`; ``fit(..., checkpoint=PATH)``
writes it to disk (:mod:`chainrule.train.checkpoint`) and ``resume=True`` continues
from it bit-identically.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, DivergenceError, ShapeError
from ..nn.network import Network
from ..optim.optimizers import LRSchedule, Optimizer, get_optimizer, get_schedule, minimize_lbfgs
from ..utils.validation import (
    FileRows,
    as_2d,
    as_generator,
    check_finite,
    check_numeric,
    check_same_rows,
)
from .checkpoint import (
    Checkpointer,
    CheckpointWarning,
    check_compatible,
    data_summary,
    load_latest_checkpoint,
    looks_like_checkpoint,
    network_config,
    previous_path,
    training_config,
)

__all__ = ["EpochInfo", "History", "Trainer", "evaluate", "fit"]

Array = np.ndarray


@dataclass
class History:
    """Per-epoch record of a run (lists of equal length, one entry per epoch)."""

    epoch: list[int] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    val_cost: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    n_steps: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        return cls(**d)

    def __len__(self) -> int:
        return len(self.epoch)


@dataclass(frozen=True)
class EpochInfo:
    """What a callback is told at the end of each epoch."""

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


Callback = Callable[[EpochInfo], bool | None]


def _classification(network: Network) -> bool:
    return network.cost.name in ("binary_cross_entropy", "cross_entropy")


def _n_correct(A: Array, Y: Array) -> int:
    if A.shape[1] == 1:
        return int(np.count_nonzero((A[:, 0] >= 0.5) == (Y[:, 0] >= 0.5)))
    return int(np.count_nonzero(A.argmax(axis=1) == Y.argmax(axis=1)))


def evaluate(network: Network, X: object, Y: object, *, batch_size: int = 4096,
             indices: Array | None = None,
             classification: bool | None = None) -> tuple[float, float | None]:
    """Mean cost (and accuracy, for classifiers) over a data set, in chunks.

    Returns ``(C, accuracy)``, ``C = (1/N) Σ_k C_k``.  ``accuracy`` (the share of
    rows whose largest output is the target's, or, for one output, on the same
    side of 0.5) is given for cross-entropy networks, or for any network with
    ``classification=True`` (e.g. squared error on one-hot classes); else None.
    """
    chunk = _positive_int(batch_size, "batch_size")
    assert chunk is not None
    X, Y = _as_arrays(network, X, Y)
    with _Rows() as rows:
        return _evaluate(network, X, Y, indices, chunk, rows,
                         _classification(network) if classification is None
                         else bool(classification))


def _evaluate(network: Network, X: Array, Y: Array, indices: Array | None, batch_size: int,
              rows: _Rows, classification: bool) -> tuple[float, float | None]:
    """:func:`evaluate` on validated arrays, gathering rows with ``rows``."""
    idx = np.arange(X.shape[0]) if indices is None else np.asarray(indices)
    m_max = min(batch_size, idx.size)
    Xb_buf = np.empty((m_max, network.n_inputs), network.dtype)
    Yb_buf = np.empty((m_max, network.n_outputs), network.dtype)
    total, correct = 0.0, 0
    for start in range(0, idx.size, batch_size):
        sel = idx[start:start + batch_size]
        Xb = rows.take(X, sel, network.dtype, Xb_buf[:sel.size])
        Yb = rows.take(Y, sel, network.dtype, Yb_buf[:sel.size], name="y")
        c = network.forward(Xb, check=False)
        total += float(np.sum(network.cost.per_example(c.Z[-1], c.A[-1], Yb)))
        correct += _n_correct(c.A[-1], Yb)
    acc = correct / idx.size if classification else None
    return total / idx.size, acc


class _Rows:
    """Gathers rows of the arrays of a run: ``np.take`` in memory, positional reads from files.

    Memory-mapped arrays get a :class:`FileRows` reader (one open file each) on first
    use; :meth:`close`, or the end of a ``with`` block, closes them all.
    """

    def __init__(self) -> None:
        # id(A) -> (A, its reader or None); A is held so that its id is not reused
        self._readers: dict[int, tuple[Array, FileRows | None]] = {}

    def take(self, A: Array, sel: Array, dtype: np.dtype, out: Array, *,
             name: str = "X") -> Array:
        """Rows ``A[sel]`` in ``dtype``, written into ``out``, as :func:`_gather`."""
        entry = self._readers.get(id(A))
        if entry is None or entry[0] is not A:
            entry = self._readers[id(A)] = (A, FileRows.open(A, name))
        reader = entry[1]
        return _gather(A, sel, dtype, out) if reader is None else reader.take(sel, dtype, out)

    def close(self) -> None:
        readers, self._readers = self._readers, {}
        for _, reader in readers.values():
            if reader is not None:
                reader.close()

    def __enter__(self) -> _Rows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _gather(X: Array, sel: Array, dtype: np.dtype, out: Array) -> Array:
    """Rows ``X[sel]`` of an in-memory array in ``dtype``, written into ``out``."""
    if X.dtype == dtype:
        return np.take(X, sel, axis=0, out=out)
    np.copyto(out, X[sel], casting="same_kind")
    return out


def _as_arrays(network: Network, X: object, Y: object) -> tuple[Array, Array]:
    """Validate X without copying it (memmaps stay memmaps) and Y into the network's dtype."""
    if isinstance(X, np.ndarray) and X.ndim == 2:
        Xa = check_numeric(X, "X")
        if Xa.shape[1] != network.n_inputs:
            raise ShapeError(f"X: expected {network.n_inputs} features (columns), "
                             f"got {Xa.shape[1]}")
        check_finite(Xa, "X", fits=network.dtype)  # batches are converted as they are read
    else:
        Xa, _ = as_2d(X, "X", network.n_inputs, network.dtype)
    Ya, _ = as_2d(Y, "y", network.n_outputs, network.dtype)
    check_same_rows(Xa, Ya)
    return Xa, Ya


@contextlib.contextmanager
def _deferred_interrupt() -> Iterator[list[bool]]:
    """Hold SIGINT until the current batch is done; a second Ctrl-C interrupts at once."""
    flag = [False]
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:  # started with Ctrl-C ignored (e.g. `cmd &`): leave it so
        yield flag
        return

    def handler(signum: int, frame: object) -> None:
        if flag[0]:
            raise KeyboardInterrupt
        flag[0] = True

    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:  # not allowed here (e.g. embedded interpreters)
        yield flag
        return
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def _positive_int(value: object, name: str, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


class Trainer:
    """Mini-batch training of one network: the state of a run and the steps that advance it.

    Most users call :func:`fit`; the class exists so that the loop's whole state
    can be saved and restored (:meth:`state_dict`, :meth:`load_state_dict`).
    Parameters are those of :func:`fit`.
    """

    def __init__(
        self,
        network: Network,
        *,
        optimizer: str | Optimizer = "adam",
        learning_rate: float | None = None,
        batch_size: int | None = 200,
        shuffle: bool = True,
        random_state: int | np.random.Generator | None = None,
        l2: float = 0.0,
        schedule: str | LRSchedule = "constant",
        early_stopping: bool = False,
        patience: int = 10,
        tol: float = 1e-4,
        restore_best: bool = True,
        optimizer_options: dict[str, Any] | None = None,
        classification: bool | None = None,
    ):
        self.network = network
        self.lbfgs = isinstance(optimizer, str) and optimizer.lower() in ("lbfgs", "l-bfgs")
        if isinstance(optimizer, Optimizer):
            self.optimizer: Optimizer | None = optimizer
            if learning_rate is not None:
                optimizer.learning_rate = float(learning_rate)
        elif self.lbfgs:
            self.optimizer = None
        else:
            kw = dict(optimizer_options or {})
            if learning_rate is not None:
                kw["learning_rate"] = learning_rate
            self.optimizer = get_optimizer(optimizer, **kw)
        lr0 = self.optimizer.learning_rate if self.optimizer is not None else 1.0
        self.schedule = schedule if isinstance(schedule, LRSchedule) else get_schedule(schedule,
                                                                                       lr0)
        self.batch_size = _positive_int(batch_size, "batch_size", allow_none=True)
        if not isinstance(l2, int | float) or not math.isfinite(l2) or l2 < 0:
            raise ConfigError(f"l2: expected a finite number >= 0, got {l2!r}")
        if not isinstance(tol, int | float) or not math.isfinite(tol) or tol < 0:
            raise ConfigError(f"tol: expected a finite number >= 0, got {tol!r}")
        self.patience = _positive_int(patience, "patience")
        self.shuffle, self.l2, self.tol = bool(shuffle), float(l2), float(tol)
        self.early_stopping, self.restore_best = bool(early_stopping), bool(restore_best)
        self.rng = as_generator(random_state)
        self.history = History()
        # loop position: epochs completed, and inside the current epoch
        self.epoch = 0
        self.batch = 0
        self.perm: Array | None = None
        self.epoch_cost_sum = 0.0
        self.epoch_correct = 0
        self.epoch_seconds = 0.0
        self.best_score = math.inf
        self.best_params: Array | None = None
        self.bad_epochs = 0
        self.val_indices: Array | None = None
        self.train_indices: Array | None = None
        self._l2_scale: Array | None = None
        self._scratch: Array | None = None
        # accuracy is counted for classifiers: cross-entropy networks unless told otherwise
        # (a squared-error network trained on one-hot classes is one too)
        self._classifier = _classification(network) if classification is None \
            else bool(classification)
        self.in_step = False  # True while a step is under way (a second Ctrl-C may stop it)
        self.steps_before_run = 0
        self.lbfgs_result: Any = None  # scipy.optimize.OptimizeResult of the last L-BFGS run
        # Divergence puts back _good: the weights at the last epoch end (or the start) whose
        # cost was seen to be finite.  An epoch end's weights wait in _pending until the
        # next batch's cost, computed at them, is finite.
        self._good: Array | None = None
        self._good_epoch = 0
        self._pending: Array | None = None
        self._pending_epoch: int | None = None
        self._rows: _Rows | None = None  # the gatherer of the running run()
        # Called at the end of every epoch with final=True on the last one (checkpoints).
        self.on_epoch_end: Callable[[bool], None] | None = None
        # True when run() raised KeyboardInterrupt between batches, its state consistent.
        self.interrupted = False

    # -- state ---------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue this run bit-identically (arrays are copies)."""
        return {
            "params": self.network.params.copy(),
            "optimizer": self.optimizer.state_dict() if self.optimizer is not None else {},
            "schedule": self.schedule.state_dict(),
            "rng": self.rng.bit_generator.state,
            "history": self.history.to_dict(),
            "epoch": self.epoch,
            "batch": self.batch,
            "perm": None if self.perm is None else self.perm.copy(),
            "epoch_cost_sum": self.epoch_cost_sum,
            "epoch_correct": self.epoch_correct,
            "epoch_seconds": self.epoch_seconds,
            "best_score": self.best_score,
            "best_params": None if self.best_params is None else self.best_params.copy(),
            "bad_epochs": self.bad_epochs,
            "val_indices": self.val_indices,
            "train_indices": self.train_indices,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict` (the network's shape must match)."""
        params = np.asarray(state["params"])
        if params.shape != self.network.params.shape:
            raise ShapeError(f"state: has {params.size} parameters, the network has "
                             f"{self.network.n_params}")
        self.network.params[...] = params
        if self.optimizer is not None:
            self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.rng.bit_generator.state = state["rng"]
        self.history = History.from_dict(dict(state["history"]))
        for key in ("epoch", "batch", "epoch_cost_sum", "epoch_correct", "epoch_seconds",
                    "best_score", "bad_epochs"):
            setattr(self, key, state[key])
        for key in ("perm", "best_params", "val_indices", "train_indices"):
            val = state[key]
            setattr(self, key, None if val is None else np.array(val))

    # -- the loop ------------------------------------------------------------

    def split(self, n: int, validation_split: float) -> None:
        """Draw the validation examples (once per run, from the run's generator)."""
        if self.train_indices is not None:
            return
        if not 0 <= validation_split < 1:
            raise ConfigError(f"validation_split: expected a fraction in [0, 1), "
                              f"got {validation_split!r}")
        n_val = round(validation_split * n)
        if validation_split > 0 and not 1 <= n_val < n:
            raise ConfigError(f"validation_split: {validation_split} of {n} examples leaves "
                              f"{n_val} for validation and {n - n_val} for training")
        order = self.rng.permutation(n) if n_val else np.arange(n)
        self.val_indices = np.sort(order[:n_val]) if n_val else None
        self.train_indices = np.sort(order[n_val:]) if n_val else None

    def run(self, X: Array, Y: Array, epochs: int, *,
            validation: tuple[Array, Array, Array | None] | None,
            callbacks: Sequence[Callback] = (), batch_callback: Callable[[int, int, int], None]
            | None = None) -> History:
        """Train until ``epochs`` epochs are complete (counting those already done)."""
        self._prepare_l2()
        self.interrupted = False
        self.steps_before_run = self.history.n_steps  # to tell whether this run took a step
        self._good, self._good_epoch = self.network.params.copy(), self.epoch
        self._pending, self._pending_epoch = np.empty_like(self._good), None
        # Overflow is detected (and reported with its epoch and batch) by _step, not warned
        # about.  The files of memory-mapped data stay open until run() ends, however it ends.
        with _Rows() as rows, _deferred_interrupt() as interrupted, \
                np.errstate(over="ignore", invalid="ignore"):
            self._rows = rows
            try:
                self._epochs(X, Y, epochs, validation, callbacks, batch_callback, interrupted)
            finally:
                self._rows = None
        return self.history

    def _epochs(self, X: Array, Y: Array, epochs: int,
                validation: tuple[Array, Array, Array | None] | None,
                callbacks: Sequence[Callback],
                batch_callback: Callable[[int, int, int], None] | None,
                interrupted: list[bool]) -> None:
        """The loop of :meth:`run`: batches gathered into buffers, steps, epoch ends."""
        net, train_idx, rows = self.network, self.train_indices, self._rows
        assert rows is not None
        n = X.shape[0] if train_idx is None else train_idx.size
        B = n if self.batch_size is None else min(self.batch_size, n)
        n_batches = -(-n // B)
        full_batch = B == n and train_idx is None
        if full_batch:
            X_all = X if X.dtype == net.dtype else X.astype(net.dtype)
        Xb_buf = np.empty((B, net.n_inputs), net.dtype)
        Yb_buf = np.empty((B, net.n_outputs), net.dtype)
        base = np.arange(n) if train_idx is None else train_idx
        # stopped_early: a resumed run that had already stopped stays stopped
        while self.epoch < epochs and not self.history.stopped_early:
            if self.batch == 0:
                self.perm = self.rng.permutation(base) if self.shuffle and not full_batch \
                    else base
                self.epoch_cost_sum, self.epoch_correct, self.epoch_seconds = 0.0, 0, 0.0
            t0 = time.perf_counter()
            while self.batch < n_batches:
                k = self.batch
                if full_batch:
                    Xb, Yb = X_all, Y
                else:
                    sel = self.perm[k * B:(k + 1) * B]
                    m = sel.size
                    Xb = rows.take(X, sel, net.dtype, Xb_buf[:m])
                    Yb = rows.take(Y, sel, net.dtype, Yb_buf[:m], name="y")
                self.in_step = True
                self._step(Xb, Yb, k)
                self.in_step = False
                self.batch += 1
                self.history.n_steps += 1
                if batch_callback is not None:
                    batch_callback(self.epoch + 1, self.batch, n_batches)
                if interrupted[0]:
                    self.epoch_seconds += time.perf_counter() - t0
                    self.interrupted = True
                    raise KeyboardInterrupt
            self.epoch_seconds += time.perf_counter() - t0
            if self._end_epoch(n, epochs, validation, callbacks):
                break
        if self.early_stopping and self.restore_best and self.best_params is not None:
            net.params[...] = self.best_params
        if self._pending_epoch is not None and not interrupted[0]:
            # no batch cost was computed at these weights: one batch's, now
            sel = base[:B]
            Xb = X_all[:B] if full_batch else rows.take(X, sel, net.dtype, Xb_buf[:sel.size])
            Yb = Y[:B] if full_batch else rows.take(Y, sel, net.dtype, Yb_buf[:sel.size],
                                                    name="y")
            c = net.forward(Xb, check=False)
            if not math.isfinite(float(np.add.reduce(net.cost.per_example(c.Z[-1], c.A[-1],
                                                                          Yb)))):
                self._diverged(None, final=True)
        if interrupted[0]:  # Ctrl-C at the end of the last epoch: still an interrupt
            self.interrupted = True
            raise KeyboardInterrupt

    def _prepare_l2(self) -> None:
        if self.l2 > 0 and self._l2_scale is None:
            net = self.network
            scale = np.zeros(net.n_params, net.dtype)
            for w0, b0 in net.offsets():
                scale[w0:b0] = self.l2  # weights only; biases are not penalised
            self._l2_scale = scale
            self._scratch = np.empty_like(scale)

    def _step(self, Xb: Array, Yb: Array, k: int) -> None:
        net = self.network
        c = net.forward(Xb, check=False)
        per = net.cost.per_example(c.Z[-1], c.A[-1], Yb)
        batch_cost = float(np.add.reduce(per))
        m = Xb.shape[0]
        g = net.backward(Yb)
        if self._l2_scale is not None:
            # C + (α / 2m) Σ W²  →  ∂/∂W gains (α/m) W
            np.multiply(net.params, self._l2_scale, out=self._scratch)
            self._scratch *= net.dtype.type(1.0 / m)
            g += self._scratch
        # Only the cost is checked each step: a non-finite gradient makes the parameters
        # non-finite, which the next batch's cost or the end-of-epoch check reports, and
        # _diverged then puts back the last finite weights.
        if not math.isfinite(batch_cost):
            self._diverged(k)
        if self._pending_epoch is not None:  # the last epoch end's weights have a finite cost
            self._good, self._pending = self._pending, self._good
            self._good_epoch, self._pending_epoch = self._pending_epoch, None
        if self._classifier:
            self.epoch_correct += _n_correct(c.A[-1], Yb)
        self.epoch_cost_sum += batch_cost
        assert self.optimizer is not None
        self.optimizer.step(net.params, g)
        self.schedule.on_step(self.optimizer)

    def _diverged(self, k: int | None, final: bool = False) -> None:
        """Raise DivergenceError for epoch ``self.epoch + 1``, batch ``k`` (None: at its end).

        ``final``: the cost at the weights training ended with is not finite.

        The weights go back to the last ones whose cost was seen to be finite: those
        of the last epoch end whose next batch still had a finite cost, or the start.
        """
        net = self.network
        if self._good is not None:
            net.params[...] = self._good
        e = self._good_epoch
        kept = (f"The weights at the end of epoch {e}, the last with a finite cost, are kept"
                if e else "The weights from before training are kept")
        lr = self.optimizer.learning_rate if self.optimizer is not None else float("nan")
        if final:
            where = (f"the cost at the weights training ended with (epoch {self.epoch}) is "
                     "not finite")
        elif k is not None:
            where = f"the cost became non-finite in epoch {self.epoch + 1}, batch {k}"
        else:
            where = f"the weights became non-finite in epoch {self.epoch + 1}"
        epoch = self.epoch if final else self.epoch + 1
        raise DivergenceError(f"training diverged: {where}; try a smaller learning rate (now "
                              f"{lr:g}). {kept}.", epoch=epoch, batch=k,
                              kept_epoch=e if self._good is not None else None)

    def _track_best(self, score: float) -> None:
        """Note epoch ``self.epoch``'s score (validation cost, else training cost): a new
        best by more than ``tol`` resets the count of bad epochs and, with early stopping,
        keeps a copy of the weights; anything else counts one more bad epoch."""
        if score < self.best_score - self.tol:
            self.best_score, self.bad_epochs = score, 0
            self.history.best_epoch = self.epoch
            if self.early_stopping:
                if self.best_params is None:
                    self.best_params = self.network.params.copy()
                else:
                    self.best_params[...] = self.network.params
        else:
            self.bad_epochs += 1

    def _end_epoch(self, n: int, epochs: int,
                   validation: tuple[Array, Array, Array | None] | None,
                   callbacks: Sequence[Callback]) -> bool:
        net, h = self.network, self.history
        # A finite sum means every weight is finite; only an overflowing sum needs a closer look.
        params = net.params
        if not math.isfinite(float(np.add.reduce(params))) and not np.isfinite(params).all():
            self._diverged(None)
        if self._pending is not None:
            np.copyto(self._pending, net.params)
            self._pending_epoch = self.epoch + 1
        self.epoch += 1
        self.batch = 0
        cost = self.epoch_cost_sum / n
        if self.l2 > 0:
            cost += 0.5 * self.l2 * sum(float(np.vdot(W, W)) for W in net.W) / n
        val_cost = val_acc = None
        if validation is not None:
            Xv, Yv, idx = validation  # validated by fit: not checked again every epoch
            assert self._rows is not None
            val_cost, val_acc = _evaluate(net, Xv, Yv, idx, 4096, self._rows, self._classifier)
        acc = self.epoch_correct / n if self._classifier else None
        lr = self.optimizer.learning_rate if self.optimizer is not None else float("nan")
        h.epoch.append(self.epoch)
        h.cost.append(cost)
        h.val_cost.append(math.nan if val_cost is None else val_cost)
        h.accuracy.append(math.nan if acc is None else acc)
        h.val_accuracy.append(math.nan if val_acc is None else val_acc)
        h.learning_rate.append(lr)
        h.seconds.append(self.epoch_seconds)
        score = cost if val_cost is None else val_cost
        self._track_best(score)
        if self.optimizer is not None:
            self.schedule(self.epoch, score, self.optimizer)
        stop = False
        if callbacks:
            info = EpochInfo(self.epoch, epochs, cost, val_cost, acc, val_acc, lr,
                             self.epoch_seconds,
                             n / self.epoch_seconds if self.epoch_seconds > 0 else math.inf, h)
            stop = any([bool(cb(info)) for cb in callbacks])  # every callback sees every epoch
        if self.early_stopping and self.bad_epochs >= self.patience:
            h.stopped_early = True
            stop = True
        if self.on_epoch_end is not None:
            self.on_epoch_end(stop or self.epoch >= epochs)
        return stop

    # -- L-BFGS ----------------------------------------------------------------

    def run_lbfgs(self, X: Array, Y: Array, max_iter: int, *, chunk: int = 4096,
                  max_fun: int = 15000, callbacks: Sequence[Callback] = (),
                  indices: Array | None = None,
                  validation: tuple[Array, Array, Array | None] | None = None) -> History:
        """Full-batch L-BFGS (scipy) on the flat parameter vector, gradients summed in chunks.

        ``indices`` selects the training rows (all when None); chunks of them are
        gathered into buffers as the training loop's batches are, so a memory-mapped
        X stays on disk.  After each iteration the history gets the cost, the
        accuracy (classifiers) and, with ``validation``, the validation cost and
        accuracy.  Ctrl-C is held until the iteration ends, then the network keeps
        that iteration's weights and KeyboardInterrupt is raised (as in
        :meth:`run`); a second Ctrl-C stops at once.  SciPy's result (status,
        message, counts) is kept as :attr:`lbfgs_result`.
        """
        self.interrupted = False
        self.steps_before_run = self.history.n_steps
        with _Rows() as rows, _deferred_interrupt() as interrupted:
            self._rows = rows
            try:
                return self._lbfgs(X, Y, max_iter, chunk, max_fun, callbacks, indices, rows,
                                   validation, interrupted)
            finally:
                self._rows = None  # in_step stays True after a stop inside an iteration

    def _lbfgs(self, X: Array, Y: Array, max_iter: int, chunk: int, max_fun: int,
               callbacks: Sequence[Callback], indices: Array | None, rows: _Rows,
               validation: tuple[Array, Array, Array | None] | None,
               interrupted: list[bool]) -> History:
        net = self.network
        idx = np.arange(X.shape[0]) if indices is None else np.asarray(indices)
        n = idx.size
        self._prepare_l2()
        grad = np.empty(net.n_params, np.float64)
        Xb_buf = np.empty((min(chunk, n), net.n_inputs), net.dtype)
        Yb_buf = np.empty((min(chunk, n), net.n_outputs), net.dtype)
        t_last = [time.perf_counter()]
        last = {"theta": np.empty(net.n_params, np.float64), "correct": 0}

        def fun_and_grad(theta: Array) -> tuple[float, Array]:
            net.params[...] = theta
            total, correct = 0.0, 0
            grad[...] = 0
            for start in range(0, n, chunk):
                sel = idx[start:start + chunk]
                Xb = rows.take(X, sel, net.dtype, Xb_buf[:sel.size])
                Yb = rows.take(Y, sel, net.dtype, Yb_buf[:sel.size], name="y")
                c = net.forward(Xb, check=False)
                total += float(np.sum(net.cost.per_example(c.Z[-1], c.A[-1], Yb)))
                if self._classifier:
                    correct += _n_correct(c.A[-1], Yb)
                # the chunk's mean-cost gradient, weighted by its share of the examples
                np.add(grad, net.backward(Yb) * (Xb.shape[0] / n), out=grad)
            last["theta"][...] = theta
            last["correct"] = correct
            cost = total / n
            if self._l2_scale is not None:
                cost += 0.5 * float(np.sum(self._l2_scale * theta * theta)) / n
                np.add(grad, self._l2_scale * theta / n, out=grad)
            return cost, grad

        def on_iteration(result: Any) -> bool:
            now = time.perf_counter()
            cost = float(result.fun)
            h = self.history
            self.epoch += 1
            net.params[...] = result.x  # the accepted point, not the last one tried
            acc = val_cost = val_acc = None
            if self._classifier:
                if np.array_equal(last["theta"], result.x):  # its pass counted them
                    acc = last["correct"] / n
                else:
                    acc = _evaluate(net, X, Y, idx, chunk, rows, True)[1]
            if validation is not None:
                Xv, Yv, vidx = validation
                val_cost, val_acc = _evaluate(net, Xv, Yv, vidx, chunk, rows, self._classifier)
            h.epoch.append(self.epoch)
            h.cost.append(cost)
            h.val_cost.append(math.nan if val_cost is None else val_cost)
            h.accuracy.append(math.nan if acc is None else acc)
            h.val_accuracy.append(math.nan if val_acc is None else val_acc)
            h.learning_rate.append(math.nan)
            h.seconds.append(now - t_last[0])
            t_last[0] = now
            h.n_steps += 1
            self._track_best(cost if val_cost is None else val_cost)
            info = EpochInfo(self.epoch, max_iter, cost, val_cost, acc, val_acc, math.nan,
                             h.seconds[-1], n / h.seconds[-1] if h.seconds[-1] > 0 else math.inf,
                             h)
            stop = any([bool(cb(info)) for cb in callbacks])
            if interrupted[0]:  # Ctrl-C during the iteration: stop with its weights
                self.interrupted, self.in_step = True, False
                raise KeyboardInterrupt
            if self.early_stopping and self.bad_epochs >= self.patience:
                h.stopped_early = True
                stop = True
            return stop

        x0 = net.params.astype(np.float64)
        self.in_step = True  # between iterations a second Ctrl-C would stop mid-evaluation
        with np.errstate(over="ignore", invalid="ignore"):
            # SciPy's gtol must be > 0; tol=0 means "never stop on the gradient"
            gtol = self.tol or float(np.finfo(np.float64).tiny)
            result = minimize_lbfgs(fun_and_grad, x0, max_iter=max_iter, tol=gtol,
                                    max_fun=max_fun, callback=on_iteration)
        self.in_step = False
        self.lbfgs_result = result
        net.params[...] = x0
        if interrupted[0]:  # Ctrl-C after the last iteration (a failed line search, say)
            self.interrupted = True
            raise KeyboardInterrupt
        if self.early_stopping and self.restore_best and self.best_params is not None:
            net.params[...] = self.best_params
        if not np.isfinite(net.params).all():
            raise DivergenceError("L-BFGS produced non-finite weights", epoch=self.epoch)
        return self.history


def fit(
    network: Network,
    X: object,
    y: object,
    *,
    epochs: int = 100,
    optimizer: str | Optimizer = "adam",
    learning_rate: float | None = None,
    batch_size: int | None = 200,
    shuffle: bool = True,
    random_state: int | np.random.Generator | None = None,
    validation_split: float = 0.0,
    validation_data: tuple[object, object] | None = None,
    early_stopping: bool = False,
    patience: int = 10,
    tol: float = 1e-4,
    restore_best: bool = True,
    l2: float = 0.0,
    schedule: str | LRSchedule = "constant",
    callbacks: Sequence[Callback] = (),
    batch_callback: Callable[[int, int, int], None] | None = None,
    optimizer_options: dict[str, Any] | None = None,
    trainer: Trainer | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    checkpoint_every: int = 1,
    checkpoint_every_batches: int | None = None,
    resume: bool = False,
    classification: bool | None = None,
) -> History:
    """Train ``network`` on ``(X, y)`` by back-propagation; returns the :class:`History`.

    Parameters
    ----------
    network : Network
        Trained in place.
    X : array-like or memmap of shape (N, n_in)
        Rows are examples.  Never copied whole: batches are gathered as needed.
    y : array-like of shape (N, n_out)
        Targets (one-hot rows for cross-entropy).
    epochs : int
        Passes over the training examples (iterations for L-BFGS).
    optimizer : {'gd', 'sgd', 'adam', 'lbfgs'} or Optimizer
        'gd' is the seed's step θ ← θ − η ∂C/∂θ.
    learning_rate : float, optional
        η; the optimiser's default when omitted.
    batch_size : int or None
        Examples per step; None (or ≥ N) for full-batch gradient descent.
    shuffle : bool
        Reshuffle the examples every epoch (seeded by ``random_state``).
    random_state : int or Generator
        Seed of shuffling and of the validation split.
    validation_split : float
        Fraction of examples held out for validation (ignored with ``validation_data``).
    validation_data : (X_val, y_val), optional
        Explicit validation set.
    early_stopping : bool
        Stop when the validation cost (the training cost without validation) has not
        improved by ``tol`` for ``patience`` epochs; with ``restore_best`` the best
        weights are put back.
    l2 : float
        L2 penalty α: the cost gains ``(α / 2N) Σ W²`` (weights only), as in scikit-learn.
    schedule : {'constant', 'invscaling', 'adaptive'} or LRSchedule
        How η changes during training (see :func:`chainrule.optim.get_schedule`).
    callbacks : sequence of callables
        Called with an :class:`EpochInfo` after every epoch; returning True stops training.
    batch_callback : callable ``(epoch, batch, n_batches)``, optional
        Called after every step (for progress bars).
    checkpoint : path, optional
        Save the run's whole state there (see :mod:`chainrule.train.checkpoint`),
        atomically, keeping the previous checkpoint as ``PATH.prev``.  Not
        available with ``optimizer='lbfgs'``.  An existing file that is not a
        chainrule checkpoint is never overwritten.
    checkpoint_every : int
        Save every this many epochs (the last epoch is always saved).
    checkpoint_every_batches : int, optional
        Also save every this many steps (for long epochs).
    resume : bool
        Continue from ``checkpoint`` if it exists (falling back to ``PATH.prev``,
        with a :class:`~chainrule.train.checkpoint.CheckpointWarning`, when the newest
        file is damaged); without a checkpoint the run starts afresh.  The
        network's parameters are overwritten with the saved ones; ``epochs``
        counts the epochs already done.  The result is bit-identical to a run
        that was never interrupted.
    classification : bool, optional
        Count accuracy (history and validation); by default only for
        cross-entropy networks, so pass True for a squared-error network
        trained on one-hot classes.

    Raises
    ------
    DivergenceError
        If the cost or a weight becomes non-finite; the network goes back to the
        last weights whose cost was seen to be finite (an epoch end, or the
        start) and the message names the epoch, the batch and those weights.
    ConfigError
        With ``resume``, if the checkpoint was written for another architecture,
        other data or other training options (``epochs`` may differ).
    CheckpointError
        If a checkpoint cannot be written (disk full, ...) or, with ``resume``,
        neither it nor the previous one can be read.
    KeyboardInterrupt
        On Ctrl-C, after the current batch, with the network holding that
        batch's weights and, with ``checkpoint``, that state saved.  A second
        Ctrl-C interrupts at once and saves nothing (the files on disk stay
        complete).
    """
    n_epochs = _positive_int(epochs, "epochs")
    assert n_epochs is not None
    X_arr, Y_arr = _as_arrays(network, X, y)
    t = trainer or Trainer(network, optimizer=optimizer, learning_rate=learning_rate,
                           batch_size=batch_size, shuffle=shuffle, random_state=random_state,
                           l2=l2, schedule=schedule, early_stopping=early_stopping,
                           patience=patience, tol=tol, restore_best=restore_best,
                           optimizer_options=optimizer_options, classification=classification)
    validation = None
    if validation_data is not None:
        validation = (*_as_arrays(network, *validation_data), None)
    saver = None
    if resume is not False and checkpoint is None:
        raise ConfigError("resume: needs checkpoint=PATH, the checkpoint to resume from")
    if checkpoint is not None:
        saver = _checkpointer(t, checkpoint, checkpoint_every, checkpoint_every_batches,
                              resume, X_arr, Y_arr, validation, validation_split, random_state)
        if saver.every_batches is not None:
            batch_callback = _then(batch_callback, saver.on_batch_end)
    if validation is None:
        t.split(X_arr.shape[0], validation_split)  # kept as it is when resumed
        if t.val_indices is not None:  # evaluated in place, in chunks: memmaps stay on disk
            validation = (X_arr, Y_arr, t.val_indices)
    if t.lbfgs:
        return t.run_lbfgs(X_arr, Y_arr, n_epochs, callbacks=callbacks,
                           indices=t.train_indices, validation=validation)
    try:
        return t.run(X_arr, Y_arr, n_epochs, validation=validation, callbacks=callbacks,
                     batch_callback=batch_callback)
    except KeyboardInterrupt:
        if saver is not None and t.interrupted:
            try:
                saver.save()  # the last completed batch
            except KeyboardInterrupt:
                t.interrupted = False  # a second Ctrl-C stopped the save: it stops at once
                raise
        raise
    finally:
        t.on_epoch_end = None


def _checkpointer(t: Trainer, path: str | os.PathLike[str], every: object,
                  every_batches: object, resume: object, X: Array, Y: Array,
                  validation: tuple[Array, Array, Array | None] | None,
                  validation_split: float, random_state: object) -> Checkpointer:
    """Check the checkpoint options, resume if asked, and hook the saver into ``t``."""
    if not isinstance(path, str | os.PathLike):
        raise ConfigError(f"checkpoint: expected a file path, got {path!r}")
    if not isinstance(resume, bool):
        raise ConfigError(f"resume: expected True or False, got {resume!r}")
    every_n = _positive_int(every, "checkpoint_every")
    assert every_n is not None
    every_b = _positive_int(every_batches, "checkpoint_every_batches", allow_none=True)
    net_cfg = network_config(t.network)
    train_cfg = training_config(t, validation_split=validation_split,
                                random_state=random_state)
    data = data_summary(X, Y, None if validation is None else validation[:2])
    path = Path(path)
    if resume:
        with warnings.catch_warnings(record=True) as fell_back:
            warnings.simplefilter("always", CheckpointWarning)
            ck = load_latest_checkpoint(path)
        said = "; ".join(str(w.message) for w in fell_back)
        if ck is not None:
            check_compatible(ck, net_cfg, train_cfg, data)
            t.load_state_dict(ck.state)
            if ck.path != path and path.is_file():
                # Resumed from PATH.prev because PATH is damaged: set PATH aside, or the next
                # save would make the damaged file PATH.prev in place of the good one.
                aside = path.with_name(path.name + ".damaged")
                try:
                    os.replace(path, aside)
                    said += f"; the damaged file was kept as {aside}"
                except OSError as exc:
                    said += (f"; the damaged file could not be set aside as {aside} "
                             f"({exc.strerror or exc}): the next save makes it {path}.prev")
        if said:  # one warning, naming what was damaged, what is used and what was done
            warnings.warn(said, CheckpointWarning, stacklevel=3)
    else:
        for p in (path, previous_path(path)):
            if p.is_file() and not looks_like_checkpoint(p):
                raise ConfigError(f"checkpoint: {p} exists and is not a chainrule checkpoint; "
                                  "refusing to overwrite it (choose another path)")
    saver = Checkpointer(path, t, training=train_cfg, data=data, every=every_n,
                         every_batches=every_b)
    t.on_epoch_end = saver.on_epoch_end
    return saver


def _then(first: Callable[[int, int, int], None] | None,
          second: Callable[[], None]) -> Callable[[int, int, int], None]:
    """A batch callback that calls ``first`` (if any), then ``second``."""
    def both(epoch: int, batch: int, n_batches: int) -> None:
        if first is not None:
            first(epoch, batch, n_batches)
        second()
    return both
