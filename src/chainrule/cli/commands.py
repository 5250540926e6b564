"""The ``chainrule`` command: a thin face over the library.

Each command is a few library calls::

    chainrule train      datasets.load_dataset / load_data → Network → training.fit → io.save_model
    chainrule predict    io.load_model → the stored preprocessing → Network.predict
    chainrule evaluate   io.load_model → the stored preprocessing → training.evaluate
    chainrule info       io.read_model_info (the weights are not read)
    chainrule datasets   datasets.describe_datasets
    chainrule landscape  landscape.cost_surface + descent_path → plotting.plot_landscape
    chainrule explain    explain.explain → Ledger.render / to_latex / to_dict
    chainrule export     io.load_model → interop.to_onnx
    chainrule tour       tour.run_tour

Streams and exit codes: standard output carries results only (the final cost,
predictions, tables, ``--json`` documents); progress, notes and errors go to
standard error.  An error is one line, ``error: ...`` (``--debug`` adds the
traceback).  Exit codes: 0 success, 1 a failed run (training diverged), 2 bad
usage or input, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).  An
interrupted ``train`` saves the weights of the last completed batch, a diverged
one the last weights whose cost was finite, atomically, and says where; a second
Ctrl-C stops at once and saves nothing more.
"""

from __future__ import annotations

import contextlib
import csv
import enum
import errno
import io
import json
import math
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import numpy as np
import typer
from typer.core import TyperGroup

from ..errors import ChainruleError, ConfigError, DataError, DivergenceError, ShapeError
from ..nn.network import Network
from ..utils.files import atomic_write, os_error_reason
from ..utils.validation import BLOCK_BYTES
from ..utils.version import __version__

if TYPE_CHECKING:
    from rich.console import Console

    from ..data.datasets import Dataset
    from ..io.model_file import ModelInfo
    from ..train.loop import EpochInfo, History

__all__ = ["app", "main"]

Array = np.ndarray

# Exit codes (see the module docstring).
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM

# With no terminal, training prints at most about this many progress lines.
PLAIN_LINES = 20
# ... and one at least this often (seconds) when epochs are slow.
PLAIN_SECONDS = 10.0
# A live bar is redrawn at most this often (seconds); updating it costs more than an epoch.
BAR_INTERVAL = 0.05
# A regression target with at most this many distinct integer values is taken for class labels.
MAX_AUTO_CLASSES = 20


# ---------------------------------------------------------------------------
# Errors: one line on stderr, an exit code, a traceback only with --debug
# ---------------------------------------------------------------------------


class _Stop(Exception):
    """End the command with ``message`` on stderr and exit ``code``."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _say(text: str) -> None:
    """A note for the person watching (stderr)."""
    typer.echo(text, err=True)


_RESOURCE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO}


def _exit_code(exc: BaseException) -> int:
    """2 for bad input or usage, 1 for a run that failed (diverged, the disk filled up, a bug)."""
    cause: BaseException | None = exc
    while cause is not None:  # a full disk is no fault of the input, whatever wraps it
        if isinstance(cause, OSError) and cause.errno in _RESOURCE_ERRNOS:
            return EXIT_FAILED
        cause = cause.__cause__
    # chainrule's ValueErrors name a bad option, file or value, except DivergenceError (a
    # ValueError as scikit-learn's is, but a failed run); any other exception is a bug
    bad_input = isinstance(exc, OSError) or (isinstance(exc, ChainruleError)
                                             and isinstance(exc, ValueError)
                                             and not isinstance(exc, DivergenceError))
    return EXIT_USAGE if bad_input else EXIT_FAILED


def _error_text(exc: Exception) -> str:
    """What follows ``error:``."""
    if isinstance(exc, ChainruleError | ImportError):  # ImportError: onnx or torch is missing
        return _one_line(exc)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    return (f"unexpected {type(exc).__name__}: {_one_line(exc)} "
            "(run again with --debug for the traceback)")


class _Signals:
    """Route SIGTERM into the Ctrl-C path, and remember that it came.

    SIGTERM calls whatever SIGINT handler is installed: Python's own (raise
    KeyboardInterrupt, so clean-up runs) while data is read or written, and during
    :func:`fit` the library's, which holds it until the current batch is done: the
    same graceful stop, with exit code 143 instead of 130.
    """

    def __init__(self) -> None:
        self.terminated = False
        self._previous: Any = None

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self.terminated = True
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):
            handler(signal.SIGINT, frame)
        else:  # SIGINT ignored or default: stop here
            raise KeyboardInterrupt

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)

    @property
    def exit_code(self) -> int:
        return EXIT_TERMINATED if self.terminated else EXIT_INTERRUPTED


@contextlib.contextmanager
def _reporting(debug: bool) -> Iterator[_Signals]:
    """Turn every exception of a command into ``error: ...`` and its exit code.

    The whole command runs with SIGTERM routed into the Ctrl-C path (:class:`_Signals`,
    yielded), so a terminated command cleans up as an interrupted one does and exits
    143; the output folders it made and left empty are removed when it ends.
    """
    _created_folders.clear()
    try:
        with _Signals() as signals:
            try:
                yield signals
            except KeyboardInterrupt:
                if debug:
                    traceback.print_exc(file=sys.stderr)
                _say(f"error: {'terminated' if signals.terminated else 'interrupted'}")
                raise typer.Exit(signals.exit_code) from None
    except typer.Exit:
        raise
    except _Stop as stop:
        if debug and stop.__cause__ is not None:
            traceback.print_exception(stop.__cause__, file=sys.stderr)
        _say(f"error: {_one_line(stop)}")
        raise typer.Exit(stop.code) from None
    except Exception as exc:
        if debug:
            traceback.print_exc(file=sys.stderr)
        _say(f"error: {_error_text(exc)}")
        raise typer.Exit(_exit_code(exc)) from None
    finally:
        _remove_empty_folders()


class _Group(TyperGroup):
    """Typer's group, with usage errors as one ``error:`` line (exit 2) instead of a panel."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        try:
            rv = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                              standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
        except typer.TyperException as exc:  # click's ClickException family
            ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
                typer.echo(ctx.get_help())  # bare `chainrule`: help, not an error
                code = 0
            else:
                hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
                _say(f"error: {_one_line(exc.format_message())}{hint}")
                code = getattr(exc, "exit_code", EXIT_USAGE)
        except typer.Abort:
            _say("error: aborted")
            code = EXIT_FAILED
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    name="chainrule",
    cls=_Group,
    help="Train feed-forward networks by back-propagation, with every chain-rule factor in view.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    return int(app(args=None if argv is None else list(argv), prog_name="chainrule",
                   standalone_mode=False))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"chainrule {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Train feed-forward networks by back-propagation, with every chain-rule factor in view.

    `chainrule train` with no arguments trains the course's 1-6-7-2 network on the heart curve.
    """


Debug = Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print a JSON document on stdout.")]


# ---------------------------------------------------------------------------
# Small parsers for option values
# ---------------------------------------------------------------------------


def _numbers(text: str, option: str, count: int | None = None) -> list[float]:
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


def _hidden_sizes(text: str) -> tuple[int, ...]:
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


def _batch_size(text: str) -> int | None:
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


def _positive(value: float, option: str) -> float:
    """A finite number > 0 (a learning rate), or ConfigError naming ``option``."""
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"{option}: expected a positive number, got {value!r}")
    return value


def _known_name(name: str, option: str, lookup: Callable[[str], object]) -> str:
    """``name`` if the library's ``lookup`` knows it; else its error, naming ``option``."""
    try:
        lookup(name)
    except ConfigError as exc:
        reason = str(exc).split(": ", 1)[-1]  # drop the library's argument name
        raise ConfigError(f"{option}: {reason}") from None
    return name


def _plain(value: object) -> Any:
    """JSON-ready: NaN and infinities become None, NumPy scalars Python numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json_ready(value: object) -> Any:
    """``value`` with every NaN or infinity, however deep, as None (strict JSON has neither)."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_ready(value.tolist())
    return _plain(value)


def _label(value: object) -> Any:
    """A class label for JSON: 1.0 → 1 (CSV labels are read as floats)."""
    v = _plain(value)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


# ---------------------------------------------------------------------------
# Files: atomic writes, folders checked before the work starts
# ---------------------------------------------------------------------------


def _check_writable(path: Path, what: str) -> None:
    """Refuse, before any work, an output path that cannot be written.

    Nothing is created: the folders missing on the way are made only when the
    output is written.  A temporary file (unnamed where the system allows it) is
    made and removed in the nearest folder that exists: that is the only test that
    also catches read-only file systems and privileged users.
    """
    if path.is_dir():
        raise ConfigError(f"{what}: {path} is a folder; expected a file name")
    folder = path.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{what}: cannot create folder '{folder}': '{existing}' is a file, "
                          "not a folder")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        reason = exc.strerror or exc
        if existing == folder:
            raise ConfigError(f"{what}: cannot write to folder '{folder}' ({reason})") from None
        raise ConfigError(f"{what}: cannot create folder '{folder}' in '{existing}' "
                          f"({reason})") from None


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (through links too, once they exist)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return a.resolve() == b.resolve()


def _check_not_an_input(path: Path, option: str,
                        inputs: Sequence[tuple[Path | None, str]]) -> None:
    """Refuse an output that names one of the command's inputs: writing would destroy it."""
    for other, what in inputs:
        if other is not None and _same_file(path, other):
            raise ConfigError(f"{option}: {path} is {what}; writing there would overwrite "
                              f"it (choose another file name)")


def _stopped_outside_a_step(status: str, out: Path, checkpoint: Path | None,
                            in_step: bool, stepped: bool) -> str:
    """The message for a stop the library did not make graceful: a second Ctrl-C in the
    middle of a step or between steps (e.g. while the interrupt checkpoint was written),
    or a Ctrl-C before training started."""
    if in_step:
        where = "at once, in the middle of a step: the model was not saved"
    elif stepped:
        where = "at once by a second signal, between steps: nothing more was saved"
    else:
        where = "before training started: nothing was saved"
    left = f"{out} was left as it was" if out.exists() else f"nothing was written to {out}"
    text = f"{status} {where} ({left})"
    if checkpoint is not None and _checkpoint_written(checkpoint):
        text += (f"; the last checkpoint written is kept: continue with --checkpoint "
                 f"{checkpoint} --resume")
    return text


def _checkpoint_written(checkpoint: Path) -> bool:
    """Whether a run can resume from ``checkpoint`` (it, or its previous file, exists)."""
    return checkpoint.exists() or _checkpoint_previous(checkpoint).exists()


def _note_target_scale(Y: Array, names: Sequence[str], lbfgs: bool = False) -> None:
    """A note when a regression target is far from mean 0 and scale 1.

    Targets are used as they are (predictions come out in their units), and a
    network starting near 0 moves slowly towards an offset of 100 or a scale of
    1000 at the default learning rate: say so, before minutes are spent.  The
    deviation is the true one (0 for a constant column, which the Standardizer
    stores as scale 1); L-BFGS has no learning rate to raise.
    """
    from ..data.datasets import Standardizer

    stats = Standardizer().fit(Y)
    constant = _constant_columns(Y) if (stats.scale_ == 1.0).any() else np.zeros(0, bool)
    for j, (mean, scale) in enumerate(zip(stats.mean_, stats.scale_)):
        if abs(mean) > 3 * scale + 3 or scale > 30:
            name = names[j] if j < len(names) else f"column {j}"
            deviation = 0.0 if constant.size and constant[j] else scale
            more = "more --epochs" if lbfgs else "more --epochs, a larger --lr"
            _say(f"note: the target {name!r} has mean {mean:.4g} and standard deviation "
                 f"{deviation:.4g}; a network starting near 0 reaches such values slowly: "
                 "consider subtracting the mean and dividing by the deviation first (or "
                 f"{more})")


def _constant_columns(Y: Array) -> Array:
    """Which columns of ``Y`` hold one value only (read block by block)."""
    from ..utils.validation import row_blocks

    lo, hi = np.full(Y.shape[1], np.inf), np.full(Y.shape[1], -np.inf)
    for _, block in row_blocks(Y, _block_rows(Y), "y"):
        lo = np.minimum(lo, block.min(axis=0))
        hi = np.maximum(hi, block.max(axis=0))
    return lo == hi


def _checkpoint_previous(checkpoint: Path) -> Path:
    from ..train.checkpoint import previous_path

    return previous_path(checkpoint)


# The folders the running command made for its outputs, outermost first (see _reporting).
_created_folders: list[Path] = []


def _make_folder(folder: Path, what: str) -> None:
    """Create ``folder`` (and its parents) for an output, remembering what was made."""
    missing = []
    p = folder
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{what}: cannot create folder '{folder}': "
                          f"{exc.strerror or exc}") from None
    _created_folders.extend(reversed(missing))


def _remove_empty_folders() -> None:
    """Remove the folders the command made that hold nothing (it failed before writing)."""
    while _created_folders:
        with contextlib.suppress(OSError):  # not empty: an output was written there
            _created_folders.pop().rmdir()


def _write_atomic(path: Path, write: Callable[[BinaryIO], None], what: str) -> None:
    """Write through a temporary file in the same folder, then ``os.replace``.

    A crash or Ctrl-C leaves either the old file or the new one, never part of one.
    """
    _make_folder(path.parent, what)
    try:
        atomic_write(path, write)
    except OSError as exc:
        raise ConfigError(f"{what}: cannot write {path}: "
                          f"{os_error_reason(exc, path.parent)}") from exc


# ---------------------------------------------------------------------------
# Data: built-in sets and files, targets encoded for the cost
# ---------------------------------------------------------------------------


class Task(str, enum.Enum):
    auto = "auto"
    regression = "regression"
    classification = "classification"


class DType(str, enum.Enum):
    float64 = "float64"
    float32 = "float32"


@dataclass
class _Data:
    """What train needs to know about its data, and what the model file remembers of it."""

    X: Array  # (N, n_in), raw (before standardisation)
    Y: Array  # (N, n_out), encoded for the cost (one-hot rows for classification)
    task: str
    source: str  # a dataset name or a file path, for messages
    dataset: str | None
    data_file: str | None
    description: str
    feature_names: list[str]
    target_names: list[str]  # regression outputs, or the label column(s) of a file
    classes: list[Any] | None = None  # label values, in output order
    class_names: list[str] | None = None


def _is_classification_cost(cost: str | None) -> bool:
    return cost in ("cross_entropy", "binary_cross_entropy")


def _encode_labels(labels: Array, classes: Sequence[Any] | None, cost: str | None,
                   src: str) -> tuple[Array, list[Any]]:
    """One-hot rows (one column for binary cross-entropy) and the classes in column order."""
    from ..data.datasets import csv_row_numbers, one_hot
    from ..utils.validation import read_into_memory

    labels = read_into_memory(labels, "y")  # a column of a .npy: not paged in through its map
    try:
        Y, found = one_hot(labels, classes=None if classes is None else np.asarray(classes))
    except DataError as exc:
        k = getattr(exc, "row", None)
        if k is None or classes is None:
            raise
        is_csv = src.lower().endswith(".csv") and Path(src).is_file()
        where = f"row {csv_row_numbers(src)[k]}" if is_csv else f"row {k} (counting from 0)"
        raise DataError(f"{src}: {where}: label {_label(exc.label)!r} is not one of the "
                        f"model's classes {[_label(c) for c in classes]}") from None
    if classes is None and found.size < 2:
        raise DataError(f"{src}: the target has only one class ({_label(found[0])!r}); "
                        "classification needs at least two")
    if cost == "binary_cross_entropy":
        if Y.shape[1] != 2:
            raise ConfigError(f"--cost: binary_cross_entropy needs exactly 2 classes, {src} has "
                              f"{Y.shape[1]}; use cross_entropy")
        Y = Y[:, 1:]  # y = 1 for the second class
    return Y, [_label(c) for c in found]


def _looks_like_labels(y: Array) -> bool:
    """One column of few distinct whole numbers: class labels rather than a quantity.

    Read block by block and stopped at the first fraction or once more than
    :data:`MAX_AUTO_CLASSES` values are seen, so a memory-mapped regression
    target is not read whole.
    """
    from ..utils.validation import row_blocks

    if y.ndim != 2 or y.shape[1] != 1:
        return False
    seen: set[float] = set()
    for _, block in row_blocks(y, _block_rows(y), "y"):
        col = np.asarray(block[:, 0], dtype=np.float64)
        if not np.array_equal(col, np.round(col)):
            return False
        seen.update(np.unique(col).tolist())
        if len(seen) > MAX_AUTO_CLASSES:
            return False
    return len(seen) >= 2


def _builtin(name: str, task: Task, cost: str | None) -> _Data:
    from ..data.datasets import load_dataset

    ds = load_dataset(name)
    if task is not Task.auto and task.value != ds.task:
        raise ConfigError(f"--task: dataset {ds.name!r} is a {ds.task} set, not {task.value}")
    data = _Data(ds.X, ds.y, ds.task, ds.name, ds.name, None, ds.description,
                 list(ds.feature_names), list(ds.target_names))
    if ds.task == "classification":
        assert ds.labels is not None
        # classes are the label values 0..K-1; their names are the dataset's target names
        data.Y, data.classes = _encode_labels(ds.labels, range(ds.n_outputs), cost, ds.name)
        data.class_names = list(ds.target_names)
        data.target_names = ["label"]
    return data


def _check_target_option(path: Path, target: str | None) -> None:
    """``--target`` for a .npy file: only ``last`` (a .npy has no column names)."""
    if path.suffix.lower() == ".npy" and target is not None and target != "last":
        raise ConfigError(f"--target: a .npy file has no column names; give 'last' (its last "
                          f"column is the target) or leave --target out, got {target!r}")


@contextlib.contextmanager
def _target_as_option() -> Iterator[None]:
    """The data loaders' ``target: ...`` errors, worded for ``--target``."""
    try:
        yield
    except ConfigError as exc:
        text = str(exc)
        if not text.startswith("target: "):
            raise
        raise ConfigError("--target: " + text.removeprefix("target: ")) from None
    except DataError as exc:  # "FILE: no column named 'nope' for the target; ..."
        if "for the target" not in str(exc) or str(exc).startswith("--target"):
            raise
        raise DataError(f"--target: {exc}") from None


def _split_target(target: str | None, suffix: str) -> str | list[str] | None:
    if target is None or suffix != ".csv":
        return target
    names = [t.strip() for t in target.split(",")]
    return names[0] if len(names) == 1 else names


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _csv_labels(path: Path, target: str | None, task: Task) -> tuple[Array, Array, list[str],
                                                                      list[str], bool]:
    """A CSV whose one target column may hold text class labels (``cat``, ``dog``).

    Returns ``X``, ``y`` and the names as :func:`load_csv` does, and whether the
    labels are text: ``y`` is then a 1-D array of str, otherwise float64 of shape
    (N, 1) exactly as the numeric loader gives it.  A column of numbers with a
    stray word stays an error (a typo in a numeric target) unless ``--task
    classification`` says the words are classes.
    """
    from ..data.datasets import csv_row_numbers, load_csv

    src = os.fspath(path)
    X, labels, fnames, tnames = load_csv(path, target=target, labels=True)
    assert labels is not None
    values = [_as_number(t) for t in labels.tolist()]
    is_number = [v is not None and math.isfinite(v) for v in values]
    if all(v is not None for v in values):  # no word: numbers (NaN and infinity refused)
        y = np.asarray(values, dtype=np.float64).reshape(-1, 1)  # (N, 1)
        bad = np.flatnonzero(~np.isfinite(y[:, 0]))
        if bad.size:
            k = int(bad[0])
            what = "NaN" if np.isnan(y[k, 0]) else "infinity"
            raise DataError(f"{src}: row {csv_row_numbers(path)[k]}, column {tnames[0]!r}: "
                            f"{what} is not allowed; every cell must be a finite number")
        return X, y, list(fnames), list(tnames), False
    if any(is_number) and task is not Task.classification:
        k = values.index(None)
        raise DataError(f"{src}: row {csv_row_numbers(path)[k]}, column {tnames[0]!r}: cannot "
                        f"read {str(labels[k])!r} as a number (for text class labels in a column "
                        "of numbers, pass --task classification)")
    # Words: the column holds text class labels.  'nan' among them is a missing label, refused
    # as an empty cell is; 'inf' is just a word.
    missing = [k for k, v in enumerate(values) if v is not None and math.isnan(v)]
    if missing:
        k = missing[0]
        raise DataError(f"{src}: row {csv_row_numbers(path)[k]}, column {tnames[0]!r}: "
                        f"{str(labels[k])!r} is a missing value (NaN), not a class label; "
                        "every row needs a label")
    return X, labels, list(fnames), list(tnames), True


def _from_file(path: Path, target: str | None, task: Task, cost: str | None) -> _Data:
    from ..data.datasets import load_data

    src = os.fspath(path)
    wanted = _split_target(target, path.suffix.lower())
    text_labels = False
    _check_target_option(path, target)
    with _target_as_option():
        if path.suffix.lower() == ".csv" and task is not Task.regression \
                and not isinstance(wanted, list):
            X, y, fnames, tnames, text_labels = _csv_labels(path, wanted, task)
        else:
            X, y, fnames_t, tnames_t = load_data(path, target=wanted)
            fnames, tnames = list(fnames_t), list(tnames_t)
    if y is None:
        raise DataError(f"{src}: has no target; for a .npy file pass --target last (the last "
                        "column), for a .npz file store an array 'y' or name it with --target")
    if task is Task.auto:
        if text_labels or _is_classification_cost(cost) \
                or (cost is None and _looks_like_labels(y)):
            task = Task.classification
        else:
            task = Task.regression
    data = _Data(X, y, task.value, src, None, src, f"{X.shape[0]} rows of {path.name}",
                 fnames, tnames)
    if task is Task.classification:
        if y.ndim == 2 and y.shape[1] != 1:
            raise ConfigError(f"--task: classification needs one label column, {src} has "
                              f"{y.shape[1]} target columns ({', '.join(tnames)})")
        data.Y, data.classes = _encode_labels(y, None, cost, src)
        data.class_names = [str(c) for c in data.classes]
    return data


# ---------------------------------------------------------------------------
# train: recipes
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipe:
    """The defaults of ``chainrule train`` for one kind of data; every field has an option."""

    hidden: tuple[int, ...]
    activation: str
    output_activation: str | None  # None: the Network's default for the cost
    cost: str
    optimizer: str
    learning_rate: float
    epochs: int
    batch_size: int | None  # None: full batch


RECIPES: dict[str, Recipe] = {
    # The course's network.  Full-batch Adam with η = 0.01: over the seeds 0-9, 20000 epochs
    # end between C = 0.00009 and 0.0012 (some hearts still miss a piece of a lobe), 30000
    # epochs between 0.00007 and 0.00022 (every heart whole), in 2-4 s on one core.  The
    # seed's plain gradient descent would need hundreds of thousands of epochs here.
    "heart": Recipe((6, 7), "logistic", None, "squared_error", "adam", 0.01, 30_000, None),
    # The seed's single tanh neuron, trained by the seed's own step θ ← θ − η ∂C/∂θ.
    "not_gate": Recipe((), "tanh", None, "squared_error", "gd", 0.5, 3000, None),
    "xor": Recipe((4,), "tanh", None, "squared_error", "gd", 0.5, 3000, None),
    "circle": Recipe((8,), "tanh", None, "cross_entropy", "adam", 0.01, 200, 32),
    "xor_blobs": Recipe((8,), "tanh", None, "cross_entropy", "adam", 0.01, 200, 32),
    "gaussians": Recipe((4,), "tanh", None, "cross_entropy", "adam", 0.01, 100, 32),
    "spiral": Recipe((16, 16), "tanh", None, "cross_entropy", "adam", 0.01, 500, 32),
    "digits": Recipe((100,), "relu", None, "cross_entropy", "adam", 1e-3, 60, 200),
}
# User files: standardised inputs, a modest hidden layer, mini-batch Adam.
FILE_REGRESSION = Recipe((16,), "tanh", "identity", "squared_error", "adam", 0.01, 200, 32)
FILE_CLASSIFICATION = Recipe((16,), "tanh", None, "cross_entropy", "adam", 0.01, 200, 32)


def _optimizer_name(name: str) -> str:
    """The optimisers `train` knows: those of chainrule.optim and L-BFGS (run by fit)."""
    from ..optim.optimizers import OPTIMIZERS

    known = [*OPTIMIZERS, "lbfgs"]
    if name.lower() not in (*known, "l-bfgs"):
        raise ConfigError(f"optimizer: expected one of {', '.join(known)}, got {name!r}")
    return name


def _check_validation(validation: float, n: int | None = None) -> None:
    """``--validation`` is a fraction in [0, 1) that leaves examples on both sides of ``n``."""
    if not (math.isfinite(validation) and 0 <= validation < 1):
        raise ConfigError(f"--validation: expected a fraction in [0, 1), e.g. 0.1, "
                          f"got {validation!r}")
    if n is None or validation == 0:
        return
    n_val = round(validation * n)  # as training.fit splits
    if not 1 <= n_val < n:
        raise ConfigError(f"--validation: {validation:g} of {n} examples leaves {n_val} for "
                          f"validation and {n - n_val} for training; each needs at least one")


def _option_changes(*, hidden: str | None, activation: str | None,
                    output_activation: str | None, cost: str | None, optimizer: str | None,
                    lr: float | None, epochs: int | None,
                    batch_size: str | None) -> dict[str, Any]:
    """The user's options as changes to a :class:`Recipe`, each checked and named by its flag.

    Called before any data is read, so a bad option fails at once.
    """
    from ..nn.activations import get_activation
    from ..nn.costs import get_cost

    changes: dict[str, Any] = {}
    if hidden is not None:
        changes["hidden"] = _hidden_sizes(hidden)
    if activation is not None:
        changes["activation"] = _known_name(activation, "--activation", get_activation)
    if cost is not None:
        changes["cost"] = _known_name(cost, "--cost", get_cost)
        # A new cost brings its own output layer unless one is named.
        changes["output_activation"] = None
    if output_activation is not None:
        changes["output_activation"] = _known_name(output_activation, "--output-activation",
                                                   get_activation)
    if optimizer is not None:
        changes["optimizer"] = _known_name(optimizer, "--optimizer", _optimizer_name)
    if lr is not None:
        changes["learning_rate"] = _positive(lr, "--lr")
    if epochs is not None:
        if epochs < 1:
            raise ConfigError(f"--epochs: expected at least 1, got {epochs}")
        changes["epochs"] = epochs
    if batch_size is not None:
        changes["batch_size"] = _batch_size(batch_size)
    return changes


def _recipe(data: _Data, changes: dict[str, Any]) -> Recipe:
    """The data's recipe with the user's options (:func:`_option_changes`) applied."""
    for_files = FILE_CLASSIFICATION if data.task == "classification" else FILE_REGRESSION
    base = RECIPES.get(data.dataset or "", for_files)  # a built-in set without a recipe too
    return replace(base, **changes)


# ---------------------------------------------------------------------------
# train: progress on stderr
# ---------------------------------------------------------------------------


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _Progress:
    """Training progress on stderr: a live rich bar on a terminal, plain lines otherwise.

    ``mode`` is ``'bar'``, ``'lines'`` or ``'quiet'``.  The bar shows the epoch, the
    cost, the validation cost, examples per second and the time left; plain mode prints
    the same as one line every ``every`` epochs (about :data:`PLAIN_LINES` in all).
    """

    def __init__(self, mode: str, n_epochs: int):
        self.mode = mode
        self.n_epochs = n_epochs
        self.every = max(1, math.ceil(n_epochs / PLAIN_LINES))
        self.history: History | None = None
        self.last: EpochInfo | None = None
        self._bar: Any = None
        self._task: Any = None
        self._shown = 0.0  # when the bar last took an epoch's numbers
        self._moved = 0.0  # when the bar last moved within an epoch
        self._t0 = time.perf_counter()
        self._epoch0 = 0

    def __enter__(self) -> _Progress:
        self._t0 = time.perf_counter()
        if self.mode == "bar":
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("epoch"), MofNCompleteColumn(), BarColumn(bar_width=16),
                TextColumn("{task.fields[costs]}"), TextColumn("{task.fields[speed]}"),
                TimeRemainingColumn(),
                console=Console(stderr=True), transient=False)
            self._bar.start()
            self._task = self._bar.add_task("train", total=self.n_epochs, costs="", speed="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            if self.last is not None:  # show where it ended, whatever the throttle skipped
                self._update_bar(self.last)
            self._bar.stop()
            self._bar = None

    @staticmethod
    def _costs(info: EpochInfo) -> str:
        parts = [f"C {info.cost:.6g}"]
        if info.val_cost is not None:
            parts.append(f"val C {info.val_cost:.6g}")
        if info.accuracy is not None:
            parts.append(f"acc {info.accuracy:.1%}")
        if info.val_accuracy is not None:
            parts.append(f"val acc {info.val_accuracy:.1%}")
        return "  ".join(parts)

    @staticmethod
    def _short_costs(info: EpochInfo) -> str:
        """The bar's version: fits an 80-column terminal with the bar and the ETA."""
        text = f"C {info.cost:.4g}"
        if info.val_cost is not None:
            text += f" val {info.val_cost:.4g}"
        acc = info.val_accuracy if info.val_accuracy is not None else info.accuracy
        if acc is not None:
            text += f" {'val ' if info.val_accuracy is not None else ''}acc {acc:.1%}"
        return text

    @staticmethod
    def _speed(info: EpochInfo, short: bool = False) -> str:
        rate = info.examples_per_second
        if not math.isfinite(rate):
            return ""
        if short and rate >= 1e6:
            return f"{rate / 1e6:.1f}M ex/s"
        if short and rate >= 1e4:
            return f"{rate / 1e3:.0f}k ex/s"
        return f"{rate:,.0f} ex/s"

    def _update_bar(self, info: EpochInfo) -> None:
        self._bar.update(self._task, completed=info.epoch, costs=self._short_costs(info),
                         speed=self._speed(info, short=True))

    def on_epoch(self, info: EpochInfo) -> None:
        """The epoch callback of :func:`chainrule.train.fit`."""
        if self.last is None:
            self._epoch0 = info.epoch - 1  # a resumed run starts later
        self.last = info
        self.history = info.history
        if self.mode == "bar":
            now = time.perf_counter()
            if now - self._shown >= BAR_INTERVAL or info.epoch == info.n_epochs:
                self._shown = now
                self._update_bar(info)
        elif self.mode == "lines" and (info.epoch % self.every == 0 or info.epoch == 1
                                       or info.epoch == info.n_epochs
                                       or time.perf_counter() - self._shown >= PLAIN_SECONDS):
            self._shown = time.perf_counter()
            parts = [f"epoch {info.epoch:>{len(str(info.n_epochs))}}/{info.n_epochs}",
                     self._costs(info), self._speed(info)]
            done = info.epoch - self._epoch0
            if done > 1:  # the first epoch's time includes the start-up
                elapsed = time.perf_counter() - self._t0
                parts.append(f"ETA {elapsed / done * (info.n_epochs - info.epoch):.1f} s")
            _say("  ".join(p for p in parts if p))

    def on_batch(self, epoch: int, batch: int, n_batches: int) -> None:
        """The batch callback: moves the bar within long epochs."""
        if n_batches == 1:  # on_epoch moves it
            return
        now = time.perf_counter()
        if now - self._moved >= BAR_INTERVAL:
            self._moved = now
            self._bar.update(self._task, completed=epoch - 1 + batch / n_batches)


@contextlib.contextmanager
def _warnings_as_notes() -> Iterator[None]:
    """Library warnings (e.g. a damaged checkpoint replaced by the previous one) as notes."""

    def show(message: Warning | str, category: type[Warning], *args: object,
             **kwargs: object) -> None:
        _say(f"warning: {_one_line(message)}")

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        yield


# ---------------------------------------------------------------------------
# train
# ---------------------------------------------------------------------------


_OPTIMIZER_NAMES = {"adam": "Adam", "gd": "gradient descent θ ← θ − η ∂C/∂θ",
                    "gradient_descent": "gradient descent θ ← θ − η ∂C/∂θ",
                    "sgd": "SGD with momentum", "lbfgs": "L-BFGS"}


def _describe(data: _Data, net: Network, recipe: Recipe, seed: int, validation: float,
              standardized: bool, default_job: bool) -> list[str]:
    """What is being trained, in the seed's notation (printed on stderr before training)."""
    L = net.n_layers
    sizes = "-".join(map(str, net.layer_sizes))
    hidden = {a.name for a in net.activations[:-1]}
    out_act = net.activations[-1]
    if L == 1 or hidden == {out_act.name}:
        acts = f"σ = {out_act.name}, σ(z) = {out_act.formula}, in every layer"
    else:
        acts = f"σ = {', '.join(sorted(hidden))} in the hidden layers, {out_act.name} at the output"
    n_weights = sum(W.size for W in net.W)
    n_biases = sum(b.size for b in net.b)
    n = data.X.shape[0]
    n_train = n - round(validation * n)
    if default_job:
        title = ("Training the course's 1-6-7-2 network to draw the heart curve "
                 "(`chainrule train` with no options).")
        what = (f"{n} points of the heart curve: input t in [0, 1], target (x(t), y(t)) "
                "scaled to [0, 1]")
        a0 = "t"
    else:
        title = f"Training a {sizes} network on {data.source}."
        what = (f"{n} examples, {data.X.shape[1]} input(s) -> {net.n_outputs} output(s), "
                f"{data.task}")
        if data.classes is not None:
            what += f" of {len(data.classes)} classes"
        if data.dataset is not None:
            what += f": {data.description}"
        a0 = "x"
    batch = ("full-batch steps" if recipe.batch_size is None or recipe.batch_size >= n_train
             else f"steps on batches of {recipe.batch_size}")
    optimizer = _OPTIMIZER_NAMES.get(recipe.optimizer.lower(), recipe.optimizer)
    lines = [
        title,
        f"  data      {what}",
        f"  network   a(0) = {a0}, a(l) = σ(W(l) a(l-1) + b(l)) for l = 1..{L}, output a({L})",
        f"            {acts}; {n_weights} weights and {n_biases} biases",
        f"  cost      C = (1/N) Σ_k C_k with C_k = {net.cost.formula}, a = a({L})  "
        f"({net.cost.name}, N = {n_train})",
        (f"  training  {optimizer}, up to {recipe.epochs} iterations on the whole training "
         f"set, seed {seed}" if recipe.optimizer.lower() in ("lbfgs", "l-bfgs") else
         f"  training  {optimizer}, η = {recipe.learning_rate:g}, {recipe.epochs} epochs of "
         f"{batch}, seed {seed}")
        + (f", {validation:.0%} held out for validation" if validation else ""),
    ]
    if standardized:
        lines.append("  inputs    standardised: (x - mean) / std per column, stored in the model")
    return lines


def _summary(history: History | None, status: str, seconds: float, recipe: Recipe,
             seed: int, validation: float, n_examples: int) -> dict[str, Any]:
    """The training summary kept in the model file and printed by ``--json``."""
    h = history

    def last(xs: list[float]) -> Any:
        return _plain(xs[-1]) if len(xs) else None

    lbfgs = recipe.optimizer.lower() in ("lbfgs", "l-bfgs")  # full batch, no learning rate
    return {
        "status": status,
        "optimizer": recipe.optimizer,
        "learning_rate": None if lbfgs else recipe.learning_rate,
        "batch_size": None if lbfgs else recipe.batch_size,  # None: the full batch
        "epochs": recipe.epochs,
        "epochs_run": len(h) if h is not None else 0,
        "seed": seed,
        "validation": validation,
        "n_examples": n_examples,
        "final_cost": last(h.cost) if h is not None else None,
        "final_val_cost": last(h.val_cost) if h is not None else None,
        "final_accuracy": last(h.accuracy) if h is not None else None,
        "final_val_accuracy": last(h.val_accuracy) if h is not None else None,
        "best_epoch": h.best_epoch if h is not None else None,
        "seconds": round(seconds, 3),
        "chainrule_version": __version__,
    }


def _train_json(summary: dict[str, Any], out: Path, plots: Sequence[Path], net: Network,
                data: _Data) -> dict[str, Any]:
    """``train --json``: the same fields whatever the outcome (completed, diverged, stopped)."""
    return {**summary, "model": os.fspath(out), "plots": [os.fspath(p) for p in plots],
            "layer_sizes": list(net.layer_sizes),
            "activations": [a.name for a in net.activations],
            "cost": net.cost.name, "dtype": net.dtype.name,
            "dataset": data.dataset, "data_file": data.data_file}


def _is_lbfgs(optimizer: str) -> bool:
    return optimizer.lower() in ("lbfgs", "l-bfgs")


def _history_until(history: History, epoch: int) -> History:
    """The record of ``history`` up to the end of ``epoch`` (0: none of it), e.g. the epoch
    whose weights a diverged run was given back; a best epoch after it is dropped."""
    n = sum(1 for e in history.epoch if e <= epoch)
    lists = {k: v[:n] for k, v in history.to_dict().items() if isinstance(v, list)}
    best = history.best_epoch if history.best_epoch is not None \
        and history.best_epoch <= epoch else None
    return replace(history, **lists, best_epoch=best)


def _result_line(s: dict[str, Any], cost_name: str) -> str:
    text = f"final cost C = {s['final_cost']:.6g} ({cost_name}"
    if s["final_val_cost"] is not None:
        text += f"; validation C = {s['final_val_cost']:.6g}"
    if s["final_accuracy"] is not None:
        text += f"; training accuracy {s['final_accuracy']:.1%}"
    if s["final_val_accuracy"] is not None:
        text += f"; validation accuracy {s['final_val_accuracy']:.1%}"
    return text + f"), after {s['epochs_run']} epochs in {s['seconds']:.1f} s"


def _files_only_backend() -> None:
    """Agg, unless pyplot is already in use: the CLI writes files and never opens a window."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")


def _save_plot(ax: Any, path: Path) -> None:
    """Save the Axes' figure atomically and close it (the CLI keeps no figures open)."""
    import matplotlib.pyplot as plt

    from ..viz.plots import save_figure

    try:
        save_figure(ax.figure, path)
    finally:
        plt.close(ax.figure)


def _in_data_units(net: Network, scaler: Any) -> Network:
    """A copy of ``net`` that takes raw inputs: the standardisation folded into layer 1.

    ``W(1) (x − m) / s + b(1) = W' x + b'`` with ``W' = W(1) diag(1/s)`` and
    ``b' = b(1) − W' m``.
    """
    if scaler is None:
        return net
    raw = net.copy()
    W1 = net.W[0] / scaler.scale_  # (n1, n0): column i divided by s_i
    raw.W[0][...] = W1
    raw.b[0][...] = net.b[0] - W1 @ scaler.mean_
    return raw


def _write_plots(folder: Path, net: Network, data: _Data, X_in: Array, scaler: Any,
                 history: History) -> list[tuple[Path, str]]:
    """The pictures that fit the task, drawn in the data's own units (not standardised).

    Returns (path, what it shows) pairs.
    """
    from ..viz import plots as plotting

    _files_only_backend()
    _make_folder(folder, "--plot")
    written: list[tuple[Path, str]] = []
    P = net.predict(X_in)  # (N, n_out)
    regression = data.task == "regression"
    text = plotting.literal_text  # user names drawn as they are, never as mathtext
    if regression and net.n_inputs == 1 and net.n_outputs == 2:
        names = data.target_names if len(data.target_names) == 2 else None
        ax = plotting.plot_curve_2d(data.Y, P, names=names)
        if data.dataset == "heart":
            ax.set_xlabel("x(t), scaled")
            ax.set_ylabel("y(t), scaled")
            ax.set_title(f"The {'-'.join(map(str, net.layer_sizes))} network's curve "
                         "over the heart")
        written.append((folder / _plot_names(data.dataset)[0],
                        "the network's curve (red) over the target (grey)"))
    elif regression and net.n_inputs == 1:
        ax = plotting.plot_fit_1d(data.X, data.Y, P)
        ax.set_xlabel(text(data.feature_names[0]))
        if len(data.target_names) == 1:
            ax.set_ylabel(text(data.target_names[0]))
        written.append((folder / "fit.png", "the network's output over the targets"))
    elif data.task == "classification" and net.n_inputs == 2:
        names = data.class_names or data.classes
        ax = plotting.plot_decision_regions(_in_data_units(net, scaler), data.X, data.Y,
                                            class_names=names)
        ax.set_xlabel(text(data.feature_names[0]))
        ax.set_ylabel(text(data.feature_names[1]))
        written.append((folder / "decision_regions.png",
                        "the decision regions with the data on top"))
    else:
        ax = None
    if ax is not None:
        _save_plot(ax, written[-1][0])
    cost_png = folder / "cost_curve.png"
    # Series that were never recorded (no validation set) are left out of the legend.
    curves = {k: v for k, v in history.to_dict().items()
              if not (isinstance(v, list) and v and all(_plain(x) is None for x in v))}
    _save_plot(plotting.plot_cost_curve(curves), cost_png)
    written.append((cost_png, "the cost C per epoch"))
    return written


@app.command()
def train(
    data: Annotated[Path | None, typer.Argument(
        help="A .csv (with a header), .npy or .npz file. Without it: --dataset, or the heart.",
        show_default=False)] = None,
    dataset: Annotated[str | None, typer.Option(
        "--dataset", "-d", rich_help_panel="Data",
        help="A built-in data set (see `chainrule datasets`).")] = None,
    target: Annotated[str | None, typer.Option(
        rich_help_panel="Data",
        help="Target column(s) of a CSV, comma-separated (default: the last column); "
             "the target array of a .npz (default: y); 'last' for a .npy.")] = None,
    task: Annotated[Task, typer.Option(
        rich_help_panel="Data",
        help="auto: classification for text labels, a cross-entropy cost, or (without "
             "--cost) a column of few whole-number labels; else regression.")] = Task.auto,
    standardize: Annotated[bool | None, typer.Option(
        "--standardize/--no-standardize", rich_help_panel="Data",
        help="Scale each input column to mean 0, std 1 (default: on for files, off for "
             "built-in sets); off keeps a memory-mapped .npy on disk.",
        show_default=False)] = None,
    hidden: Annotated[str | None, typer.Option(
        rich_help_panel="Network",
        help="Hidden layer sizes, e.g. 6,7 ('none' for no hidden layer).")] = None,
    activation: Annotated[str | None, typer.Option(
        rich_help_panel="Network",
        help="σ of the hidden layers: tanh, logistic, relu, leaky_relu, softplus, identity.")]
        = None,
    output_activation: Annotated[str | None, typer.Option(
        rich_help_panel="Network", help="σ of the output layer (default: suits the cost).")]
        = None,
    cost: Annotated[str | None, typer.Option(
        rich_help_panel="Network",
        help="squared_error, half_squared_error, binary_cross_entropy or cross_entropy.")] = None,
    dtype: Annotated[DType, typer.Option(
        rich_help_panel="Network", help="Precision of the network.")] = DType.float64,
    optimizer: Annotated[str | None, typer.Option(
        rich_help_panel="Training", help="gd (the seed's step), sgd, adam or lbfgs.")] = None,
    lr: Annotated[float | None, typer.Option(
        "--lr", rich_help_panel="Training", help="The learning rate η.")] = None,
    epochs: Annotated[int | None, typer.Option(
        min=1, rich_help_panel="Training", help="Passes over the training set.")] = None,
    batch_size: Annotated[str | None, typer.Option(
        rich_help_panel="Training",
        help="Examples per step, or 'full' for full-batch gradient descent.")] = None,
    seed: Annotated[int, typer.Option(
        min=0, rich_help_panel="Training", help="Seed of the initial weights and shuffling.")] = 0,
    validation: Annotated[float, typer.Option(
        rich_help_panel="Training",
        help="Fraction of the examples held out for validation, e.g. 0.1.")] = 0.0,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", rich_help_panel="Output",
        help="Model file to write (default: NAME.safetensors here).", show_default=False)]
        = None,
    plot: Annotated[Path | None, typer.Option(
        rich_help_panel="Output", help="Folder for PNG pictures (the fit, the cost curve).",
        show_default=False)] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", rich_help_panel="Output", help="No progress on stderr.")] = False,
    json_output: Annotated[bool, typer.Option(
        "--json", rich_help_panel="Output", help="Print a JSON summary on stdout.")] = False,
    checkpoint: Annotated[Path | None, typer.Option(
        rich_help_panel="Checkpoints",
        help="Save the whole training state here as it goes (for --resume).",
        show_default=False)] = None,
    checkpoint_every: Annotated[int | None, typer.Option(
        min=1, rich_help_panel="Checkpoints",
        help="Epochs between checkpoints (default: about 100 checkpoints per run).",
        show_default=False)] = None,
    resume: Annotated[bool, typer.Option(
        "--resume", rich_help_panel="Checkpoints",
        help="Continue bit-identically from --checkpoint if it exists.")] = False,
    debug: Debug = False,
) -> None:
    """Train a network and save it (no arguments: the course's heart curve)."""
    with _reporting(debug) as signals, _warnings_as_notes(), \
            contextlib.ExitStack() as stack:
        _train(stack=stack, signals=signals, data=data, dataset=dataset, target=target,
               task=task, hidden=hidden, activation=activation,
               output_activation=output_activation, cost=cost, optimizer=optimizer, lr=lr,
               epochs=epochs, batch_size=batch_size, seed=seed, validation=validation, out=out,
               plot=plot, quiet=quiet, json_output=json_output, dtype=dtype,
               standardize=standardize, checkpoint=checkpoint,
               checkpoint_every=checkpoint_every, resume=resume)


def _plot_names(dataset: str | None) -> list[str]:
    """The files ``--plot`` may write (:func:`_write_plots` picks those that fit the task)."""
    return [f"{dataset or 'curve'}.png", "fit.png", "decision_regions.png", "cost_curve.png"]


def _check_train_outputs(out: Path, plot: Path | None, checkpoint: Path | None,
                         data: Path | None, dataset: str | None) -> None:
    """``--out``, ``--plot`` and ``--checkpoint``: writable, and naming none of the inputs
    (nor each other).  Run before any data is read."""
    _check_writable(out, "--out")
    ck_files = [] if checkpoint is None else [
        (checkpoint, "the --checkpoint file"),
        (_checkpoint_previous(checkpoint), "the previous checkpoint")]
    _check_not_an_input(out, "--out", [(data, "the data file"), *ck_files])
    if plot is not None:
        _check_writable(plot / "cost_curve.png", "--plot")
        for name in _plot_names(dataset):
            _check_not_an_input(plot / name, "--plot", [(data, "the data file"),
                                                        (out, "the --out model file"),
                                                        *ck_files])
    if checkpoint is not None:
        _check_writable(checkpoint, "--checkpoint")
        _check_not_an_input(checkpoint, "--checkpoint", [(data, "the data file")])


def _train(*, data: Path | None, dataset: str | None, target: str | None, task: Task,
           hidden: str | None, activation: str | None, output_activation: str | None,
           cost: str | None, optimizer: str | None, lr: float | None, epochs: int | None,
           batch_size: str | None, seed: int, validation: float, out: Path | None,
           plot: Path | None, quiet: bool, json_output: bool, dtype: DType,
           standardize: bool | None, checkpoint: Path | None, checkpoint_every: int | None,
           resume: bool, stack: contextlib.ExitStack, signals: _Signals) -> None:
    from ..data.datasets import Standardizer
    from ..io.model_file import save_model
    from ..train.loop import Trainer, fit

    if data is not None and dataset is not None:
        raise ConfigError("give either a data file or --dataset, not both")
    if resume and checkpoint is None:
        raise ConfigError("--resume: needs --checkpoint PATH (the checkpoint to resume from)")
    if checkpoint_every is not None and checkpoint is None:
        raise ConfigError("--checkpoint-every: needs --checkpoint PATH (where to save them)")
    changes = _option_changes(hidden=hidden, activation=activation,
                              output_activation=output_activation, cost=cost,
                              optimizer=optimizer, lr=lr, epochs=epochs, batch_size=batch_size)
    _check_validation(validation)
    if checkpoint is not None and optimizer is not None and \
            optimizer.lower() in ("lbfgs", "l-bfgs"):
        raise ConfigError("--checkpoint: not with --optimizer lbfgs (SciPy's L-BFGS state "
                          "cannot be saved); use gd, sgd or adam, or leave --checkpoint out")
    if data is not None:
        _check_target_option(data, target)
        name = data.stem
    else:
        if target is not None:
            raise ConfigError("--target: only for a data file; built-in sets know their target")
        d = _builtin(dataset or "heart", task, cost)  # small: made in memory at once
        name = d.dataset or "model"
    # the outputs are checked before a (possibly large) file is read and standardised
    out_path = out if out is not None else Path(f"{name}.safetensors")
    _check_train_outputs(out_path, plot, checkpoint, data, None if data else name)
    if resume and checkpoint is not None and not checkpoint.exists() \
            and not _checkpoint_previous(checkpoint).exists():
        _say(f"note: no checkpoint at {checkpoint}; starting from the beginning")
    if data is not None:
        d = _from_file(data, target, task, cost)
    _check_validation(validation, d.X.shape[0])
    recipe = _recipe(d, changes)
    if _is_lbfgs(recipe.optimizer):
        ignored = [o for o, v in (("--lr", lr), ("--batch-size", batch_size)) if v is not None]
        if ignored:
            _say(f"note: {' and '.join(ignored)} do not apply to L-BFGS (every iteration uses "
                 "the full batch, and the step length comes from its line search)")
    default_job = data is None and dataset is None and all(
        v is None for v in (hidden, activation, output_activation, cost, optimizer, lr, epochs,
                            batch_size))
    net = Network([d.X.shape[1], *recipe.hidden, d.Y.shape[1]], recipe.activation,
                  recipe.output_activation, recipe.cost, dtype=dtype.value, random_state=seed)
    # Built here rather than inside fit so that bad options fail before anything is printed.
    # Accuracy is counted for any classifier, one trained with a squared error too.
    trainer = Trainer(net, optimizer=recipe.optimizer, learning_rate=recipe.learning_rate,
                      batch_size=recipe.batch_size, random_state=seed,
                      classification=True if d.classes is not None else None)
    standardized = standardize if standardize is not None else d.data_file is not None
    csv_file = Path(d.data_file) if d.data_file and d.data_file.lower().endswith(".csv") \
        else None
    _check_fits(d.Y, None, net, _Source(d.source, d.target_names, csv=csv_file))
    scaler = Standardizer().fit(d.X) if standardized else None
    if d.task == "regression" and d.data_file is not None and not quiet:
        _note_target_scale(d.Y, d.target_names, _is_lbfgs(recipe.optimizer))
    source = _Source(d.source, d.feature_names, csv=csv_file)
    _check_fits(d.X, scaler, net, source)
    X_in = _standardized(d.X, scaler, source, stack)  # a memmap stays on disk

    if not quiet:
        for line in _describe(d, net, recipe, seed, validation, standardized, default_job):
            _say(line)
    mode = "quiet" if quiet else ("bar" if _stderr_is_terminal() else "lines")
    progress = _Progress(mode, recipe.epochs)
    ck_options: dict[str, Any] = {}
    if checkpoint is not None:
        _make_folder(checkpoint.parent, "--checkpoint")
        ck_options = {"checkpoint": checkpoint, "resume": resume,
                      "checkpoint_every": checkpoint_every
                      or max(1, recipe.epochs // 100)}

    status, failure = "completed", None
    history: History | None = None
    start = time.perf_counter()
    # SIGTERM takes the Ctrl-C path (signals, installed for the whole command).
    with progress:
        try:
            history = fit(net, X_in, d.Y, epochs=recipe.epochs, trainer=trainer,
                          random_state=seed, validation_split=validation,
                          callbacks=[progress.on_epoch],
                          batch_callback=progress.on_batch if mode == "bar" else None,
                          **ck_options)
        except DivergenceError as exc:
            status, failure = "diverged", exc
        except KeyboardInterrupt:
            status = "terminated" if signals.terminated else "interrupted"
            # a second Ctrl-C inside a step (weights half updated), or a Ctrl-C before the
            # first step or a second one between steps: nothing is saved
            if trainer.in_step or not trainer.interrupted:
                stepped = trainer.history.n_steps > trainer.steps_before_run
                raise _Stop(_stopped_outside_a_step(status, out_path, checkpoint,
                                                    trainer.in_step, stepped),
                            signals.exit_code) from None
    seconds = time.perf_counter() - start
    history = history if history is not None else progress.history
    if failure is not None and failure.kept_epoch is not None and history is not None:
        history = _history_until(history, failure.kept_epoch)  # the weights that were saved
    summary = _summary(history, status, seconds, recipe, seed, validation, d.X.shape[0])
    metadata = {
        "dataset": d.dataset,
        "data_file": d.data_file,
        "task": d.task,
        "feature_names": d.feature_names,
        "target_names": d.target_names,
        "classes": d.classes,
        "class_names": d.class_names,
        "standardizer": scaler.to_dict() if scaler is not None else None,
        "training": summary,
    }
    try:
        _make_folder(out_path.parent, "--out")
        save_model(out_path, net, metadata=metadata)  # atomic: all or nothing
    except KeyboardInterrupt:
        what = "terminated" if signals.terminated else "interrupted"
        hint = (f"; the checkpoint {checkpoint} holds the run: continue with --checkpoint "
                f"{checkpoint} --resume" if checkpoint is not None
                and _checkpoint_written(checkpoint) else "")
        raise _Stop(f"{what} while saving the model; {out_path} was left as it was{hint}",
                    signals.exit_code) from None
    if status != "completed":
        if json_output:
            typer.echo(json.dumps(_train_json(summary, out_path, [], net, d)))
        if failure is not None:
            where = f" (checkpoint: {checkpoint})" if checkpoint is not None and \
                _checkpoint_written(checkpoint) else ""
            raise _Stop(f"{_one_line(failure)} They were saved to {out_path}{where}.",
                        EXIT_FAILED) from failure
        done = summary["epochs_run"]
        resume_hint = (f"; continue with --checkpoint {checkpoint} --resume"
                       if checkpoint is not None and _checkpoint_written(checkpoint) else "")
        raise _Stop(f"{status} after {done} complete epoch(s); the model trained so far was "
                    f"saved to {out_path}{resume_hint}", signals.exit_code)

    assert history is not None
    try:
        plots = _write_plots(plot, net, d, X_in, scaler, history) if plot is not None else []
    except KeyboardInterrupt:
        what = "terminated" if signals.terminated else "interrupted"
        raise _Stop(f"{what} while writing the plots; the trained model was saved to "
                    f"{out_path}", signals.exit_code) from None
    except Exception as exc:  # the model is on disk: say so, whatever went wrong
        raise _Stop(f"--plot: writing the plots failed ({_error_text(exc)}); the trained "
                    f"model was saved to {out_path}", _exit_code(exc)) from exc
    if json_output:
        typer.echo(json.dumps(_train_json(summary, out_path, [p for p, _ in plots], net, d)))
    else:
        typer.echo(_result_line(summary, net.cost.name))
    if not quiet:
        _say(f"saved the model to {out_path}  (see it with: chainrule info {out_path})")
        for path, what in plots:
            _say(f"wrote {path}: {what}")


# ---------------------------------------------------------------------------
# Using a saved model: its inputs and targets, preprocessed as in training
# ---------------------------------------------------------------------------


def _load(model: Path) -> tuple[Network, dict[str, Any]]:
    from ..io.model_file import load_model

    return load_model(model)


def _named_features(meta: dict[str, Any]) -> list[str] | None:
    """The model's input column names, or None where they are only positions (a model
    trained on a .npy or .npz, whose columns were called x0, x1, ...)."""
    names = meta.get("feature_names")
    data_file = str(meta.get("data_file") or "")
    if not names or data_file.lower().endswith((".npy", ".npz")):
        return None
    return [str(n) for n in names]


def _select_features(table: Array, names: list[str], features: list[str] | None, n: int,
                     src: str) -> Array:
    """The model's input columns of a CSV, by name; by position only when the model's
    inputs have no names (then the file must have exactly ``n`` columns left)."""
    if features is None:
        if table.shape[1] == n:
            return table
        raise ShapeError(f"{src}: expected {n} feature columns (as in training); the file has "
                         f"{table.shape[1]}: {', '.join(repr(c) for c in names)}")
    missing = [f for f in features if f not in names]
    if missing:
        raise ShapeError(f"{src}: has no column {', '.join(repr(m) for m in missing)}; the "
                         f"model's inputs are {', '.join(repr(f) for f in features)} and the "
                         f"file's columns {', '.join(repr(c) for c in names)}")
    return table[:, [names.index(f) for f in features]]


def _check_target_not_an_input(wanted: Sequence[str], features: list[str] | None) -> None:
    """``--target`` may not name one of the model's inputs: that column would be fed in."""
    inputs = [w for w in wanted if features is not None and w in features]
    if inputs:
        raise ConfigError(f"--target: {', '.join(repr(w) for w in inputs)} is one of the "
                          f"model's inputs ({', '.join(repr(f) for f in features or [])}); "
                          "name the target column(s)")


@dataclass
class _Source:
    """Where a model's inputs came from, to name a row and column in messages."""

    name: str  # the file path or the built-in set's name
    columns: list[str]  # the names of X's columns
    csv: Path | None = None  # a CSV file: rows are named as the file counts them

    def where(self, i: int, j: int) -> str:
        """``"FILE: row R, column 'c'"`` for row ``i`` (0-based) and column ``j`` of X;
        ``"--x: value 2 ('c')"`` for the one example an option gives."""
        column = self.columns[j] if j < len(self.columns) else str(j)
        if self.name.startswith("--"):
            return f"{self.name}: value {j + 1}" + (f" ({column!r})" if self.columns else "")
        if self.csv is not None:
            from ..data.datasets import csv_row_numbers

            row = f"row {csv_row_numbers(self.csv)[i]}"  # 1-based, the header is row 1
        else:
            row = f"row {i}"
        return f"{self.name}: {row}, column {column!r}"


def _csv_targets(data: Path, target: str | None, meta: dict[str, Any],
                 need_targets: bool) -> list[str]:
    """The target columns of a CSV to use with a model: ``--target``, else the model's.

    Without targets to read (predict), the model's target columns that the file
    has are still left out of the inputs: they may hold text class labels.
    """
    from ..data.datasets import csv_header

    if target is not None:
        names = _split_target(target, ".csv")
        return [names] if isinstance(names, str) else list(names or [])
    model_targets = list(meta.get("target_names") or [])
    if need_targets:
        return model_targets or [csv_header(data)[-1]]
    header = csv_header(data)
    return [t for t in model_targets if t in header]


def _classifier(meta: dict[str, Any]) -> bool | None:
    """True for a model trained on classes (whatever its cost: accuracy is counted);
    None leaves it to the library (cross-entropy networks)."""
    return True if meta.get("classes") is not None else None


def _text_classes(classes: object) -> bool:
    return isinstance(classes, list) and any(isinstance(c, str) for c in classes)


def _model_data(net: Network, meta: dict[str, Any], data: Path | None, dataset: str | None,
                need_targets: bool, data_option: str = "DATA",
                target: str | None = None) -> tuple[Array, Array | None, _Source]:
    """Inputs (raw) and, if asked, targets encoded as in training, from a file or a built-in set.

    Without ``data`` or ``dataset``, the model's own built-in training set is used;
    ``data_option`` is how the command takes its data file (for messages).
    ``target`` names the file's target as ``--target`` does for ``train`` (CSV
    column names, ``last`` for a .npy, the array of a .npz): those columns are
    not inputs.  By default a CSV's targets are the model's target columns and a
    .npy's is its last column when targets are needed.
    """
    from ..data.datasets import load_array, load_csv, load_dataset

    classes = meta.get("classes")
    cost = net.cost.name
    if data is not None and dataset is not None:
        raise ConfigError("give either a data file or --dataset, not both")
    if data is None:
        if target is not None:
            raise ConfigError("--target: only for a data file; built-in sets know their target")
        name = dataset or meta.get("dataset")
        if name is None:
            raise ConfigError(f"{data_option}: give a data file (this model was not trained on "
                              "a built-in set)")
        ds: Dataset = load_dataset(name)
        if ds.n_features != net.n_inputs:
            raise ShapeError(f"dataset {ds.name!r} has {ds.n_features} features; the model takes "
                             f"{net.n_inputs}")
        Y = None
        if need_targets:
            if ds.labels is not None and classes is not None:
                Y, _ = _encode_labels(ds.labels, classes, cost, ds.name)
            else:
                Y = ds.y
        return ds.X, Y, _Source(ds.name, list(ds.feature_names))

    src = os.fspath(data)
    features = _named_features(meta)
    suffix = data.suffix.lower()
    _check_target_option(data, target)
    last_by_default = suffix == ".npy" and target is None and need_targets
    if suffix == ".csv":
        wanted = _csv_targets(data, target, meta, need_targets)
        if target is not None:
            _check_target_not_an_input(wanted, features)
        labels = _text_classes(classes) and len(wanted) == 1
        # without targets every column is read, and the features picked by name
        with _target_as_option():
            X, y, fnames, tnames = load_csv(data, target=wanted[0] if labels else wanted,
                                            labels=labels)
        X = _select_features(X, list(fnames), features, net.n_inputs, src)
        source = _Source(src, list(features) if features else list(fnames), csv=data)
        targets = _Source(src, list(tnames), csv=data)
    elif suffix in (".npy", ".npz"):
        # a .npz's target is a separate array: predict neither reads nor checks it
        wanted_array: str | tuple[()] | None = () if suffix == ".npz" and not need_targets \
            else "last" if last_by_default else target
        with _target_as_option():
            X, y, fnames, tnames = load_array(data, target=wanted_array)
        source, targets = _Source(src, list(fnames)), _Source(src, list(tnames))
    else:
        raise DataError(f"{src}: unknown file type {suffix or 'without suffix'!r}; expected "
                        ".csv, .npy or .npz")
    if X.shape[1] != net.n_inputs:
        hint = ""
        if suffix == ".npy" and target is None and X.shape[1] == net.n_inputs + 1:
            hint = " (if its last column is the target, pass --target last)"
        if last_by_default:  # the file may hold the features only
            raise ShapeError(f"{src}: its last column was taken as the target (a .npy holds "
                             f"the targets in its last column), leaving {X.shape[1]} feature "
                             f"columns; the model takes {net.n_inputs} (does the file have "
                             "a target column?)")
        raise ShapeError(f"{src}: has {X.shape[1]} feature columns; the model takes "
                         f"{net.n_inputs}{hint}")
    if not need_targets:
        return X, None, source
    if y is None:
        raise DataError(f"{src}: has no targets to evaluate against (a .npz needs an array "
                        "'y'; a .npy holds them in its last column)")
    if classes is not None and not (y.ndim == 2 and y.shape[1] == net.n_outputs
                                    and net.n_outputs > 1):
        Y, _ = _encode_labels(y, classes, cost, src)
    else:
        Y = y
    if Y.shape[1] != net.n_outputs:
        raise ShapeError(f"{src}: has {Y.shape[1]} target columns; the model has "
                         f"{net.n_outputs} outputs")
    _check_fits(Y, None, net, targets)
    return X, Y, source


def _scaler(meta: dict[str, Any]) -> Any:
    """The input scaling stored at training time (None if there was none)."""
    from ..data.datasets import Standardizer

    scaling = meta.get("standardizer")
    return Standardizer.from_dict(scaling) if scaling else None


def _block_rows(A: Array, floats_per_row: int | None = None) -> int:
    """Rows of ``A`` per block so that a block takes about BLOCK_BYTES.

    A column of a memory-mapped table is read with the rest of each row, so a
    row costs its stride in the file, not just its own bytes; ``floats_per_row``
    counts float64 work per row beyond that (e.g. a forward pass).
    """
    per_row = max(abs(A.strides[0]), A.shape[1] * A.itemsize, 8 * (floats_per_row or 0), 1)
    return max(1, BLOCK_BYTES // per_row)


def _transform(scaler: Any, block: Array, start: int, source: _Source,
               out: Array | None = None) -> Array:
    """``scaler.transform(block)`` for rows ``start, ...`` of the data; an overflow is
    reported naming the file, row and column."""
    try:
        return scaler.transform(block, out=out)
    except DataError:
        with np.errstate(over="ignore", invalid="ignore"):
            bad = ~np.isfinite((np.asarray(block, np.float64) - scaler.mean_) / scaler.scale_)
        if not bad.any():
            raise
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise DataError(f"{source.where(start + i, j)}: {float(block[i, j]):g} overflows "
                        f"float64 once standardised as in training, (x − {scaler.mean_[j]:g}) / "
                        f"{scaler.scale_[j]:g}") from None


def _standardized(X: Array, scaler: Any, source: _Source, stack: contextlib.ExitStack) -> Array:
    """``(X − mean) / scale``, without holding a memory-mapped ``X`` in memory.

    An ordinary array is transformed in memory.  A memory-mapped one (a large .npy)
    is transformed block by block into a temporary .npy file and returned
    memory-mapped from there, so memory does not grow with the file: the library
    reads it in batches, as it reads the original.  The file is removed from its
    folder as soon as it is made (:func:`_unlinked_npy`), so not even SIGKILL
    leaves it behind.
    """
    if scaler is None:
        return X
    if not isinstance(X, np.memmap):
        return _transform(scaler, X, 0, source)
    from ..utils.validation import row_blocks

    dtype = np.dtype(np.float32 if X.dtype == np.float32 else np.float64)
    name = _unlinked_npy(stack)
    rows = _block_rows(X)
    buf = np.empty((min(rows, X.shape[0]), X.shape[1]), dtype)
    # written, not mapped: pages written through a map would stay in the process's memory
    try:
        with open(name, "wb") as f:
            np.lib.format.write_array_header_1_0(
                f, {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False,
                    "shape": X.shape})
            for start, block in row_blocks(X, rows, "X"):
                f.write(_transform(scaler, block, start, source, out=buf[:block.shape[0]]).data)
    except OSError as exc:
        folder = Path(tempfile.gettempdir())
        raise ConfigError(f"{source.name}: cannot write its standardised copy "
                          f"({X.nbytes / 2**20:.0f} MB) to the temporary folder {folder}: "
                          f"{os_error_reason(exc, folder)}; set TMPDIR to a folder with room, "
                          "or pass --no-standardize") from exc
    return np.load(name, mmap_mode="r", allow_pickle=False)


def _unlinked_npy(stack: contextlib.ExitStack) -> str:
    """A name for a temporary .npy file whose directory entry is already gone.

    The file is created in the system's temporary folder and unlinked at once;
    its descriptor stays open (closed when ``stack`` closes) and the file is
    reached through ``/proc/self/fd/N``, a name the library can also open for
    its positional reads.  Where there is no such name (not Linux), a temporary
    folder removed when ``stack`` closes holds it instead.
    """
    fd, path = tempfile.mkstemp(prefix="chainrule-", suffix=".npy")
    stack.callback(os.close, fd)
    proc_name = f"/proc/self/fd/{fd}"
    if os.path.exists(proc_name):
        os.unlink(path)  # the open descriptor keeps the file; nothing is left by a kill
        return proc_name
    os.unlink(path)
    folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="chainrule-"))
    return os.path.join(folder, "X_standardised.npy")


def _transform_all(X: Array, meta: dict[str, Any], source: _Source) -> Array:
    """``X`` scaled as in training, in memory (for what needs all of it at once)."""
    scaler = _scaler(meta)
    return _transform(scaler, X, 0, source) if scaler is not None else X


def _check_fits(X: Array, scaler: Any, net: Network, source: _Source) -> None:
    """A float32 network's inputs must fit float32: name the file, row and column of a
    value that does not (instead of an infinity met later).  ``X`` holds the file's
    values, given to the network after ``scaler`` (None: as they are)."""
    if net.dtype != np.float32:
        return
    from ..utils.validation import row_blocks

    limit = float(np.finfo(np.float32).max)
    for start, block in row_blocks(X, _block_rows(X), "X"):
        Xb = _transform(scaler, block, start, source) if scaler is not None else block
        big = np.abs(Xb) > limit
        if not big.any():
            continue
        i, j = (int(v) for v in np.argwhere(big)[0])
        after = f" ({float(Xb[i, j]):.4g} once standardised as in training)" \
            if scaler is not None else ""
        raise DataError(f"{source.where(start + i, j)}: {float(block[i, j]):g}{after} does not "
                        f"fit float32, the network's dtype (largest {limit:.4g})")


def _predictions(net: Network, X: Array, scaler: Any,
                 source: _Source) -> Iterator[tuple[int, Array]]:
    """``(start, P)`` for each block of rows: scaled as in training, then predicted.

    Block by block, so predicting on a large memory-mapped file needs memory for
    one block only.
    """
    from ..utils.validation import row_blocks

    # the same blocks whether X is in memory or a column range of a file: BLAS groups the
    # rows of a product by block, so other blocks would round a few outputs differently
    per_row = max(X.shape[1] * X.itemsize, 8 * 4 * max(net.layer_sizes), 1)
    rows = max(1, BLOCK_BYTES // per_row)  # the forward pass keeps a few layers
    for start, block in row_blocks(X, rows, "X", exact=True):
        Xb = _transform(scaler, block, start, source) if scaler is not None else block
        yield start, net.predict(Xb)  # (rows, n_out)


def _output_names(net: Network, meta: dict[str, Any]) -> list[str]:
    """The header of ``predict``'s CSV: one column per class for a classifier (``p_cat``
    for a softmax's probabilities, ``y_cat`` for the outputs of another output layer, e.g.
    a squared-error network on one-hot classes), else the target columns."""
    names = meta.get("class_names") or meta.get("classes")
    if names is not None and len(names) == net.n_outputs and net.n_outputs > 1:
        prefix = "p" if net.activations[-1].name == "softmax" else "y"
        return [f"{prefix}_{c}" for c in names]
    if names is not None and net.n_outputs == 1 and len(names) == 2:
        return [f"p_{names[1]}"]
    targets = meta.get("target_names") or []
    if len(targets) == net.n_outputs:
        return list(targets)
    return [f"y{j}" for j in range(net.n_outputs)]


def _predicted_labels(P: Array, meta: dict[str, Any]) -> list[Any] | None:
    classes = meta.get("classes")
    if classes is None:
        return None
    k = (P[:, 0] >= 0.5).astype(int) if P.shape[1] == 1 else P.argmax(axis=1)
    return [classes[i] for i in k]


def _csv_text(P: Array, names: list[str] | None, labels: list[Any] | None) -> str:
    """Predictions as CSV (with a header row unless ``names`` is None); ``repr`` of each
    float reads back to the same number exactly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if names is not None:
        writer.writerow(names + (["predicted"] if labels is not None else []))
    for k, row in enumerate(P.tolist()):
        writer.writerow([repr(v) for v in row] + ([labels[k]] if labels is not None else []))
    return buf.getvalue()


def _write_predictions(f: BinaryIO, blocks: Iterator[tuple[int, Array]], n: int, net: Network,
                       meta: dict[str, Any], npy: bool) -> None:
    """Predictions written block by block: an .npy array (N, n_out), or CSV text."""
    if npy:
        np.lib.format.write_array_header_1_0(f, {
            "descr": np.lib.format.dtype_to_descr(net.dtype), "fortran_order": False,
            "shape": (n, net.n_outputs)})
    for start, P in blocks:
        if npy:
            f.write(np.ascontiguousarray(P, net.dtype).data)
        else:
            names = _output_names(net, meta) if start == 0 else None
            f.write(_csv_text(P, names, _predicted_labels(P, meta)).encode())


# ---------------------------------------------------------------------------
# predict, evaluate, info, datasets
# ---------------------------------------------------------------------------


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


@app.command()
def predict(
    model: ModelArg,
    data: DataArg = None,
    dataset: DatasetOpt = None,
    target: TargetOpt = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write to this .csv or .npy file (default: CSV on stdout).",
        show_default=False)] = None,
    debug: Debug = False,
) -> None:
    """Predict with a saved model: one row of outputs per input row."""
    with _reporting(debug):
        if out is not None and out.suffix.lower() not in (".csv", ".npy"):
            raise ConfigError(f"--out: expected a .csv or .npy file name, got {out}")
        if out is not None:
            _check_writable(out, "--out")
            _check_not_an_input(out, "--out", [(data, "the data file"),
                                               (model, "the model file")])
        net, meta = _load(model)
        X, _, source = _model_data(net, meta, data, dataset, need_targets=False, target=target)
        scaler = _scaler(meta)
        _check_fits(X, scaler, net, source)  # before any output: stdout gets all or nothing
        npy = out is not None and out.suffix.lower() == ".npy"

        def write(f: BinaryIO) -> None:
            _write_predictions(f, _predictions(net, X, scaler, source), X.shape[0], net, meta,
                               npy)

        if out is not None:
            _write_atomic(out, write, "--out")
            return
        stdout = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None
        if stdout is not None:
            sys.stdout.flush()
            write(stdout)
            stdout.flush()
        else:  # a text-only stream (e.g. a test's capture)
            buf = io.BytesIO()
            write(buf)
            typer.echo(buf.getvalue().decode(), nl=False)


@app.command()
def evaluate(
    model: ModelArg,
    data: DataArg = None,
    dataset: DatasetOpt = None,
    target: TargetOpt = None,
    json_output: JsonFlag = False,
    debug: Debug = False,
) -> None:
    """Cost (and accuracy, for classifiers) of a saved model on a data set."""
    from ..train.loop import evaluate as evaluate_network

    with _reporting(debug), contextlib.ExitStack() as stack:
        net, meta = _load(model)
        X, Y, source = _model_data(net, meta, data, dataset, need_targets=True, target=target)
        assert Y is not None
        scaler = _scaler(meta)
        _check_fits(X, scaler, net, source)
        C, acc = evaluate_network(net, _standardized(X, scaler, source, stack), Y,
                                  classification=_classifier(meta))
        src = source.name
        result = {"data": src, "n_examples": int(X.shape[0]), "cost": _plain(C),
                  "cost_name": net.cost.name, "accuracy": _plain(acc)}
        if json_output:
            typer.echo(json.dumps(result))
        else:
            text = f"cost C = {C:.6g} ({net.cost.name}, {X.shape[0]} examples of {src})"
            if acc is not None:
                text += f"; accuracy {acc:.2%}"
            typer.echo(text)


def _info_lines(info: ModelInfo) -> list[str]:
    meta = info.metadata
    sizes = list(info.layer_sizes)
    lines = [
        f"model        {info.path} ({info.file_size:,} bytes, format version "
        f"{info.format_version})",
        f"network      {'-'.join(map(str, sizes))}: {len(sizes) - 2} hidden layer(s), "
        f"{info.n_params:,} parameters, {info.dtype}",
    ]
    for l, act in enumerate(info.activations, 1):
        W = info.tensors.get(f"W{l}")
        shape = "×".join(map(str, W)) if W else "?"
        lines.append(f"  layer {l}    W({l}) {shape}, b({l}) {sizes[l]}, σ = {act}")
    lines.append(f"cost         {info.cost}")
    source = meta.get("dataset") or meta.get("data_file")
    if source:
        lines.append(f"data         {source} ({meta.get('task', '?')})")
    if meta.get("feature_names"):
        lines.append(f"inputs       {', '.join(map(str, meta['feature_names']))}"
                     + ("  (standardised)" if meta.get("standardizer") else ""))
    if meta.get("classes") is not None:
        names = meta.get("class_names") or meta["classes"]
        lines.append(f"classes      {', '.join(map(str, names))}")
    elif meta.get("target_names"):
        lines.append(f"outputs      {', '.join(map(str, meta['target_names']))}")
    t = meta.get("training")
    if isinstance(t, dict):
        batch = "full batch" if t.get("batch_size") is None else f"batches of {t['batch_size']}"
        rate = "" if t.get("learning_rate") is None else f", η = {t.get('learning_rate')}"
        lines.append(f"training     {t.get('status')}: {t.get('optimizer')}{rate}, "
                     f"{t.get('epochs_run')}/{t.get('epochs')} epochs, "
                     f"{batch}, seed {t.get('seed')}, {t.get('seconds')} s")
        if t.get("final_cost") is not None:
            text = f"final cost   C = {t['final_cost']:.6g}"
            if t.get("final_val_cost") is not None:
                text += f", validation C = {t['final_val_cost']:.6g}"
            if t.get("final_accuracy") is not None:
                text += f", training accuracy {t['final_accuracy']:.1%}"
            if t.get("final_val_accuracy") is not None:
                text += f", validation accuracy {t['final_val_accuracy']:.1%}"
            lines.append(text)
    return lines


@app.command()
def info(model: ModelArg, json_output: JsonFlag = False, debug: Debug = False) -> None:
    """Architecture, cost, dtype, parameter count and training summary of a model file."""
    from ..io.model_file import read_model_info

    with _reporting(debug):
        mi = read_model_info(model)
        if json_output:
            typer.echo(json.dumps({
                "path": os.fspath(mi.path), "format_version": mi.format_version,
                "layer_sizes": list(mi.layer_sizes), "activations": list(mi.activations),
                "cost": mi.cost, "dtype": mi.dtype, "n_params": mi.n_params,
                "file_size": mi.file_size, "metadata": mi.metadata}))
        else:
            typer.echo("\n".join(_info_lines(mi)))


@app.command()
def datasets(json_output: JsonFlag = False, debug: Debug = False) -> None:
    """The built-in data sets, with their sizes and a one-line description."""
    from ..data.datasets import describe_datasets

    with _reporting(debug):
        rows = describe_datasets()
        if json_output:
            typer.echo(json.dumps([r._asdict() for r in rows]))
            return
        from rich.table import Table

        table = Table("name", "task", "examples", "inputs", "outputs", "description",
                      box=None, pad_edge=False)
        for r in rows:
            table.add_row(r.name, r.task, str(r.n_examples), str(r.n_features),
                          str(r.n_outputs), r.description)
        _print_rich(lambda console: console.print(table))


# ---------------------------------------------------------------------------
# landscape, explain, tour
# ---------------------------------------------------------------------------


# The cost grid C of `landscape` (resolution² float64 values) may take at most this much memory.
MAX_GRID_BYTES = 256 * 2**20


def _check_resolution(resolution: int) -> None:
    """At least 2 points per axis, and a grid that fits :data:`MAX_GRID_BYTES`."""
    if resolution < 2:
        raise ConfigError(f"--resolution: expected at least 2 points, got {resolution}")
    most = math.isqrt(MAX_GRID_BYTES // 8)
    if resolution > most:
        size = resolution * resolution * 8
        raise ConfigError(f"--resolution: {resolution} points per axis make a {resolution}×"
                          f"{resolution} grid ({size / 2**30:.3g} GiB of float64); "
                          f"at most {most}")


def _range(text: str | None, option: str, n: int, param: str, net: Network) -> Array:
    """``n`` grid values from ``LOW,HIGH``; by default ±4 around the parameter's value."""
    from ..nn.landscape import default_values

    if text is None:
        return default_values(float(net.params[net.flat_index(param)]), n=n)
    lo, hi = _numbers(text, option, 2)
    if not lo < hi:
        raise ConfigError(f"{option}: expected LOW,HIGH with LOW < HIGH, got {text!r}")
    if not math.isfinite(hi - lo):  # the spacing (HIGH − LOW) / (n − 1) could not be computed
        raise ConfigError(f"{option}: {text!r} spans more than the largest float64 "
                          f"({sys.float_info.max:.4g}); choose a narrower range")
    values = np.linspace(lo, hi, n)
    if not np.all(np.diff(values) > 0):
        raise ConfigError(f"{option}: {n} grid points between {lo!r} and {hi!r} are too close "
                          "to tell apart in float64; choose a wider range or a lower "
                          "--resolution")
    return values


def _param_index(net: Network, param: str, option: str) -> int:
    """Where ``param`` (``W1[0,2]``) lies in the network's parameters; its error names
    ``option``."""
    try:
        return net.flat_index(param)
    except ConfigError as exc:
        reason = str(exc).split(": ", 1)[-1]  # drop the library's argument name
        raise ConfigError(f"{option}: {reason}") from None


@app.command()
def landscape(
    model: Annotated[Path | None, typer.Option(
        help="A model file (default: the seed's NOT neuron, tanh, examples (0,1) and (1,0)).",
        show_default=False)] = None,
    data: Annotated[Path | None, typer.Option(
        help="Data for the cost (default: the model's built-in training set).",
        show_default=False)] = None,
    dataset: DatasetOpt = None,
    param_x: Annotated[str, typer.Option(help="The parameter along x, e.g. W1[0,0].")]
        = "W1[0,0]",
    param_y: Annotated[str, typer.Option(help="The parameter along y, e.g. b1[0].")] = "b1[0]",
    x_range: Annotated[str | None, typer.Option(
        help="LOW,HIGH of the x axis (default: ±4 around the current value; the NOT toy: "
             "-4,4).", show_default=False)] = None,
    y_range: Annotated[str | None, typer.Option(
        help="LOW,HIGH of the y axis.", show_default=False)] = None,
    resolution: Annotated[int, typer.Option(help="Grid points along each axis.")] = 201,
    start: Annotated[str | None, typer.Option(
        help="X,Y where the gradient-descent path starts (default: the current values).",
        show_default=False)] = None,
    lr: Annotated[float, typer.Option("--lr", help="Step size η of the descent path.")] = 0.5,
    steps: Annotated[int, typer.Option(
        min=0, help="Steps of the descent path (0: no path).")] = 50,
    out: Annotated[Path, typer.Option("--out", "-o", help="The PNG to write.")]
        = Path("landscape.png"),
    json_output: JsonFlag = False,
    debug: Debug = False,
) -> None:
    """Contour map of the cost over two parameters, with the gradient-descent path."""
    from ..nn.landscape import cost_surface, descent_path, not_toy

    with _reporting(debug):
        _check_resolution(resolution)
        if steps > 0:
            _positive(lr, "--lr")
        if out.suffix.lower() != ".png":
            raise ConfigError(f"--out: expected a .png file name, got {out}")
        _check_writable(out, "--out")
        _check_not_an_input(out, "--out", [(model, "the --model file"),
                                           (data, "the --data file")])
        if model is None:
            if data is not None or dataset is not None:
                raise ConfigError("--data/--dataset: need --model (the NOT toy has its own data)")
            net, X, Y = not_toy()
            source = "the seed's NOT neuron on (0, 1) and (1, 0)"
            x_range = x_range or "-4,4"
            y_range = y_range or "-4,4"
        else:
            net, meta = _load(model)
            X_raw, Y_opt, src = _model_data(net, meta, data, dataset, need_targets=True,
                                            data_option="--data")
            assert Y_opt is not None
            _check_fits(X_raw, _scaler(meta), net, src)
            X, Y, source = _transform_all(X_raw, meta, src), Y_opt, src.name
        if _param_index(net, param_x, "--param-x") == _param_index(net, param_y, "--param-y"):
            raise ConfigError(f"--param-y: must differ from --param-x (both name {param_x})")
        xs = _range(x_range, "--x-range", resolution, param_x, net)
        ys = _range(y_range, "--y-range", resolution, param_y, net)
        land = cost_surface(net, X, Y, param_x, param_y, xs, ys)
        path = None
        if steps > 0:
            begin = tuple(_numbers(start, "--start", 2)) if start is not None else None
            path = descent_path(net, X, Y, param_x, param_y, start=begin, learning_rate=lr,
                                n_steps=steps)
        from ..viz.plots import plot_landscape

        _files_only_backend()
        _save_plot(plot_landscape(land, path=path), out)
        j, i = np.unravel_index(int(np.argmin(land.C)), land.C.shape)
        result: dict[str, Any] = {
            "png": os.fspath(out), "source": source, "param_x": land.param_x,
            "param_y": land.param_y, "x_range": [float(land.xs[0]), float(land.xs[-1])],
            "y_range": [float(land.ys[0]), float(land.ys[-1])],
            "resolution": [int(land.xs.size), int(land.ys.size)],
            "min_cost": float(land.C[j, i]), "argmin": [float(land.xs[i]), float(land.ys[j])],
        }
        if path is not None:
            result["path"] = {"start": path.points[0].tolist(), "end": path.points[-1].tolist(),
                              "cost_start": float(path.costs[0]),
                              "cost_end": float(path.costs[-1]), "steps": steps}
        if json_output:
            typer.echo(json.dumps(result))
            return
        typer.echo(f"wrote {out}: C over {land.label_x} in [{land.xs[0]:g}, {land.xs[-1]:g}] and "
                   f"{land.label_y} in [{land.ys[0]:g}, {land.ys[-1]:g}] ({land.xs.size}×"
                   f"{land.ys.size} grid) for {source}; white = low cost, black = high")
        typer.echo(f"lowest C on the grid = {land.C[j, i]:.4g} at ({land.xs[i]:.3g}, "
                   f"{land.ys[j]:.3g})")
        if path is not None:
            p0, p1 = path.points[0], path.points[-1]
            typer.echo(f"gradient descent (η = {lr:g}, {steps} steps): ({p0[0]:.3g}, "
                       f"{p0[1]:.3g}) → ({p1[0]:.3g}, {p1[1]:.3g}), C = {path.costs[0]:.4g} → "
                       f"{path.costs[-1]:.4g}")


def _class_of(text: str, classes: list[Any], names: list[str]) -> Any | None:
    """The class that ``text`` names: a label as stored (``7`` also as ``7.0``) or a class name."""
    for c in classes:
        if str(c) == text:
            return c
    if text in names and len(names) == len(classes):
        return classes[names.index(text)]
    try:
        number = float(text)
    except ValueError:
        return None
    for c in classes:
        if isinstance(c, int | float) and not isinstance(c, bool) and c == number:
            return c
    return None


def _example_targets(text: str, net: Network, meta: dict[str, Any]) -> Array:
    """``--y``: the outputs, comma-separated; for a classifier, one class label instead.

    For a classifier the whole text is first looked up among its classes (the
    labels in the model's metadata, or their names), so a label with a comma is
    still a label; otherwise it is the outputs: comma-separated numbers (a one-hot
    row), or, for a single-output classifier, one number in [0, 1].
    """
    classes = meta.get("classes")
    text = text.strip()
    if classes is None:
        return np.asarray(_numbers(text, "--y", net.n_outputs))
    names = [str(c) for c in (meta.get("class_names") or [])]
    label = _class_of(text, list(classes), names)
    if label is not None:
        Y, _ = _encode_labels(np.asarray([label]), classes, net.cost.name, "--y")
        return Y[0]
    if "," in text or ";" in text:
        return np.asarray(_numbers(text, "--y", net.n_outputs))
    value = _as_number(text)
    if net.n_outputs == 1 and value is not None and 0 <= value <= 1:
        return np.asarray([value])
    known = ", ".join(repr(c) for c in classes)  # quoted: a label may hold a comma
    if names and names != [str(c) for c in classes]:
        known += f" (or by name: {', '.join(repr(n) for n in names)})"
    outputs = ("its 1 output, a number in [0, 1]" if net.n_outputs == 1
               else f"its {net.n_outputs} outputs, comma-separated")
    raise ConfigError(f"--y: {text!r} is not a class of this model; its classes are "
                      f"{known}; or give {outputs}")


@app.command(name="explain")
def explain_command(
    model: ModelArg,
    x: Annotated[str | None, typer.Option(
        "--x", help="One input, comma-separated (raw units; the stored scaling is applied).",
        show_default=False)] = None,
    y: Annotated[str | None, typer.Option(
        "--y", help="Its target: the outputs, comma-separated, or a class label.",
        show_default=False)] = None,
    data: Annotated[Path | None, typer.Option(
        help="Average over a data set instead of one example.", show_default=False)] = None,
    dataset: DatasetOpt = None,
    param: Annotated[str, typer.Option(help="The parameter θ, e.g. W1[0,2] or b2[1].")]
        = "W1[0,0]",
    example: Annotated[int, typer.Option(help="Which example's factors to show.")] = 0,
    latex: Annotated[Path | None, typer.Option(help="Also write the chain in LaTeX here.",
                                               show_default=False)] = None,
    json_output: JsonFlag = False,
    debug: Debug = False,
) -> None:
    """The chain rule for one weight: every factor, its value, back-prop and finite differences."""
    from ..nn.ledger import explain as explain_network

    with _reporting(debug):
        if latex is not None:
            _check_writable(latex, "--latex")
            _check_not_an_input(latex, "--latex", [(model, "the model file"),
                                                   (data, "the --data file")])
        net, meta = _load(model)
        if (x is None) != (y is None):
            raise ConfigError("--x and --y: give both (one example), or neither with --data")
        if x is not None:
            if data is not None or dataset is not None:
                raise ConfigError("--x/--y: give one example or --data/--dataset, not both")
            X = np.asarray([_numbers(x, "--x", net.n_inputs)])
            Y = _example_targets(y or "", net, meta)[None, :]
            _check_fits(Y, None, net, _Source("--y", _output_names(net, meta)))
            source = _Source("--x", list(meta.get("feature_names") or []))
        else:
            X, Y_opt, source = _model_data(net, meta, data, dataset, need_targets=True,
                                           data_option="--data")
            assert Y_opt is not None
            Y = Y_opt
        _check_fits(X, _scaler(meta), net, source)
        _param_index(net, param, "--param")
        ledger = explain_network(net, _transform_all(X, meta, source), Y, param,
                                 example=example)
        if latex is not None:
            tex = ledger.to_latex() + "\n"
            _write_atomic(latex, lambda f: f.write(tex.encode()), "--latex")
        if json_output:
            typer.echo(json.dumps(_json_ready(ledger.to_dict()), allow_nan=False))
        else:
            _print_rich(ledger.render)
            if latex is not None:
                _say(f"wrote the chain in LaTeX to {latex}")


def _stdout_console() -> Console:
    """Rich output on stdout: a terminal's own width, else wide enough not to wrap tables."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 160, highlight=False)


def _print_rich(draw: Callable[[Console], None]) -> None:
    """Draw with rich on stdout; into a file or pipe as plain text without trailing blanks."""
    from rich.console import Console

    if sys.stdout.isatty():
        draw(_stdout_console())
        return
    buf = io.StringIO()
    draw(Console(file=buf, width=160, highlight=False, color_system=None))
    typer.echo("\n".join(line.rstrip() for line in buf.getvalue().splitlines()))


@app.command()
def tour(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the pictures.")]
        = Path("tour-output"),
    heart: Annotated[bool, typer.Option(
        "--heart/--no-heart", help="End with the heart-curve network (about 2 s).")] = True,
    debug: Debug = False,
) -> None:
    """Walk through the seed exercise, question by question, with the library."""
    from ..tour import run_tour

    with _reporting(debug):
        _check_writable(out / "q2_landscape.png", "--out")
        run_tour(out, _stdout_console(), train_heart=heart)


@app.command()
def export(
    model: ModelArg,
    onnx_path: Annotated[Path | None, typer.Option(
        "--onnx", help="The .onnx file to write.", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", hidden=True, help="The same as --onnx.", show_default=False)] = None,
    debug: Debug = False,
) -> None:
    """Write a saved model as ONNX: input X (N, n_in) in the data's own units, output Y.

    The model's stored input standardisation is part of the graph (Sub, Div
    before the first layer, in float64 as `chainrule predict` does it), so the
    ONNX model takes the same raw inputs, as float64.
    """
    from ..interop import to_onnx

    with _reporting(debug):
        if onnx_path is not None and out is not None:
            raise ConfigError("--onnx and --out: give one (--out is another name for --onnx)")
        path = onnx_path if onnx_path is not None else out
        if path is None:
            raise ConfigError("--onnx: give the .onnx file to write, e.g. --onnx model.onnx")
        option = "--onnx" if onnx_path is not None else "--out"
        if path.suffix.lower() != ".onnx":
            raise ConfigError(f"{option}: expected an .onnx file name, got {path}")
        _check_writable(path, option)
        _check_not_an_input(path, option, [(model, "the model file")])
        net, meta = _load(model)
        scaler = _scaler(meta)
        scaling = None if scaler is None else (scaler.mean_, scaler.scale_)
        _make_folder(path.parent, option)
        to_onnx(net, path, input_scaling=scaling)
        x_type = "float64" if scaler is not None else net.dtype.name
        typer.echo(f"wrote {path}: {'-'.join(map(str, net.layer_sizes))} network, "
                   f"{net.dtype.name}, input X ({x_type}, {net.n_inputs} columns"
                   + (", standardised inside the graph" if scaler is not None else "")
                   + f"), output Y ({net.n_outputs} columns)")
