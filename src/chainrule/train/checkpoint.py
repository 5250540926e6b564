"""Training checkpoints: the whole state of a run, saved atomically, resumed bit for bit.

A checkpoint is a safetensors file, like a model file, but it holds the state of a
run (the plain data of :meth:`~chainrule.train.Trainer.state_dict`) rather than a
network alone; this module knows the file format, not the training loop::

    [ 8 bytes: n, little-endian u64 ][ n bytes: UTF-8 JSON header ][ raw tensor bytes ]

Arrays are tensors: ``params`` (the flat θ), the optimiser's moments
(``optimizer.m``, ``optimizer.v`` or ``optimizer.velocity``), the epoch's
permutation ``perm``, ``best_params``, the validation split
(``val_indices``, ``train_indices``) and the per-epoch history
(``history.cost``, ...).  Everything else is one JSON document under the
header's ``__metadata__["chainrule"]``: format and version, the network's
architecture, the training options, the data's shape and fingerprint, and the
scalar state (epoch, batch, the random generator's full bit-generator state,
optimiser step count, schedule state).  Finite floats are stored as JSON numbers
(Python writes the shortest text that reads back to the same double); NaN and
infinities as the strings ``"nan"``, ``"inf"``, ``"-inf"``.  Format version 2 adds
the epoch's running L2 penalty sum (``epoch_penalty_sum``); version 1 files are
read with it 0.

Writing keeps the previous checkpoint: the new file is written to a temporary
file in the same folder and fsync'ed; the current ``PATH`` is then hard-linked
to ``PATH.prev`` and the new file renamed over ``PATH``.  A crash at any moment
leaves at least one complete checkpoint.  Loading never unpickles or evaluates
anything; every malformed file raises :class:`CheckpointError`
(a :class:`~chainrule.errors.ModelFileError`), and
:func:`load_latest_checkpoint` falls back to ``PATH.prev`` when ``PATH`` is
damaged, with a :class:`CheckpointWarning` saying so.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import secrets
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..errors import ChainruleError, ConfigError, ModelFileError
from ..io import safetensors_file as st
from ..nn.activations import get_activation
from ..nn.costs import get_cost
from ..nn.network import Network
from ..optim.schedules import get_schedule
from ..optim.solvers import make_solver, solver_class
from ..utils.files import atomic_write, os_error_reason
from ..utils.validation import FileRows

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Checkpoint",
    "CheckpointError",
    "CheckpointWarning",
    "check_compatible",
    "checksum",
    "data_summary",
    "fingerprint",
    "fingerprint_rows",
    "load_checkpoint",
    "load_latest_checkpoint",
    "network_config",
    "previous_path",
    "save_checkpoint",
]

FORMAT = "chainrule-checkpoint"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
METADATA_KEY = "chainrule"
CHECKSUM_KEY = "chainrule.checksum"  # BLAKE2b of the document and every tensor's bytes
PREV_SUFFIX = ".prev"

# A checkpoint header is a few kB (the history lives in tensors); 16 MiB is generous.
MAX_HEADER_BYTES = 16 * 2**20

_DTYPES = {"F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "I64": np.dtype("<i8")}
_FLOAT_CODE = {"float64": "F64", "float32": "F32"}
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937")
_HISTORY_FLOATS = ("cost", "val_cost", "accuracy", "val_accuracy", "learning_rate", "seconds")
_INDEX_ARRAYS = ("perm", "val_indices", "train_indices")
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class CheckpointError(ModelFileError):
    """A checkpoint file is missing, damaged, or not a chainrule checkpoint."""


class CheckpointWarning(UserWarning):
    """Resuming had to fall back to the previous checkpoint."""


_KIND = st.FileKind(error=CheckpointError, noun="checkpoint",
                    label="a valid chainrule checkpoint", missing="no such checkpoint file",
                    max_header_bytes=MAX_HEADER_BYTES)


@dataclass(frozen=True)
class Checkpoint:
    """A checked checkpoint, as read by :func:`load_checkpoint`.

    Attributes
    ----------
    path : Path
        The file it was read from (``PATH`` or ``PATH.prev``).
    network : dict
        ``layer_sizes``, ``activations``, ``cost``, ``dtype``.
    training : dict
        The options of the run (optimiser, learning rate, batch size, ...).
    data : dict
        ``n_examples``, ``n_features``, ``n_outputs``, ``fingerprint``,
        ``validation`` (the explicit validation set's summary, or None).
    state : dict
        In the layout of :meth:`~chainrule.train.Trainer.state_dict`.
    """

    path: Path
    network: dict[str, Any]
    training: dict[str, Any]
    data: dict[str, Any]
    state: dict[str, Any]

    @property
    def epoch(self) -> int:
        """Epochs completed."""
        return int(self.state["epoch"])

    @property
    def batch(self) -> int:
        """Batches completed in the epoch under way."""
        return int(self.state["batch"])

    def build_network(self) -> Network:
        """A :class:`Network` holding the checkpoint's parameters."""
        cfg = self.network
        net = Network(cfg["layer_sizes"], list(cfg["activations"]), cost=cfg["cost"],
                      dtype=cfg["dtype"])
        net.params[...] = self.state["params"]
        return net


# ---------------------------------------------------------------------------
# What a run is: architecture, options, data
# ---------------------------------------------------------------------------


def previous_path(path: str | os.PathLike[str]) -> Path:
    """Where the previous checkpoint is kept: ``PATH.prev``."""
    p = Path(path)
    return p.with_name(p.name + PREV_SUFFIX)


def network_config(network: Network) -> dict[str, Any]:
    """The architecture a checkpoint must match: sizes, activations, cost, dtype."""
    return {
        "layer_sizes": [int(n) for n in network.layer_sizes],
        "activations": [a.name for a in network.activations],
        "cost": network.cost.name,
        "dtype": network.dtype.name,
    }


def fingerprint_rows(n: int) -> np.ndarray:
    """The rows a fingerprint reads of an array of ``n`` rows: up to 64, evenly spaced."""
    return np.unique(np.linspace(0, n - 1, num=min(n, 64)).astype(np.int64))


def fingerprint(parts: Sequence[tuple[tuple[int, ...], np.ndarray]]) -> str:
    """A digest of ``(shape, rows)`` pairs: each array's shape and its
    :func:`fingerprint_rows` (however they were read: a cluster's data has the same)."""
    h = hashlib.blake2b(digest_size=16)
    for shape, picked in parts:
        h.update(json.dumps(list(shape)).encode())
        h.update(np.ascontiguousarray(picked, dtype="<f8").tobytes())
    return h.hexdigest()


def _fingerprint(*arrays: np.ndarray) -> str:
    """A cheap digest of the shapes and of up to 64 evenly spaced rows of each array.

    It tells a different data set apart without reading a memory-mapped file whole.
    """
    parts = []
    for A in arrays:
        rows = fingerprint_rows(A.shape[0])
        reader = FileRows.open(A, "X")  # None unless rows can be read from a file
        if reader is None:
            picked = A[rows]
        else:  # positional reads: a memmap's pages are not mapped into the process
            with reader:
                picked = reader.take(rows, A.dtype)
        parts.append((A.shape, picked))
    return fingerprint(parts)


def data_summary(X: np.ndarray, Y: np.ndarray,
                 validation: tuple[np.ndarray | None, ...] | None = None,
                 sample_weight: np.ndarray | None = None) -> dict[str, Any]:
    """Shape and fingerprint of the training data (and of an explicit validation set).

    ``validation`` is ``(X_val, Y_val)`` or ``(X_val, Y_val, weights or None)``; sample
    weights, where there are any, count in the fingerprints.
    """
    val = None
    if validation is not None:
        arrays = [A for A in validation if A is not None]
        val = {"n_examples": int(arrays[0].shape[0]), "fingerprint": _fingerprint(*arrays)}
    weights = () if sample_weight is None else (sample_weight,)
    return {
        "n_examples": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "n_outputs": int(Y.shape[1]),
        "fingerprint": _fingerprint(X, Y, *weights),
        "validation": val,
    }


def check_compatible(ck: Checkpoint, network: dict[str, Any], training: dict[str, Any],
                     data: dict[str, Any]) -> None:
    """Refuse to resume ``ck`` with another architecture, other options or other data.

    Raises
    ------
    ConfigError
        Naming what differs, the checkpoint's value and the new one.
    """
    where = f"checkpoint: cannot resume from {ck.path}"
    for key in ("layer_sizes", "activations", "cost", "dtype"):
        if ck.network[key] != network[key]:
            raise ConfigError(f"{where}: it was written for a network with {key} "
                              f"{ck.network[key]}, this network has {network[key]}")
    old = (ck.data["n_examples"], ck.data["n_features"], ck.data["n_outputs"])
    new = (data["n_examples"], data["n_features"], data["n_outputs"])
    if old != new:
        raise ConfigError(f"{where}: it was written for data of {old[0]} examples with "
                          f"{old[1]} features and {old[2]} outputs, got {new[0]} examples with "
                          f"{new[1]} features and {new[2]} outputs")
    if ck.data["fingerprint"] != data["fingerprint"]:
        raise ConfigError(f"{where}: the data has the same shape but different values than "
                          "the data it was written for")
    if ck.data["validation"] != data["validation"]:
        raise ConfigError(f"{where}: the validation data differs from the one it was "
                          "written with")
    for key, value in training.items():
        saved = ck.training.get(key)
        if key == "random_state" and (saved is None or value is None):
            # the generator's state is in the checkpoint; an integer random_state is only checked
            continue
        if saved != value:
            raise ConfigError(f"{where}: {key} was {saved!r} when it was written, now "
                              f"{value!r}; resume with the same options, or start afresh "
                              "without resuming")


# ---------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------


def _plain(x: object) -> Any:
    """``x`` as JSON-ready Python values; non-finite floats become strings."""
    if isinstance(x, bool | np.bool_):
        return bool(x)
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        f = float(x)
        if math.isfinite(f):
            return f
        return "nan" if math.isnan(f) else ("inf" if f > 0 else "-inf")
    if isinstance(x, np.ndarray):
        return [_plain(v) for v in x.tolist()]
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if x is None or isinstance(x, str):
        return x
    raise ConfigError(f"checkpoint: cannot store a value of type {type(x).__name__}")


def _serialise(state: dict[str, Any], network: dict[str, Any], training: dict[str, Any],
               data: dict[str, Any]) -> bytes:
    """The checkpoint's bytes: arrays as tensors, everything else in the JSON document."""
    tensors: dict[str, np.ndarray] = {"params": state["params"]}
    opt_scalars = {}
    for key, value in state["optimizer"].items():
        if isinstance(value, np.ndarray):
            tensors[f"optimizer.{key}"] = value
        else:
            opt_scalars[key] = _plain(value)
    if state["best_params"] is not None:
        tensors["best_params"] = state["best_params"]
    for key in _INDEX_ARRAYS:
        if state[key] is not None:
            tensors[key] = np.ascontiguousarray(state[key], dtype=np.int64)
    hist = state["history"]
    tensors["history.epoch"] = np.asarray(hist["epoch"], dtype=np.int64)
    for key in _HISTORY_FLOATS:
        tensors[f"history.{key}"] = np.asarray(hist[key], dtype=np.float64)
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "network": _plain(network),
        "training": _plain(training),
        "data": _plain(data),
        "state": {
            "epoch": int(state["epoch"]),
            "batch": int(state["batch"]),
            "epoch_cost_sum": _plain(state["epoch_cost_sum"]),
            "epoch_penalty_sum": _plain(state["epoch_penalty_sum"]),
            "epoch_correct": int(state["epoch_correct"]),
            "epoch_seconds": _plain(state["epoch_seconds"]),
            "best_score": _plain(state["best_score"]),
            "bar_score": _plain(state.get("bar_score", state["best_score"])),
            "bad_epochs": int(state["bad_epochs"]),
            "rng": _plain(state["rng"]),
            "optimizer": opt_scalars,
            "schedule": _plain(state["schedule"]),
            "history": {"best_epoch": hist["best_epoch"], "stopped_early": hist["stopped_early"],
                        "n_steps": int(hist["n_steps"])},
        },
    }
    text = json.dumps(doc, allow_nan=False, ensure_ascii=False)
    # Imported here: `import chainrule` (which imports training, then this module) needs
    # only NumPy.
    from safetensors.numpy import save as safetensors_bytes

    return safetensors_bytes(tensors, metadata={METADATA_KEY: text,
                                                CHECKSUM_KEY: checksum(text, tensors)})


def checksum(text: str, tensors: dict[str, np.ndarray]) -> str:
    """BLAKE2b (128 bits) of the JSON document and of every tensor: name, dtype, shape, bytes.

    The structural checks of :func:`load_checkpoint` catch a damaged header or a
    truncated file; this catches what they cannot, a changed weight or moment.
    """
    h = hashlib.blake2b(digest_size=16)
    h.update(text.encode())
    for key in sorted(tensors):
        A = np.ascontiguousarray(tensors[key])
        h.update(json.dumps([key, A.dtype.str, list(A.shape)]).encode())
        h.update(A.view(np.uint8).reshape(-1).data if A.size else b"")
    return h.hexdigest()


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any], *,
                    network: dict[str, Any], training: dict[str, Any],
                    data: dict[str, Any]) -> Path:
    """Write a run's ``state`` to ``path``, keeping the previous file as ``PATH.prev``.

    The bytes go to a temporary file in the same folder and are fsync'ed; then
    the current ``path`` (if any) is hard-linked to ``PATH.prev`` and the new
    file renamed over ``path``.  ``path`` therefore always names a complete
    checkpoint, and ``PATH.prev`` the one before it.

    Parameters
    ----------
    path : str or path-like
    state : dict
        The run's state: :meth:`~chainrule.train.Trainer.state_dict`.
    network : dict
        From :func:`network_config`.
    training : dict
        From :func:`~chainrule.train.training_config`.
    data : dict
        From :func:`data_summary`.

    Raises
    ------
    CheckpointError
        If the file cannot be written (missing folder, permission, disk full);
        the existing checkpoints are then left as they were.
    """
    path = Path(path)
    _write_keeping_previous(path, _serialise(state, network, training, data))
    return path


def _write_keeping_previous(path: Path, blob: bytes) -> None:
    """Write ``blob`` as ``path`` atomically; the file it replaces becomes ``PATH.prev``."""
    folder = path.parent
    if path.is_dir():
        raise CheckpointError(f"{path}: cannot write checkpoint: the path is a folder")
    if not folder.is_dir():
        raise CheckpointError(f"{path}: cannot write checkpoint: folder '{folder}' does not "
                              "exist")
    try:
        atomic_write(path, lambda f: f.write(blob), before_replace=lambda: _keep_previous(path))
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot write checkpoint: "
                              f"{os_error_reason(exc, folder)}") from exc


def _keep_previous(path: Path) -> None:
    """Make the checkpoint about to be replaced ``PATH.prev``, leaving ``path`` in place."""
    if not path.is_file():
        return
    link = path.parent / f".{path.name}.link-{secrets.token_hex(6)}"
    try:
        # A hard link keeps `path` in place until the new file replaces it.
        os.link(path, link)
        os.replace(link, previous_path(path))
    except BaseException as exc:
        # Also on KeyboardInterrupt: leave no link behind.
        with contextlib.suppress(OSError):
            os.unlink(link)
        if not isinstance(exc, OSError):
            raise
        # File systems without hard links: for a moment only PATH.prev exists,
        # which load_latest_checkpoint also reads.
        os.replace(path, previous_path(path))


def looks_like_checkpoint(path: str | os.PathLike[str]) -> bool:
    """Whether the start of ``path`` names the checkpoint format (to avoid overwriting others)."""
    try:
        with open(path, "rb") as f:
            head = f.read(8 + 4096)
    except OSError:
        return False
    return len(head) > 8 and FORMAT.encode() in head[8:]


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read and check one checkpoint file (no fallback; see :func:`load_latest_checkpoint`).

    Sizes in the header are checked against the file's size before anything
    is allocated; every tensor, option and state entry is checked before the
    :class:`Checkpoint` is returned.  Nothing is unpickled or evaluated.

    Raises
    ------
    CheckpointError
        If the file is missing, unreadable or malformed; the message names the
        file and the problem.
    """
    name = st.file_name(path)
    with st.reading(name, _KIND):
        with st.open_regular(name, _KIND) as f:
            doc, tensors = _read_file(f, name)
        return _decode(name, doc, tensors)


def load_latest_checkpoint(path: str | os.PathLike[str]) -> Checkpoint | None:
    """The newest loadable checkpoint at ``path``, else ``PATH.prev``; None if neither exists.

    Falling back to ``PATH.prev`` emits a :class:`CheckpointWarning` naming the
    damaged file and the reason.

    Raises
    ------
    CheckpointError
        If a checkpoint exists but neither file loads.
    """
    path = Path(path)
    prev = previous_path(path)
    if not path.exists() and not prev.exists():
        return None
    try:
        return load_checkpoint(path)
    except CheckpointError as exc:
        if not prev.exists():
            raise
        first = exc
    try:
        ck = load_checkpoint(prev)
    except CheckpointError as exc:
        raise CheckpointError(f"{path}: no usable checkpoint: {first}; and the previous one: "
                              f"{exc}") from None
    warnings.warn(f"{first}; resuming from the previous checkpoint {prev} (epoch {ck.epoch}, "
                  f"batch {ck.batch})", CheckpointWarning, stacklevel=2)
    return ck


def _read_file(f: BinaryIO, name: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The JSON document and the checked tensors of a safetensors file."""
    header = st.read_header(f, name, _KIND)
    entries = header.entries
    bad = f"{name}: not a chainrule checkpoint"
    meta = entries.pop("__metadata__", None)
    if not isinstance(meta, dict) or not isinstance(meta.get(METADATA_KEY), str):
        raise CheckpointError(f"{bad}: the header has no chainrule metadata")
    doc = st.loads(meta[METADATA_KEY])
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        what = doc.get("format") if isinstance(doc, dict) else None
        raise CheckpointError(f"{bad}: its format is {str(what)[:60]!r}, expected {FORMAT!r}")
    spans = {key: st.check_entry(name, key, info, header.data_len, _DTYPES, _KIND)
             for key, info in entries.items()}
    st.check_tiling(name, spans, header.data_len, _KIND)
    data = st.read_data(f, name, header, _KIND)
    tensors = {key: st.read_tensor(data, t) for key, t in spans.items()}
    if meta.get(CHECKSUM_KEY) != checksum(meta[METADATA_KEY], tensors):
        what = "has no checksum" if CHECKSUM_KEY not in meta else \
            "does not match its checksum (a weight, moment or entry was changed)"
        raise CheckpointError(f"{name}: damaged checkpoint: its content {what}")
    return doc, tensors


# -- checks of the decoded contents ---------------------------------------------


class _Checker:
    """Field checks that raise CheckpointError naming the file and the field."""

    def __init__(self, name: str):
        self.name = name

    def fail(self, what: str) -> CheckpointError:
        return CheckpointError(f"{self.name}: damaged checkpoint: {what}")

    def dict(self, d: Any, field: str, keys: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(d, dict):
            raise self.fail(f"{field} must be a JSON object")
        missing = [k for k in keys if k not in d]
        if missing:
            raise self.fail(f"{field} lacks {', '.join(missing)}")
        return d

    def int(self, x: Any, field: str, low: int = 0, optional: bool = False) -> int | None:
        if x is None and optional:
            return None
        if type(x) is not int or x < low:
            raise self.fail(f"{field} must be an integer >= {low}, got {str(x)[:40]}")
        return x

    def float(self, x: Any, field: str) -> float:
        if isinstance(x, str) and x in _NONFINITE:
            return _NONFINITE[x]
        if type(x) not in (int, float):
            raise self.fail(f"{field} must be a number, got {str(x)[:40]}")
        return float(x)

    def bool(self, x: Any, field: str) -> bool:
        if type(x) is not bool:
            raise self.fail(f"{field} must be true or false, got {str(x)[:40]}")
        return x

    def vector(self, tensors: dict[str, np.ndarray], key: str, size: int, dtype: np.dtype,
               finite: bool = True) -> np.ndarray:
        if key not in tensors:
            raise self.fail(f"tensor {key!r} is missing")
        arr = tensors.pop(key)
        if arr.shape != (size,) or arr.dtype != dtype:
            raise self.fail(f"tensor {key!r} has shape {list(arr.shape)} of {arr.dtype}, "
                            f"expected [{size}] of {dtype}")
        if finite and not np.isfinite(arr).all():
            raise self.fail(f"tensor {key!r} holds NaN or infinity")
        return arr


def _floats_back(d: dict[str, Any]) -> dict[str, Any]:
    """Undo :func:`_plain`'s strings for non-finite floats."""
    return {k: _NONFINITE[v] if isinstance(v, str) and v in _NONFINITE else v
            for k, v in d.items()}


def _decode(name: str, doc: dict[str, Any], tensors: dict[str, np.ndarray]) -> Checkpoint:
    c = _Checker(name)
    version = doc.get("format_version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise c.fail(f"format_version is {str(version)[:20]}, expected {FORMAT_VERSION}")
    c.dict(doc, "the document", ("network", "training", "data", "state"))
    network = _check_network(c, doc["network"])
    sizes = network["layer_sizes"]
    n_params = sum(n * (p + 1) for p, n in pairwise(sizes))
    training = _check_training(c, doc["training"])
    data = _check_data(c, doc["data"], sizes)
    penalty_key = ("epoch_penalty_sum",) if version >= 2 else ()  # 0 in version 1's files
    s = c.dict(doc["state"], "state", ("epoch", "batch", "epoch_cost_sum", "epoch_correct",
                                       "epoch_seconds", "best_score", "bad_epochs", "rng",
                                       "optimizer", "schedule", "history", *penalty_key))
    float_dtype = _DTYPES[_FLOAT_CODE[network["dtype"]]].newbyteorder("=")
    state: dict[str, Any] = {
        "params": c.vector(tensors, "params", n_params, float_dtype),
        "epoch": c.int(s["epoch"], "state.epoch"),
        "batch": c.int(s["batch"], "state.batch"),
        "epoch_cost_sum": c.float(s["epoch_cost_sum"], "state.epoch_cost_sum"),
        "epoch_penalty_sum": c.float(s.get("epoch_penalty_sum", 0.0), "state.epoch_penalty_sum"),
        "epoch_correct": c.int(s["epoch_correct"], "state.epoch_correct"),
        "epoch_seconds": c.float(s["epoch_seconds"], "state.epoch_seconds"),
        "best_score": c.float(s["best_score"], "state.best_score"),
        # older files lack it: there the best score was the bar
        "bar_score": c.float(s.get("bar_score", s["best_score"]), "state.bar_score"),
        "bad_epochs": c.int(s["bad_epochs"], "state.bad_epochs"),
        "rng": _check_rng(c, s["rng"]),
    }
    state["best_params"] = (c.vector(tensors, "best_params", n_params, float_dtype)
                            if "best_params" in tensors else None)
    state["optimizer"] = _check_optimizer(c, training, s["optimizer"], tensors, n_params,
                                          float_dtype)
    state["schedule"] = _check_schedule(c, training, s["schedule"])
    _check_indices(c, state, tensors, training, data["n_examples"])
    state["history"] = _check_history(c, s["history"], tensors, state["epoch"])
    if tensors:
        raise c.fail(f"unexpected tensors {', '.join(sorted(tensors))[:200]}")
    return Checkpoint(Path(name), network, training, data, state)


def _check_network(c: _Checker, d: Any) -> dict[str, Any]:
    d = c.dict(d, "network", ("layer_sizes", "activations", "cost", "dtype"))
    sizes, acts = d["layer_sizes"], d["activations"]
    if (not isinstance(sizes, list) or not 2 <= len(sizes) <= 1000
            or not all(type(n) is int and 1 <= n <= 2**31 for n in sizes)):
        raise c.fail(f"network.layer_sizes must list positive integers, got {str(sizes)[:60]}")
    if (not isinstance(acts, list) or len(acts) != len(sizes) - 1
            or not all(isinstance(a, str) for a in acts)):
        raise c.fail(f"network.activations must name one activation per layer, "
                     f"got {str(acts)[:60]}")
    try:
        for a in acts:
            get_activation(a)
        get_cost(d["cost"])
    except ConfigError as exc:
        raise c.fail(f"network: {exc}") from None
    if d["dtype"] not in _FLOAT_CODE:
        raise c.fail(f"network.dtype is {str(d['dtype'])[:20]!r}, expected float64 or float32")
    return {k: d[k] for k in ("layer_sizes", "activations", "cost", "dtype")}


_TRAINING_KEYS = ("optimizer", "learning_rate", "optimizer_options", "schedule",
                  "schedule_options", "batch_size", "shuffle", "l2", "early_stopping", "patience",
                  "tol", "restore_best", "validation_split", "random_state")


def _check_training(c: _Checker, d: Any) -> dict[str, Any]:
    d = c.dict(d, "training", _TRAINING_KEYS)
    try:
        checkpointable = solver_class(d["optimizer"]).checkpointable
    except ConfigError:
        checkpointable = False
    if not checkpointable:
        raise c.fail(f"training.optimizer is {str(d['optimizer'])[:20]!r}")
    for key in ("optimizer_options", "schedule_options"):
        c.dict(d[key], f"training.{key}", ())
    c.int(d["batch_size"], "training.batch_size", low=1, optional=True)
    c.int(d["patience"], "training.patience", low=1)
    c.int(d["random_state"], "training.random_state", optional=True)
    for key in ("shuffle", "early_stopping", "restore_best"):
        c.bool(d[key], f"training.{key}")
    for key in ("learning_rate", "l2", "tol", "validation_split"):
        c.float(d[key], f"training.{key}")
    try:  # the constructors check every option
        make_solver(d["optimizer"], d["learning_rate"], **d["optimizer_options"])
    except (ChainruleError, TypeError) as exc:
        raise c.fail(f"training options: {exc}") from None
    training = {k: d[k] for k in _TRAINING_KEYS}
    _load_schedule(c, training, {})
    return training


def _check_data(c: _Checker, d: Any, sizes: list[int]) -> dict[str, Any]:
    d = c.dict(d, "data", ("n_examples", "n_features", "n_outputs", "fingerprint",
                           "validation"))
    c.int(d["n_examples"], "data.n_examples", low=1)
    if d["n_features"] != sizes[0] or d["n_outputs"] != sizes[-1]:
        raise c.fail(f"data has {str(d['n_features'])[:20]} features and "
                     f"{str(d['n_outputs'])[:20]} outputs, the network {sizes[0]} and "
                     f"{sizes[-1]}")
    if not isinstance(d["fingerprint"], str) or len(d["fingerprint"]) > 128:
        raise c.fail("data.fingerprint must be a short string")
    val = d["validation"]
    if val is not None:
        c.dict(val, "data.validation", ("n_examples", "fingerprint"))
    return {k: d[k] for k in ("n_examples", "n_features", "n_outputs", "fingerprint",
                              "validation")}


def _check_rng(c: _Checker, rng: Any) -> dict[str, Any]:
    c.dict(rng, "state.rng", ("bit_generator", "state"))
    kind = rng["bit_generator"]
    if kind not in _BIT_GENERATORS:
        raise c.fail(f"state.rng.bit_generator is {str(kind)[:20]!r}, expected one of "
                     f"{', '.join(_BIT_GENERATORS)}")
    try:  # NumPy checks the state when it is set
        getattr(np.random, kind)().state = rng
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise c.fail(f"state.rng is not a valid {kind} state ({exc})") from None
    return rng


def _check_optimizer(c: _Checker, training: dict[str, Any], scalars: Any,
                     tensors: dict[str, np.ndarray], n_params: int,
                     dtype: np.dtype) -> dict[str, Any]:
    c.dict(scalars, "state.optimizer", ())
    opt = make_solver(training["optimizer"], training["learning_rate"],
                      **training["optimizer_options"])
    state: dict[str, Any] = _floats_back(scalars)
    for key in [k for k in tensors if k.startswith("optimizer.")]:
        buf = key.removeprefix("optimizer.")
        if buf not in getattr(opt, "state_buffers", ()):
            raise c.fail(f"tensor {key!r} is not part of the state of {opt.name}")
        state[buf] = c.vector(tensors, key, n_params, dtype)
    if "v" in state and isinstance(state["v"], np.ndarray) and (state["v"] < 0).any():
        raise c.fail("tensor 'optimizer.v' (Adam's mean of squared gradients) is negative")
    try:
        opt.load_state_dict(state)
    except ChainruleError as exc:
        raise c.fail(str(exc)) from None
    return state


def _load_schedule(c: _Checker, training: dict[str, Any], state: dict[str, Any]) -> None:
    """Build the schedule and load its options and ``state`` into it (their check)."""
    try:
        sched = get_schedule(training["schedule"], training["learning_rate"])
        sched.load_state_dict({**sched.state_dict(), **_floats_back(training["schedule_options"]),
                               **state})
    except (ChainruleError, KeyError, TypeError, ValueError) as exc:
        raise c.fail(f"schedule: {exc}") from None


def _check_schedule(c: _Checker, training: dict[str, Any], d: Any) -> dict[str, Any]:
    c.dict(d, "state.schedule", ())
    state = _floats_back(d)
    _load_schedule(c, training, state)
    return state


def _check_indices(c: _Checker, state: dict[str, Any], tensors: dict[str, np.ndarray],
                   training: dict[str, Any], n: int) -> None:
    """The validation split partitions 0..n−1; the permutation orders the training rows."""
    for key in _INDEX_ARRAYS:
        arr = tensors.pop(key, None)
        if arr is not None and (arr.ndim != 1 or arr.dtype.kind != "i"):
            raise c.fail(f"tensor {key!r} must be a vector of integers")
        state[key] = arr
    val, train = state["val_indices"], state["train_indices"]
    if (val is None) != (train is None):
        raise c.fail("val_indices and train_indices must be present together")
    if train is not None and not np.array_equal(np.sort(np.concatenate([val, train])),
                                                np.arange(n)):
        raise c.fail(f"val_indices and train_indices do not split the {n} examples")
    base = np.arange(n) if train is None else np.sort(train)
    B = base.size if training["batch_size"] is None else min(training["batch_size"], base.size)
    n_batches = -(-base.size // B)
    if state["batch"] > n_batches:
        raise c.fail(f"state.batch is {state['batch']}, but an epoch has {n_batches} batches")
    perm = state["perm"]
    if perm is not None and not np.array_equal(np.sort(perm), base):
        raise c.fail("tensor 'perm' is not an ordering of the training examples")
    if state["batch"] > 0 and perm is None:
        raise c.fail("an epoch is under way but tensor 'perm' is missing")


def _check_history(c: _Checker, d: Any, tensors: dict[str, np.ndarray],
                   epoch: int) -> dict[str, Any]:
    d = c.dict(d, "state.history", ("best_epoch", "stopped_early", "n_steps"))
    hist: dict[str, Any] = {
        "epoch": c.vector(tensors, "history.epoch", epoch, np.dtype(np.int64)),
        "best_epoch": c.int(d["best_epoch"], "state.history.best_epoch", low=1, optional=True),
        "stopped_early": c.bool(d["stopped_early"], "state.history.stopped_early"),
        "n_steps": c.int(d["n_steps"], "state.history.n_steps"),
    }
    for key in _HISTORY_FLOATS:
        hist[key] = c.vector(tensors, f"history.{key}", epoch, np.dtype(np.float64),
                             finite=False)
    return hist
