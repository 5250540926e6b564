"""Training a network: :func:`fit`, the one entry point, and the checkpoint hook it sets up.

``fit`` checks the data and the options, builds a :class:`~chainrule.train.Trainer`
(the engine: :mod:`chainrule.train.trainer`), draws the validation split, resumes
from a checkpoint when asked, and runs.  Batches are gathered as needed, so ``X``
may be a memory-mapped ``.npy`` larger than RAM; with ``checkpoint=PATH`` the
run's whole state is written there (:mod:`chainrule.train.checkpoint`) every few
epochs and on Ctrl-C, and ``resume=True`` continues from it bit-identically.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from ..nn.network import Network
from ..optim.checks import check_bool, check_int
from ..utils.files import NotARegularFile, refuse_non_regular
from ..utils.namespace import (
    Namespace,
    array_namespace,
    as_2d_portable,
    as_data,
    host_kind,
    is_numpy,
    to_numpy,
)
from ..utils.validation import check_same_rows
from .batches import as_arrays, as_weights, evaluate, host_weights, is_row_source
from .checkpoint import (
    CheckpointError,
    CheckpointWarning,
    check_compatible,
    data_summary,
    load_latest_checkpoint,
    looks_like_checkpoint,
    network_config,
    previous_path,
    save_checkpoint,
)
from .device_rows import DeviceRows
from .history import EpochInfo, History
from .progress import ProgressBar
from .trainer import Callback, Trainer, Validation, training_config

__all__ = ["Checkpointer", "EpochInfo", "History", "Trainer", "evaluate", "fit"]

logger = logging.getLogger(__name__)


def fit(
    network: Network,
    X: object,
    y: object,
    *,
    epochs: int = 100,
    validation_split: float = 0.0,
    validation_data: tuple[object, ...] | None = None,
    sample_weight: object = None,
    callbacks: Sequence[Callback] = (),
    batch_callback: Callable[[int, int, int], None] | None = None,
    trainer: Trainer | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    checkpoint_every: int = 1,
    checkpoint_every_batches: int | None = None,
    resume: bool = False,
    verbose: bool | str = False,
    **options: Any,
) -> History:
    """Train ``network`` on ``(X, y)`` by back-propagation; returns the :class:`History`.

    Parameters
    ----------
    network : Network
        Trained in place, where X lives: moved (:meth:`Network.move_to
        <chainrule.nn.network.Network.move_to>`) to X's library and device, or back to
        NumPy for NumPy X, once every input is checked (a refused fit moves nothing).
    X : array-like or memmap of shape (N, n_in)
        Rows are examples.  Never copied whole: batches are gathered as needed.
        A PyTorch tensor trains on its device; one that records gradients is read as
        data (``X.detach()``, no copy); sparse, complex and ``meta`` tensors are refused.
        A memory-mapped X is read on the host: refused next to a network on a device.
    y : array-like of shape (N, n_out)
        Targets (one-hot rows for cross-entropy), of X's library and on its device.
    epochs : int
        Passes over the training examples (iterations for L-BFGS).
    validation_split : float, default 0
        Fraction of examples held out for validation (ignored with ``validation_data``).
    validation_data : (X_val, y_val) or (X_val, y_val, sample_weight_val), optional
        Explicit validation set, with the weights of its rows if they have any; it
        follows X (copied to X's library and device).
    sample_weight : array-like of shape (N,), optional
        A weight ``s_k ≥ 0`` per example (not all 0): every batch's cost is then the
        weighted mean ``Σ s_k C_k / Σ s_k`` (an integer weight counts as that many
        copies of the row), and the L2 term is divided by the batch's ``Σ s_k``, as
        scikit-learn's ``sample_weight`` does.  The history's epoch cost is, as
        scikit-learn's ``loss_``, the batches' means weighted by their sizes; the
        validation rows of ``validation_split`` keep their weights.  They follow X
        (summed on the host, applied on X's device).
    callbacks : sequence of callables
        Called with an :class:`EpochInfo` after every epoch; returning True stops training.
    batch_callback : callable ``(epoch, batch, n_batches)``, optional
        Called after every step (for progress bars).
    trainer : Trainer, optional
        A trainer to continue (its options are its own); by default one is built.
    **options
        The engine's options, for the :class:`Trainer` that is built.  A given
        ``trainer`` keeps its own: then only ``random_state`` is used, recorded in a
        checkpoint and compared when one is resumed.

        optimizer : {'gd', 'sgd', 'adam', 'lbfgs'} or Solver, default 'adam'
            A name of the registry (:mod:`chainrule.optim.solvers`) or a solver;
            'gd' is the exercise's step θ ← θ − η ∂C/∂θ.
        learning_rate : float, optional
            η; the optimiser's default when omitted (L-BFGS has none).
        batch_size : int or None, default 200
            Examples per step; None (or ≥ N) for full-batch gradient descent.
        shuffle : bool, default True
            Reshuffle the examples every epoch (seeded by ``random_state``).
        random_state : int or Generator, optional
            Seed of shuffling and of the validation split.
        l2 : float, default 0
            L2 penalty α: each batch's mean cost gains ``(α / 2m) Σ W²`` (weights
            only), as in scikit-learn; the history's cost counts it at the weights
            each batch was evaluated at (scikit-learn's ``loss_``).
        schedule : {'constant', 'invscaling', 'adaptive', ...} or LRSchedule
            How η changes during training (see :func:`chainrule.optim.get_schedule`).
        early_stopping : bool, default False
            Stop when the validation cost (the training cost without validation) has
            not improved by ``tol`` for ``patience`` epochs; with ``restore_best``
            (default True) the best weights are put back.
        patience : int, default 10
            Epochs without improvement before early stopping stops.
        tol : float, default 1e-4
            Also L-BFGS's gradient tolerance.
        restore_best : bool, default True
            Put the best weights back when early stopping stops.
        optimizer_options : dict, optional
            Further options of the optimiser (``momentum``, ``nesterov``, ``beta_1``, ...).
        classification : bool, optional
            Count accuracy (history and validation); by default only for
            cross-entropy networks, so pass True for a squared-error network
            trained on one-hot classes.
        stopping, monitor
            Early stopping's state and rule, and the score it watches (see
            :class:`Trainer`).
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
    verbose : bool or str, default False
        Show the progress (:class:`~chainrule.train.progress.ProgressBar`): True for a
        live bar in a terminal or a notebook (plain lines where there is neither), or
        one of its modes ('bar', 'notebook', 'lines'); False shows nothing.

    Raises
    ------
    DataError
        Naming ``y``: targets of another library or device than X's; naming ``X``: a
        memory-mapped X next to a network on a device.
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
    n_epochs = check_int(epochs, "epochs")
    _check_options(options)
    X_arr, Y_arr = _data(network, X, y, "X")
    on = X_arr.ns if isinstance(X_arr, DeviceRows) else None
    if Y_arr is not None or on is not None:  # weights follow X (to the host for NumPy X)
        sample_weight = _follow(sample_weight, on, "sample_weight")
    if isinstance(X_arr, DeviceRows) and sample_weight is not None:
        X_arr = X_arr.with_weights(as_weights(host_weights(sample_weight), X_arr.n_rows))
    elif Y_arr is None and sample_weight is not None:
        raise ConfigError(f"sample_weight: not taken with a data source "
                          f"({type(X_arr).__name__}); train on arrays to weight the rows")
    weights = None if Y_arr is None else as_weights(sample_weight, X_arr.shape[0])
    t = trainer or Trainer(network, **options)
    if isinstance(X_arr, DeviceRows) and t.optimizer.full_batch:
        raise ConfigError(f"optimizer: {t.optimizer.name!r} runs in SciPy on the host; X is "
                          f"{X_arr.ns.name} on {X_arr.ns.device}: train with 'adam', 'sgd' or "
                          "'gd' there, or move X and y to NumPy")
    random_state = options.get("random_state")
    validation = None if validation_data is None else _validation(network, validation_data,
                                                                   on)
    if Y_arr is not None or isinstance(X_arr, DeviceRows):  # every input checked: now move
        network.move_to(X_arr.X if isinstance(X_arr, DeviceRows) else None, name="X")
    saver = None
    if resume is not False and checkpoint is None:
        raise ConfigError("resume: needs checkpoint=PATH, the checkpoint to resume from")
    if checkpoint is not None:
        data = _summary(X_arr, Y_arr, weights, validation)
        saver = _checkpointer(t, checkpoint, checkpoint_every, checkpoint_every_batches,
                              resume, data, validation_split, random_state)
        if saver.every_batches is not None:
            batch_callback = _then(batch_callback, saver.on_batch_end)
    if validation is None:
        n = X_arr.n_rows if Y_arr is None else X_arr.shape[0]
        t.split(n, validation_split)  # kept as it is when resumed
        if t.val_indices is not None:  # evaluated in place, in chunks: memmaps stay on disk
            validation = (X_arr, Y_arr, t.val_indices, weights)
    bar = ProgressBar.for_verbose(verbose)
    if bar is not None:
        callbacks, batch_callback = [*callbacks, bar], bar.after(batch_callback)
    try:
        with bar if bar is not None else contextlib.nullcontext():
            return t.run(X_arr, Y_arr, n_epochs, sample_weight=weights, validation=validation,
                         callbacks=callbacks, batch_callback=batch_callback)
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


# the engine's options that fit passes on (every keyword of Trainer but the network)
TRAINER_OPTIONS = tuple(p for p in inspect.signature(Trainer).parameters if p != "network")


def _validation(network: Network, data: object, ns: Namespace | None) -> Validation:
    """``validation_data`` checked: ``(X_val, Y_val, None, weights or None)``, or
    ``(source, None, None, None)`` for a data source given as ``(source, None)``.

    Arrays follow the training rows, of the namespace ``ns`` (None: NumPy): moved
    explicitly to their library and device (:func:`_follow`)."""
    if not isinstance(data, tuple | list) or len(data) not in (2, 3):
        raise ConfigError("validation_data: expected (X_val, y_val) or (X_val, y_val, "
                          f"sample_weight_val), got {type(data).__name__}")
    name = "validation_data"
    if is_row_source(data[0]):
        Xv, Yv = _data(network, data[0], data[1], name)
    else:
        Xv, Yv = _data(network, _follow(data[0], ns, name), _follow(data[1], ns, name), name)
    if Yv is None:
        if len(data) == 3 and data[2] is not None:
            raise ConfigError("validation_data: sample weights are not taken with a data "
                              "source")
        return Xv, None, None, None
    weights = as_weights(host_weights(data[2], "validation_data's sample weights"), Xv.shape[0],
                         "validation_data's sample weights") \
        if len(data) == 3 else None
    return Xv, Yv, None, weights


def _data(network: Network, X: object, y: object, name: str) -> tuple[Any, Any]:
    """Validated arrays, or a data source as it is with None (see ``batches.ArrayRows``).

    Rows of another library are checked where they live (the network is moved there
    only once every input is checked: :func:`fit`); y must be of X's library and device.
    """
    if is_row_source(X):
        if y is not None:
            raise ConfigError(f"{name}: a data source holds its targets; give y=None")
        return X, None
    y_name = "y" if name == "X" else name
    if not is_numpy(X):  # another array library: the network trains where X lives
        X = as_data(X, name)
        ns = array_namespace(X, name=name)
        y = _follow(y, ns, y_name, X)
        X2, _ = as_2d_portable(X, name, network.n_inputs, network.dtype, ns)
        Y2, _ = as_2d_portable(y, y_name, network.n_outputs, network.dtype, ns)
        check_same_rows(X2, Y2)
        return DeviceRows(X2, Y2, ns), None
    y = _follow(y, None, y_name, X)
    if name == "X" and isinstance(X, np.memmap) and network.namespace is not None:
        ns = network.namespace
        raise DataError(f"{name}: a memory-mapped file, read on the host, but the network's "
                        f"parameters are {ns.name} arrays on {ns.device}: move them to NumPy "
                        "first (network.move_to(None)), or give X as a tensor")
    return as_arrays(network, X, y)


def _host_x(X: object) -> str:
    """X, read on the host, in words for a message."""
    if hasattr(X, "__dask_graph__"):
        return "a Dask array, read on the host"
    if isinstance(X, np.memmap):
        return "NumPy, a memory-mapped file read on the host"
    return "NumPy"


def _follow(a: object, ns: Namespace | None, name: str, X: object = None) -> object:
    """``a`` where the training rows are (the namespace ``ns``; None: NumPy).

    Targets (``X`` given) must be there already.  Sample weights and validation rows
    follow X: moved there explicitly (to X's device, or to the host for NumPy X).

    Raises
    ------
    DataError
        Naming ``name``: targets of another library or device than ``X``'s.
    """
    if a is None:
        return a
    a = as_data(a, name)
    there = None if is_numpy(a) else array_namespace(a, name=name)
    if there is None and ns is None:
        return a
    if there is not None and ns is not None and (there.name, str(there.device)) == \
            (ns.name, str(ns.device)):
        return a
    if X is None:
        return to_numpy(a) if ns is None else ns.asarray(to_numpy(a))
    given = f"{host_kind(a)} on the host" if there is None else \
        f"{there.name} arrays on {there.device}"
    if ns is None:
        raise DataError(f"{name}: {given}, but X is {_host_x(X)}: give {name} as a NumPy "
                        f"array (e.g. numpy.from_dlpack({name}) on the CPU), or X in "
                        f"{name}'s library")
    raise DataError(f"{name}: {given}, but X is {ns.name} arrays on {ns.device}: give "
                    f"{name} in X's library, on its device")


def _summary(X: Any, Y: Any, weights: Any, validation: Validation | None) -> dict[str, Any]:
    """:func:`data_summary` of the run's data: of arrays, or a data source's own
    ``summary()`` (the same fields, the same fingerprint for the same rows)."""
    data = X.summary() if Y is None else data_summary(X, Y, sample_weight=weights)
    if validation is not None:
        Xv, Yv, _, wv = validation
        val = Xv.summary() if Yv is None else data_summary(Xv, Yv, sample_weight=wv)
        data["validation"] = {"n_examples": val["n_examples"], "fingerprint": val["fingerprint"]}
    return data


def _check_options(options: dict[str, Any]) -> None:
    """Refuse options that are not the engine's, naming them."""
    for key in options:
        if key not in TRAINER_OPTIONS:
            raise ConfigError(f"{key}: not an option of fit; expected one of "
                              f"{', '.join(TRAINER_OPTIONS)} (or fit's own)")


class Checkpointer:
    """Writes a run's checkpoints: every ``every`` epochs, every ``every_batches`` steps.

    The hook :func:`fit` hands the trainer; the final epoch is always saved.
    """

    def __init__(self, path: str | os.PathLike[str], trainer: Trainer, *,
                 training: dict[str, Any], data: dict[str, Any], every: int = 1,
                 every_batches: int | None = None):
        self.path = Path(path)
        self.trainer = trainer
        self.network = network_config(trainer.network)
        self.training, self.data = training, data
        self.every, self.every_batches = every, every_batches

    def save(self) -> None:
        t = self.trainer
        save_checkpoint(self.path, t.state_dict(), network=self.network,
                        training=self.training, data=self.data)
        logger.debug("checkpoint %s: epoch %d, batch %d", self.path, t.epoch, t.batch)

    def on_epoch_end(self, final: bool) -> None:
        if final or self.trainer.epoch % self.every == 0:
            self.save()

    def on_batch_end(self) -> None:
        if self.every_batches is not None and \
                self.trainer.history.n_steps % self.every_batches == 0:
            self.save()


def _checkpointer(t: Trainer, path: str | os.PathLike[str], every: object,
                  every_batches: object, resume: object, data: dict[str, Any],
                  validation_split: float, random_state: object) -> Checkpointer:
    """Check the checkpoint options, resume if asked, and hook the saver into ``t``.

    ``data`` is the :func:`data_summary` of the run's data, which a resumed run must match.
    """
    if not isinstance(path, str | os.PathLike):
        raise ConfigError(f"checkpoint: expected a file path, got {path!r}")
    check_bool(resume, "resume")
    every_n = check_int(every, "checkpoint_every")
    every_b = None if every_batches is None else check_int(every_batches,
                                                            "checkpoint_every_batches")
    net_cfg = network_config(t.network)
    train_cfg = training_config(t, validation_split=validation_split,
                                random_state=random_state)
    path = Path(path)
    try:  # a link, a FIFO or a device would be replaced by the first save: say so now
        refuse_non_regular(path)
    except NotARegularFile as exc:
        raise CheckpointError(f"{path}: cannot write checkpoint: {exc.strerror}") from None
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
