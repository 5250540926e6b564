"""The training engine: the state of a run and the epochs that advance it.

One :class:`Trainer` trains one network with any solver of the registry
(:mod:`chainrule.optim.solvers`):

* a step solver (gradient descent, SGD, Adam) takes a step per mini-batch: the forward
  pass, ``∂C/∂θ`` of the batch's (weighted) mean cost plus the L2 term ``(α/m) W``, then
  ``θ ← θ − η ∂C/∂θ`` for gradient descent, the exercise's "vary the weight and bias";
* a full-batch solver (L-BFGS) minimises ``C(θ) + P(θ)`` over the training set, one
  iteration counting as an epoch.

Everything around the steps happens here, once for every solver and every face
(:func:`~chainrule.train.fit`, the command line, the scikit-learn estimators): the L2
penalty, learning-rate schedules, early stopping, divergence and its rollback, the
history, progress callbacks and the checkpoint hook.  At the end of each epoch, in
this order: the history gets its row (the cost ``C + P`` of the weights each batch was
evaluated at, as scikit-learn's ``loss_`` counts it), early stopping notes the watched
score, the schedule acts, a stalled score lowers ``η`` or stops the run, the
callbacks are told, and the checkpoint hook runs.

Runs are deterministic: the same ``random_state`` gives bit-identical weights.  The
whole state (position, generator, optimiser moments, history, best weights) is
:meth:`Trainer.state_dict`, plain data that :mod:`chainrule.train.checkpoint` writes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError, ShapeError
from ..nn.network import Network
from ..optim.checks import check_bool, check_int, check_real
from ..optim.optimizers import Solver
from ..optim.penalty import L2Penalty
from ..optim.schedules import LRSchedule, get_schedule
from ..optim.solvers import SOLVERS, make_solver
from ..utils.namespace import assign, to_numpy
from ..utils.validation import as_generator
from .batches import ArrayRows, RowReader, is_classifier
from .device_rows import DeviceRows
from .divergence import DivergenceGuard
from .history import EpochInfo, History
from .interrupts import deferred_interrupt
from .stopping import EarlyStopping

__all__ = ["Trainer", "training_config"]

Array = np.ndarray
Callback = Callable[[EpochInfo], bool | None]
# X, Y, the rows (None: all) and the sample weights of X's rows (None: every weight 1);
# or a data source (see ArrayRows), None, the rows and None
Validation = tuple[Any, Array | None, Array | None, Array | None]


class Trainer:
    """Training of one network: the state of a run and the steps that advance it.

    Most users call :func:`~chainrule.train.fit`; the class exists so that the whole
    state can be saved and restored (:meth:`state_dict`, :meth:`load_state_dict`) and
    so that faces can hand it their own parts.  Parameters are those of ``fit``, and:

    Parameters
    ----------
    stopping : EarlyStopping, optional
        Early stopping's state and rule; by default built from ``early_stopping``,
        ``patience``, ``tol`` and ``restore_best`` (chainrule's rule).
    monitor : callable ``EpochInfo -> float``, optional
        The score early stopping watches (lower is better); by default the
        validation cost, else the training cost.
    """

    def __init__(
        self,
        network: Network,
        *,
        optimizer: str | Solver = "adam",
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
        stopping: EarlyStopping | None = None,
        monitor: Callable[[EpochInfo], float] | None = None,
    ):
        self.network = network
        self.optimizer = make_solver(optimizer, learning_rate, **(optimizer_options or {}))
        lr0 = self.optimizer.learning_rate if self.optimizer.has_learning_rate else 1.0
        self.schedule = schedule if isinstance(schedule, LRSchedule) else get_schedule(schedule,
                                                                                       lr0)
        self.batch_size = None if batch_size is None else check_int(batch_size, "batch_size")
        self.shuffle = bool(shuffle)
        self.l2 = check_real(l2, "l2", 0.0)
        self.penalty = L2Penalty(self.l2, _weight_mask(network)) if self.l2 > 0 else None
        self.restore_best = check_bool(restore_best, "restore_best")
        self.stopping = stopping if stopping is not None else EarlyStopping(
            tol, patience, stop=bool(early_stopping),
            restore_best=bool(early_stopping) and self.restore_best)
        self.tol = self.stopping.tol  # also L-BFGS's gradient tolerance
        self.monitor = monitor
        # accuracy is counted for classifiers: cross-entropy networks unless told otherwise
        # (a squared-error network trained on one-hot classes is one too)
        self.classification = is_classifier(network) if classification is None \
            else bool(classification)
        self.rng = as_generator(random_state)
        self.history = History()
        # the position: epochs completed, and inside the current epoch
        self.epoch = 0
        self.batch = 0
        self.perm: Array | None = None
        self.epoch_cost_sum = 0.0  # Σ_k C_k over the epoch's batches so far
        self.epoch_penalty_sum = 0.0  # Σ_batches m P(θ_batch), P of the weights before the step
        self.epoch_correct = 0
        self.epoch_seconds = 0.0
        # a device's steps whose cost is not yet read: (k, C, P, Σ s, correct, m), read
        # together at the epoch's end (reading each step's would wait for the device each step)
        self._unread: list[tuple[Any, ...]] = []
        self.val_indices: Array | None = None
        self.train_indices: Array | None = None
        self.in_step = False  # True while a step is under way (a second Ctrl-C may stop it)
        self.interrupted = False  # run() raised KeyboardInterrupt between steps, state whole
        self.steps_before_run = 0
        self.lbfgs_result: Any = None  # SciPy's OptimizeResult of the last full-batch run
        # Called at the end of every epoch with final=True on the last one (checkpoints).
        self.on_epoch_end: Callable[[bool], None] | None = None
        self.guard: DivergenceGuard | None = None
        self._rows: RowReader | None = None

    # -- options ---------------------------------------------------------------

    @property
    def early_stopping(self) -> bool:
        """Whether a stalled score stops training."""
        return self.stopping.stop

    @property
    def patience(self) -> int | float:
        """Epochs without improvement before the score has stalled."""
        return self.stopping.patience

    # -- state -------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue this run bit-identically, as plain data (copies)."""
        return {
            "params": to_numpy(self.network.params).copy(),
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict(),
            "rng": self.rng.bit_generator.state,
            "history": self.history.to_arrays(),
            "epoch": self.epoch,
            "batch": self.batch,
            "perm": None if self.perm is None else self.perm.copy(),
            "epoch_cost_sum": self.epoch_cost_sum,
            "epoch_penalty_sum": self.epoch_penalty_sum,
            "epoch_correct": self.epoch_correct,
            "epoch_seconds": self.epoch_seconds,
            **self.stopping.state_dict(),
            "val_indices": self.val_indices,
            "train_indices": self.train_indices,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict` (the network's shape must match)."""
        params = np.asarray(state["params"])
        if params.shape != self.network.params.shape:
            raise ShapeError(f"state: has {params.size} parameters, the network has "
                             f"{self.network.n_params}")
        assign(self.network.params, params)
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.rng.bit_generator.state = state["rng"]
        self.history = History.from_dict(dict(state["history"]))
        for key in ("epoch", "batch", "epoch_cost_sum", "epoch_correct", "epoch_seconds"):
            setattr(self, key, state[key])
        self.epoch_penalty_sum = state.get("epoch_penalty_sum", 0.0)
        self.stopping.load_state_dict(state, self.history.best_epoch)
        for key in ("perm", "val_indices", "train_indices"):
            val = state[key]
            setattr(self, key, None if val is None else np.array(val))

    def __getstate__(self) -> dict[str, Any]:
        # Between epochs the permutation (one index per example) is drawn afresh: not kept.
        state = dict(self.__dict__)
        if self.batch == 0:
            state["perm"] = None
        state["guard"], state["_rows"], state["_unread"] = None, None, []
        return state

    # -- the run ------------------------------------------------------------------

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

    def run(self, X: Any, Y: Array | None, epochs: int, *, sample_weight: Array | None = None,
            validation: Validation | None = None, callbacks: Sequence[Callback] = (),
            batch_callback: Callable[[int, int, int], None] | None = None) -> History:
        """Train until ``epochs`` epochs are complete (counting those already done).

        ``X`` and ``Y`` are validated arrays (as :func:`~chainrule.train.fit` makes them),
        ``sample_weight`` checked weights of X's rows
        (:func:`~chainrule.train.batches.as_weights`; None: every weight 1); or ``X`` is
        a data source and ``Y`` None (see :class:`~chainrule.train.batches.ArrayRows`);
        the training rows are ``train_indices`` (all when None).  Ctrl-C is held
        until the step (L-BFGS: the iteration) in flight ends; then the network keeps
        that step's weights and KeyboardInterrupt is raised with ``interrupted``
        True.  A second Ctrl-C interrupts at once.
        """
        self.interrupted = False
        self.steps_before_run = self.history.n_steps  # to tell whether this run took a step
        # Overflow is detected (and reported with its epoch and batch) by the guard, not
        # warned about.  The files of memory-mapped data stay open until the run ends.
        with RowReader() as rows, deferred_interrupt() as interrupted, \
                np.errstate(over="ignore", invalid="ignore"):
            self._rows = rows
            self.guard = DivergenceGuard(self.network.params, self.epoch)
            data = X if Y is None else ArrayRows(X, Y, rows, sample_weight)
            try:
                if self.optimizer.full_batch:
                    self._full_batch(data, epochs, validation, callbacks, interrupted)
                else:
                    self._epochs(data, epochs, validation, callbacks, batch_callback,
                                 interrupted)
            finally:
                self._rows = None
        return self.history

    def _epochs(self, data: Any, epochs: int, validation: Validation | None,
                callbacks: Sequence[Callback],
                batch_callback: Callable[[int, int, int], None] | None,
                interrupted: list[bool]) -> None:
        """The mini-batch loop: batches of rows from ``data``, steps, epoch ends."""
        net, guard = self.network, self.guard
        assert guard is not None
        base = np.arange(data.n_rows) if self.train_indices is None else self.train_indices
        n = base.size
        B = n if self.batch_size is None else min(self.batch_size, n)
        n_batches = -(-n // B)
        full_batch = B == n and self.train_indices is None
        # stopped_early: a resumed run that had already stopped stays stopped
        while self.epoch < epochs and not self.history.stopped_early:
            if self.batch == 0:
                self.perm = self.rng.permutation(base) if self.shuffle and not full_batch \
                    else base
                self.epoch_cost_sum = self.epoch_penalty_sum = self.epoch_seconds = 0.0
                self.epoch_correct = 0
            t0 = time.perf_counter()
            while self.batch < n_batches:
                k = self.batch
                sel = None if full_batch else self.perm[k * B:(k + 1) * B]
                self.in_step = True
                self._step(data, sel, k)
                self.in_step = False
                self.batch += 1
                self.history.n_steps += 1
                if batch_callback is not None:
                    batch_callback(self.epoch + 1, self.batch, n_batches)
                if interrupted[0]:
                    self.epoch_seconds += time.perf_counter() - t0
                    self._read_costs(data)
                    self.interrupted = True
                    raise KeyboardInterrupt
            self._read_costs(data)
            self.epoch_seconds += time.perf_counter() - t0
            problem = guard.weights_problem(
                net.params, (self.epoch_cost_sum + self.epoch_penalty_sum) / n)
            if problem is not None:
                raise self._diverged(f"{problem} in epoch {self.epoch + 1}", None)
            guard.epoch_end(net.params, self.epoch + 1)
            acc = self.epoch_correct / n if self.classification else None
            # the cost C + P, the penalty P, the accuracy, η and the time of the epoch
            if self._end_epoch(n, epochs, validation, callbacks,
                               (self.epoch_cost_sum + self.epoch_penalty_sum) / n,
                               self.epoch_penalty_sum / n, acc, self.optimizer.learning_rate,
                               self.epoch_seconds):
                break
        if self.stopping.restore_best:
            self.stopping.restore(net.params)
        if guard.pending_epoch is not None and not interrupted[0]:
            # no batch cost was computed at these weights: the first batch's, now
            self._check_final_cost(data, None if full_batch else base[:B])
        if interrupted[0]:  # Ctrl-C at the end of the last epoch: still an interrupt
            self.interrupted = True
            raise KeyboardInterrupt

    def _check_final_cost(self, data: Any, rows: Array | None) -> None:
        """Raise DivergenceError if the cost of a batch (its ``rows`` of ``data``; None:
        all) at the final weights is not finite."""
        cost = float(data.batch_terms(self.network, rows, count_correct=False,
                                      gradient=False)[0])
        if not self.guard.cost_ok(cost):  # type: ignore[union-attr]
            raise self._diverged(f"the cost at the weights training ended with (epoch "
                                 f"{self.epoch}) is not finite", None, epoch=self.epoch)

    def _step(self, data: Any, rows: Array | None, k: int) -> None:
        """One step on batch ``k`` (its ``rows`` of ``data``; None: all): ``C`` and
        ``∂C/∂θ`` of the batch (+ the L2 term), checks, update.  A batch whose weights
        are all 0 takes no step."""
        net = self.network
        cost, weight, correct, g = data.batch_terms(net, rows,
                                                    count_correct=self.classification)
        if g is None:
            return
        m = data.n_rows if rows is None else rows.size
        # C + (α/2m) Σ W² (m the batch's weight Σ s): ∂/∂W gains (α/m) W; the epoch's
        # cost counts P of these weights (those before the step) once per example, as
        # scikit-learn's loss_ does
        P = 0.0 if self.penalty is None else self.penalty.add_to(g, net.params, weight)
        if isinstance(data, DeviceRows):  # C, P, correct on the device: read at the epoch's end
            self._unread.append((k, cost, P, weight, correct, m))
        else:
            self._account(k, cost, P, weight, correct, m)
        self.optimizer.step(net.params, g)  # type: ignore[attr-defined]
        self.schedule.on_step(self.optimizer)  # type: ignore[arg-type]

    def _account(self, k: int, cost: float, P: float, weight: float, correct: int,
                 m: int) -> None:
        """Check batch ``k``'s cost ``C + m P`` and add it to the epoch's sums."""
        penalty = m * P
        self.epoch_penalty_sum += penalty
        # Only the cost is checked each step: a non-finite gradient makes the parameters
        # non-finite, which the next batch's cost or the end-of-epoch check reports, and
        # the guard then puts back the last good weights.
        guard = self.guard
        assert guard is not None
        if not guard.cost_ok(cost + penalty, m):
            raise self._diverged(f"the cost became non-finite in epoch {self.epoch + 1}, "
                                 f"batch {k}", k)
        if guard.pending_epoch is not None:  # the last epoch end's weights have a finite cost
            guard.confirm()
        self.epoch_correct += correct
        self.epoch_cost_sum += cost * (m / weight)  # the batch's mean cost, once per example

    def _read_costs(self, data: Any) -> None:
        """Account for a device's unread steps, in order, from one copy to the host.

        The steps after a non-finite cost were taken on the device, but the guard puts
        back the same good weights and the error names the same batch as a check at each
        step would (the position and step count are set back to that batch's).
        """
        unread, self._unread = self._unread, []
        if not unread:
            return
        n = len(unread)
        values = data.read([u[1] for u in unread] + [u[2] for u in unread]
                           + [u[4] for u in unread])  # C..., P..., correct...
        steps_after = self.history.n_steps
        batch_after = self.batch
        for i, (k, _, _, weight, _, m) in enumerate(unread):
            self.batch, self.history.n_steps = k, steps_after - n + i  # as before step k
            self._account(k, values[i], values[n + i], weight, int(values[2 * n + i]), m)
        self.batch, self.history.n_steps = batch_after, steps_after

    def _diverged(self, what: str, batch: int | None, *, epoch: int | None = None) -> Exception:
        """The DivergenceError to raise (the guard has put the good weights back)."""
        assert self.guard is not None
        rate = self.optimizer.learning_rate if self.optimizer.has_learning_rate else None
        return self.guard.diverged(self.network.params, what,
                                   epoch=self.epoch + 1 if epoch is None else epoch,
                                   batch=batch, learning_rate=rate)

    def _end_epoch(self, n: int, epochs: int, validation: Validation | None,
                   callbacks: Sequence[Callback], cost: float, penalty: float,
                   accuracy: float | None, learning_rate: float, seconds: float) -> bool:
        """The end of an epoch (an L-BFGS iteration); returns True to stop training.

        Records the row, lets early stopping note the watched score, lets the schedule
        act (a stalled score lowers ``η`` or, with early stopping, stops the run), tells
        the callbacks and runs the checkpoint hook.
        """
        h, stopping, opt = self.history, self.stopping, self.optimizer
        self.epoch += 1
        self.batch = 0
        val_cost = val_acc = None
        if validation is not None:
            val_cost, val_acc = self._validate(validation)
        h.record(self.epoch, cost, val_cost, accuracy, val_acc, learning_rate, seconds)
        info = None
        if callbacks or self.monitor is not None:
            info = EpochInfo(self.epoch, epochs, cost, val_cost, accuracy, val_acc,
                             learning_rate, seconds, n / seconds if seconds > 0 else math.inf,
                             h, penalty)
        if self.monitor is not None:
            score = float(self.monitor(info))  # type: ignore[arg-type]
        else:
            score = cost if val_cost is None else val_cost
        if stopping.update(self.epoch, score, self.network.params):
            h.best_epoch = self.epoch
        stop = False
        if opt.has_learning_rate:
            self.schedule(self.epoch, score, opt, n)  # type: ignore[arg-type]
        if stopping.bad_epochs >= stopping.patience:  # stalled
            if opt.has_learning_rate and self.schedule.on_plateau(opt):  # type: ignore[arg-type]
                stopping.restart()
            elif stopping.stop:
                h.stopped_early = stop = True
        if callbacks:
            # every callback sees every epoch
            stop = any([bool(cb(info)) for cb in callbacks]) or stop  # type: ignore[arg-type]
        if self.on_epoch_end is not None:
            self.on_epoch_end(stop or self.epoch >= epochs)
        return stop

    def _validate(self, validation: Validation) -> tuple[float, float | None]:
        """Validation cost and accuracy (None where not counted)."""
        Xv, Yv, idx, wv = validation  # validated by fit: not checked again every epoch
        assert self._rows is not None
        data = Xv if Yv is None else ArrayRows(Xv, Yv, self._rows, wv)
        total, correct = data.pass_terms(self.network, idx, count_correct=self.classification)
        n_val = data.n_rows if idx is None else idx.size
        return (total / data.weight_total(idx),
                correct / n_val if self.classification else None)

    def _full_batch(self, data: Any, epochs: int, validation: Validation | None,
                    callbacks: Sequence[Callback], interrupted: list[bool]) -> None:
        """A full-batch solver on ``C(θ) + P(θ)``, the gradient summed in chunks.

        Each iteration is an epoch of the history.  SciPy's result (status, message,
        counts) is kept as :attr:`lbfgs_result`.
        """
        net, guard = self.network, self.guard
        assert guard is not None
        if self.epoch >= epochs:
            return
        objective = _Objective(net, data, self.train_indices, self.penalty, self.classification)
        clock = [time.perf_counter()]

        def on_iteration(result: Any) -> bool:
            now = time.perf_counter()
            seconds, clock[0] = now - clock[0], now
            correct, penalty = objective.at_accepted_point()
            n = objective.n
            self.history.n_steps += 1
            acc = correct / n if self.classification else None
            stop = self._end_epoch(n, epochs, validation, callbacks, float(result.fun), penalty,
                                   acc, math.nan, seconds)
            if interrupted[0]:  # Ctrl-C during the iteration: stop with its weights
                self.interrupted, self.in_step = True, False
                raise KeyboardInterrupt
            return stop

        # SciPy's gtol must be > 0; tol=0 means "never stop on the gradient"
        gtol = self.tol or float(np.finfo(np.float64).tiny)
        self.in_step = True  # between iterations a second Ctrl-C would stop mid-evaluation
        self.lbfgs_result = self.optimizer.minimize(  # type: ignore[attr-defined]
            objective, net.params, max_iter=epochs - self.epoch, tol=gtol,
            callback=on_iteration)
        self.in_step = False
        if interrupted[0]:  # Ctrl-C after the last iteration (a failed line search, say)
            self.interrupted = True
            raise KeyboardInterrupt
        if not math.isfinite(float(self.lbfgs_result.fun)):
            # SciPy stops without an iteration when the cost at the start is not finite
            raise self._diverged(f"the cost became non-finite in iteration {self.epoch + 1}",
                                 None)
        if self.stopping.restore_best:
            self.stopping.restore(net.params)
        if not guard.weights_ok(net.params):
            raise self._diverged(f"{self.optimizer.label} produced non-finite weights "
                                 f"(iteration {self.epoch})", None, epoch=self.epoch)


class _Objective:
    """``θ ↦ (C(θ) + P(θ), ∂(C + P)/∂θ)`` over the training rows, for a full-batch solver.

    ``C`` is the (weighted) mean cost of the rows and ``P = (α / 2S) Σ W²`` with ``S``
    their number (the sum of their weights).  The solver writes each point it asks for
    into the network's parameters, which the objective evaluates; it remembers the last
    point with its count of correct rows and its penalty, which the accepted point
    (usually the last evaluated) reuses.
    """

    def __init__(self, network: Network, data: Any, indices: Array | None,
                 penalty: L2Penalty | None, count_correct: bool):
        self.network, self.data, self.indices = network, data, indices
        self.penalty, self.count_correct = penalty, count_correct
        self.n = data.n_rows if indices is None else indices.size
        self.weight = data.weight_total(indices)  # S: n without weights
        self.grad = np.empty(network.n_params, np.float64)  # SciPy works in float64
        self.last = np.full_like(network.params, np.nan)
        self.last_correct, self.last_penalty = 0, 0.0

    def __call__(self, theta: Array) -> tuple[float, Array]:
        # theta is the network's params, holding the point
        total, correct = self.data.pass_terms(self.network, self.indices,
                                              count_correct=self.count_correct, grad=self.grad)
        S = self.weight
        penalty = 0.0 if self.penalty is None else self.penalty.add_to(self.grad, theta, S)
        np.copyto(self.last, theta)
        self.last_correct, self.last_penalty = correct, penalty
        return total / S + penalty, self.grad

    def at_accepted_point(self) -> tuple[int, float]:
        """Correct rows and ``P`` at the network's params (the point the solver accepted)."""
        params = self.network.params
        if np.array_equal(self.last, params):
            return self.last_correct, self.last_penalty
        correct = self.data.pass_terms(self.network, self.indices,
                                       count_correct=True)[1] if self.count_correct else 0
        penalty = 0.0 if self.penalty is None else self.penalty.value(params, self.weight)
        return correct, penalty


def _weight_mask(network: Network) -> Array:
    """True on the weights of the flat parameter vector, False on the biases."""
    mask = np.zeros(network.n_params, bool)
    for w0, b0 in network.offsets():
        mask[w0:b0] = True  # weights only; biases are not penalised
    return mask


def training_config(trainer: Trainer, *, validation_split: float = 0.0,
                    random_state: object = None) -> dict[str, Any]:
    """The options that shape a run's steps; a checkpoint is resumed only with the same.

    ``random_state`` is recorded only when it is an integer seed.

    Raises
    ------
    ConfigError
        For a solver whose state cannot be checkpointed (L-BFGS).
    """
    opt, sched, stopping = trainer.optimizer, trainer.schedule, trainer.stopping
    if not opt.checkpointable:
        raise ConfigError(f"checkpoint: not supported with optimizer={opt.name!r} "
                          f"({opt.label}'s state lives inside SciPy and cannot be saved); "
                          "use one of " + ", ".join(repr(name) for name, cls in SOLVERS.items()
                                                    if cls.checkpointable))
    seed = int(random_state) if isinstance(random_state, int | np.integer) \
        and not isinstance(random_state, bool) else None
    return {
        "optimizer": opt.name,
        "learning_rate": float(opt.initial_learning_rate),  # type: ignore[attr-defined]
        "optimizer_options": {k: getattr(opt, k) for k in opt.hyperparameters},
        "schedule": sched.name,
        "schedule_options": sched.options(),
        "batch_size": trainer.batch_size,
        "shuffle": trainer.shuffle,
        "l2": trainer.l2,
        "early_stopping": stopping.stop,
        "patience": stopping.patience,
        "tol": stopping.tol,
        "restore_best": trainer.restore_best,
        "validation_split": float(validation_split),
        "random_state": seed,
    }
