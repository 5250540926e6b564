"""Model files: a network's W(l) and b(l) in the safetensors format, written atomically.

A model file is a plain safetensors file::

    [ 8 bytes: n, little-endian u64 ][ n bytes: UTF-8 JSON header ][ raw tensor bytes ]

holding the tensors ``W1, b1, …, WL, bL`` (1-based as in the exercise; ``W(l)``
has shape ``(n_l, n_{l−1})`` and ``b(l)`` shape ``(n_l,)``) in the network's dtype.
The header's ``__metadata__`` maps one key, ``chainrule``, to a JSON document::

    {"format": "chainrule-model", "format_version": 2, "layer_sizes": [2, 3, 1],
     "activations": ["tanh", "tanh"], "cost": "squared_error", "dtype": "float64",
     "metadata": {...}}       # the model's fields (scaling, classes, ...), then the user's

Format version 2 gives the metadata keys of :mod:`chainrule.io.model_metadata`
(feature names, input scaling, classes, targets, training summary) their meaning
and checks every one against the layer sizes, on writing and on reading; other
keys stay free-form.  ``feature_names`` is null for inputs known by position only.
Version 1 files (chainrule 0.x, whose metadata was free-form) are read through the
same checks: ``chainrule train`` wrote these very fields, so its models load whole;
the only change is that version 1 named the columns of a ``.npy`` or ``.npz``
``x0, x1, …``, which version 2 stores as null (positions).

Reading never unpickles or evaluates anything.  The header is parsed and checked
field by field (the format-level checks live in :mod:`chainrule.io.safetensors_file`,
shared with checkpoints) before a tensor byte is looked at; the tensors are then
read by the ``safetensors`` package, from a memory map.  Every problem becomes a
:class:`~chainrule.errors.ModelFileError` that names the file and what was wrong.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import numpy as np

from ..errors import ChainruleError, ConfigError, ModelFileError
from ..nn.activations import get_activation
from ..nn.costs import get_cost
from ..nn.network import Network
from ..utils.files import atomic_write, os_error_reason, temp_prefix
from . import safetensors_file as st
from .model_metadata import check_metadata

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "READABLE_VERSIONS",
    "ModelInfo",
    "StoredModel",
    "read_model_file",
    "read_model_info",
    "save_model",
    "temp_prefix",
]

FORMAT = "chainrule-model"
FORMAT_VERSION = 2
# Versions this chainrule reads (see the module's docstring for what changed).
READABLE_VERSIONS = (1, 2)
METADATA_KEY = "chainrule"

# The safetensors library refuses headers above 100 MB; a chainrule header is a few kB.
MAX_HEADER_BYTES = 100_000_000

# Our dtype name -> (safetensors dtype code, little-endian NumPy dtype).
_DTYPES = {"float64": ("F64", np.dtype("<f8")), "float32": ("F32", np.dtype("<f4"))}

_KIND = st.FileKind(error=ModelFileError, noun="model", label="a safetensors model",
                    missing="no such file", max_header_bytes=MAX_HEADER_BYTES)


@dataclass(frozen=True)
class ModelInfo:
    """What a model file's header says, read without loading the weights.

    Attributes
    ----------
    path : Path
    format_version : int
    layer_sizes : tuple of int
        ``(n_in, h1, …, n_out)``.
    activations : tuple of str
        One name per layer, output included.
    cost, dtype : str
    n_params : int
        ``Σ_l n_l (n_{l−1} + 1)``.
    file_size : int
        In bytes.
    tensors : dict of str to tuple of int
        Shape of every stored tensor, ``W1, b1, …``.
    metadata : dict
        The free-form metadata given to :func:`save_model`.
    """

    path: Path
    format_version: int
    layer_sizes: tuple[int, ...]
    activations: tuple[str, ...]
    cost: str
    dtype: str
    n_params: int
    file_size: int
    tensors: dict[str, tuple[int, ...]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------


def save_model(path: str | os.PathLike[str], network: Network, *,
               metadata: dict[str, Any] | None = None) -> Path:
    """Write ``network`` to ``path`` as a safetensors model file, atomically.

    The bytes go to a temporary file in the destination's folder, are flushed
    and fsync'ed, and only then renamed over ``path`` (``os.replace``), so a
    crash leaves either the old file or the new one, never half of one.

    Parameters
    ----------
    path : str or path-like
        Destination, conventionally ``*.safetensors``.
    network : Network
        Its parameters must be finite.  A network on another library's device
        (PyTorch, CuPy) is written from a host copy: the same file as from NumPy.
    metadata : dict, optional
        JSON-serialisable data kept with the model: the model's fields
        (:mod:`chainrule.io.model_metadata`: feature names, input scaling,
        classes, ...), checked against the network, and any other keys as
        they are.  NumPy arrays and scalars are stored as lists and numbers;
        tuples come back as lists.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ConfigError
        If ``network`` is not a Network, ``metadata`` cannot be stored as JSON,
        or one of the model's fields does not fit the network (naming the field).
    ModelFileError
        If the file cannot be written (missing or unwritable folder, disk
        full, ...) or the parameters hold NaN or infinity; any existing file at
        ``path`` is then left untouched.
    """
    if not isinstance(network, Network):
        raise ConfigError(f"network: expected a chainrule Network, got {type(network).__name__}")
    if metadata is not None and not isinstance(metadata, dict):
        raise ConfigError(f"metadata: expected a dict or None, got {type(metadata).__name__}")
    path = Path(path)
    if network.namespace is not None:  # on a device: written from a host copy, the same bits
        network = network.copy().move_to(None)
    if not np.isfinite(network.params).all():
        raise ModelFileError(f"{path}: cannot write model: its parameters contain NaN or "
                             "infinity (did training diverge?)")
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "layer_sizes": list(network.layer_sizes),
        "activations": [a.name for a in network.activations],
        "cost": network.cost.name,
        "dtype": network.dtype.name,
        "metadata": metadata if metadata is not None else {},
    }
    tensors = {}
    for l, (W, b) in enumerate(zip(network.W, network.b), 1):
        tensors[f"W{l}"] = W  # (n_l, n_{l-1})
        tensors[f"b{l}"] = b  # (n_l,)
    from safetensors.numpy import (
        save as safetensors_bytes,  # lazily: `import chainrule` stays light
    )

    text = _to_json(doc)
    # the reader's checks, on the stored (JSON) values: a file that is written can be read
    check_metadata(json.loads(text)["metadata"], network.layer_sizes,
                   ConfigError)
    blob = safetensors_bytes(tensors, metadata={METADATA_KEY: text})
    _write_atomic(path, blob)
    return path


def _to_json(doc: dict[str, Any]) -> str:
    def numpy_to_python(obj: object) -> object:
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        if isinstance(obj, np.generic):
            return obj.item()
        raise TypeError(f"{type(obj).__name__} is not JSON serialisable")

    try:
        # allow_nan=False: NaN is not JSON, and the reader refuses it.
        return json.dumps(doc, default=numpy_to_python, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ConfigError(f"metadata: cannot be stored as JSON ({exc})") from None


def _write_atomic(path: Path, blob: bytes) -> None:
    folder = path.parent
    if path.is_dir():
        raise ModelFileError(f"{path}: cannot write model: the path is a folder")
    if not folder.exists():
        raise ModelFileError(f"{path}: cannot write model: folder '{folder}' does not exist")
    if not folder.is_dir():
        raise ModelFileError(f"{path}: cannot write model: '{folder}' is not a folder")
    try:
        atomic_write(path, lambda f: f.write(blob))
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot write model: {os_error_reason(exc, folder)}") \
            from exc


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


class StoredModel(NamedTuple):
    """What a model file holds: the network and its metadata (unpacks as a pair)."""

    network: Network
    metadata: dict[str, Any]


def read_model_file(path: str | os.PathLike[str]) -> StoredModel:
    """Read the network and metadata of a model file written by :func:`save_model`.

    The header is checked completely (layout, metadata field by field, names,
    shapes, dtype, byte offsets) before the tensors are read, by the
    ``safetensors`` package; then every value must be finite.  Nothing is
    unpickled or evaluated.  For the trained model whole (its preprocessing
    and classes with it), use :func:`chainrule.load_model`.

    Returns
    -------
    StoredModel
        ``(network, metadata)``: the network with the same layer sizes,
        activations, cost, dtype and parameters (bit for bit) as the saved
        one, and the metadata given to :func:`save_model` (as JSON gives it back).

    Raises
    ------
    ModelFileError
        If the file is missing, unreadable, or not a valid chainrule model;
        the message names the file and the problem.
    """
    name = st.file_name(path)
    with st.reading(name, _KIND):
        with st.open_regular(name, _KIND) as f:
            hdr = _read_header(f, name)
            arrays = _read_tensors(f, name, hdr)
        sizes = range(1, len(hdr.layer_sizes))
        try:
            net = Network(hdr.layer_sizes, list(hdr.activations), cost=hdr.cost,
                          dtype=hdr.dtype, weights=[arrays[f"W{l}"] for l in sizes],
                          biases=[arrays[f"b{l}"] for l in sizes])
        except ChainruleError as exc:
            raise ModelFileError(f"{name}: cannot rebuild the network: {exc}") from None
        return StoredModel(net, hdr.metadata)


def read_model_info(path: str | os.PathLike[str]) -> ModelInfo:
    """Describe a model file from its header alone (the weights are not read).

    The header gets the same checks as in :func:`read_model_file`; only the
    finiteness of the values is left unchecked.

    Raises
    ------
    ModelFileError
        As :func:`read_model_file`.
    """
    name = st.file_name(path)
    with st.reading(name, _KIND):
        with st.open_regular(name, _KIND) as f:
            hdr = _read_header(f, name)
        sizes = hdr.layer_sizes
        return ModelInfo(
            path=Path(name), format_version=hdr.format_version, layer_sizes=sizes,
            activations=hdr.activations, cost=hdr.cost, dtype=hdr.dtype,
            n_params=sum(math.prod(t.shape) for t in hdr.tensors.values()),
            file_size=hdr.layout.data_start + hdr.layout.data_len,
            tensors={k: hdr.tensors[k].shape for k in _tensor_names(sizes)},
            metadata=hdr.metadata,
        )


@dataclass
class _Header:
    """The checked contents of a header."""

    format_version: int
    layer_sizes: tuple[int, ...]
    activations: tuple[str, ...]
    cost: str
    dtype: str
    metadata: dict[str, Any]
    tensors: dict[str, st.Tensor] = field(default_factory=dict)
    layout: st.Header = field(default_factory=lambda: st.Header({}, 0, 0))


def _read_header(f: BinaryIO, name: str) -> _Header:
    """Read and check everything up to the tensor bytes."""
    layout = st.read_header(f, name, _KIND)
    doc = _chainrule_document(name, layout.entries)
    hdr = _check_document(name, doc)
    hdr.layout = layout
    _check_tensors(name, layout.entries, hdr)
    return hdr


def _chainrule_document(name: str, header: dict[str, Any]) -> Any:
    meta = header.get("__metadata__")
    if meta is None:
        raise ModelFileError(f"{name}: no chainrule metadata (the safetensors header has no "
                             "__metadata__); was it written by chainrule.io.save_model?")
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise ModelFileError(f"{name}: __metadata__ must map strings to strings")
    if METADATA_KEY not in meta:
        raise ModelFileError(f"{name}: no chainrule metadata (__metadata__ has no "
                             f"{METADATA_KEY!r} key); was it written by chainrule.io.save_model?")
    try:
        doc = st.loads(meta[METADATA_KEY])
    except (ValueError, RecursionError) as exc:
        raise ModelFileError(f"{name}: chainrule metadata is not valid JSON ({exc})") from None
    return doc


def _check_document(name: str, doc: Any) -> _Header:
    """Check the chainrule JSON document: format, version, architecture, dtype."""
    if not isinstance(doc, dict):
        raise ModelFileError(f"{name}: chainrule metadata must be a JSON object, "
                             f"got {type(doc).__name__}")
    missing = [k for k in ("format", "format_version", "layer_sizes", "activations", "cost",
                           "dtype") if k not in doc]
    if missing:
        raise ModelFileError(f"{name}: chainrule metadata lacks {', '.join(missing)}")
    if doc["format"] != FORMAT:
        raise ModelFileError(f"{name}: format is {st.short(doc['format'])}, expected {FORMAT!r}")
    version = doc["format_version"]
    if not st.is_int(version) or version not in READABLE_VERSIONS:
        newer = (" (written by a newer chainrule? upgrade chainrule to read it)"
                 if st.is_int(version) and version > FORMAT_VERSION else "")
        raise ModelFileError(f"{name}: format_version is {st.short(version)}, expected "
                             f"{' or '.join(map(str, READABLE_VERSIONS))}{newer}")
    sizes = doc["layer_sizes"]
    if (not isinstance(sizes, list) or len(sizes) < 2
            or not all(st.is_int(s) and s >= 1 for s in sizes)):
        raise ModelFileError(f"{name}: layer_sizes must be a list of at least two positive "
                             f"integers, got {st.short(sizes)}")
    acts = doc["activations"]
    if not isinstance(acts, list) or len(acts) != len(sizes) - 1:
        raise ModelFileError(f"{name}: activations must list one name per layer "
                             f"({len(sizes) - 1}), got {st.short(acts)}")
    for a in acts:
        if not isinstance(a, str) or len(a) > 100:
            raise ModelFileError(f"{name}: activation names must be short strings, "
                                 f"got {st.short(a)}")
    if not isinstance(doc["cost"], str) or len(doc["cost"]) > 100:
        raise ModelFileError(f"{name}: cost must be a short string, got {st.short(doc['cost'])}")
    try:
        output = [get_activation(a) for a in acts][-1]
        # Checked here too so that read_model_info refuses what read_model_file would.
        get_cost(doc["cost"]).check_output_activation(output)
    except ConfigError as exc:
        raise ModelFileError(f"{name}: {exc}") from None
    dtype = doc["dtype"]
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise ModelFileError(f"{name}: dtype is {st.short(dtype)}, expected 'float64' or 'float32'")
    meta = doc.get("metadata", {})
    if not isinstance(meta, dict):
        raise ModelFileError(f"{name}: metadata must be a JSON object, got {type(meta).__name__}")
    if version == 1:
        meta = _from_version_1(meta)
    check_metadata(meta, tuple(sizes), lambda message: ModelFileError(f"{name}: {message}"))
    return _Header(version, tuple(sizes), tuple(acts), doc["cost"], dtype, meta)


def _from_version_1(meta: dict[str, Any]) -> dict[str, Any]:
    """Version 1 metadata as version 2 says it: the columns of a ``.npy`` or ``.npz``,
    which version 1 called ``x0, x1, ...``, are known by position (null names)."""
    data_file = meta.get("data_file")
    if isinstance(data_file, str) and data_file.lower().endswith((".npy", ".npz")):
        return {**meta, "feature_names": None}
    return meta


def _tensor_names(sizes: tuple[int, ...]) -> list[str]:
    return [f"{kind}{l}" for l in range(1, len(sizes)) for kind in ("W", "b")]


def _expected_shapes(sizes: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    for l, (n_prev, n) in enumerate(pairwise(sizes), 1):
        shapes[f"W{l}"] = (n, n_prev)
        shapes[f"b{l}"] = (n,)
    return shapes


def _check_tensors(name: str, header: dict[str, Any], hdr: _Header) -> None:
    """Every W(l), b(l) present once, right dtype and shape; offsets tile the data exactly."""
    expected = _expected_shapes(hdr.layer_sizes)
    present = [k for k in header if k != "__metadata__"]
    for k in expected:
        if k not in header:
            raise ModelFileError(f"{name}: missing tensor {k!r} (layer_sizes "
                                 f"{list(hdr.layer_sizes)} need {', '.join(expected)})")
    for k in present:
        if k not in expected:
            raise ModelFileError(f"{name}: unexpected tensor {st.short(k)} (layer_sizes "
                                 f"{list(hdr.layer_sizes)} need only {', '.join(expected)})")
    code, np_dtype = _DTYPES[hdr.dtype]
    for k, shape in expected.items():
        hdr.tensors[k] = st.check_entry(name, k, header[k], hdr.layout.data_len,
                                        {code: np_dtype}, _KIND, shape=shape,
                                        dtype_note=f" (the model's dtype is {hdr.dtype})")
    st.check_tiling(name, hdr.tensors, hdr.layout.data_len, _KIND)


def _read_tensors(f: BinaryIO, name: str, hdr: _Header) -> dict[str, np.ndarray]:
    """The checked tensors, read by the ``safetensors`` package; every value must be finite.

    The package maps the very file that was opened and checked (through
    ``/proc/self/fd`` where there is one), so a file swapped in since is not read.
    """
    from safetensors import safe_open  # lazily: `import chainrule` stays light

    same_file = f"/proc/self/fd/{f.fileno()}"
    arrays = {}
    with safe_open(same_file if os.path.exists(same_file) else name, framework="numpy") as sf:
        for k in _tensor_names(hdr.layer_sizes):
            arr = sf.get_tensor(k)
            bad = ~np.isfinite(arr)
            if bad.any():
                where = [int(i) for i in np.argwhere(bad)[0]]
                what = "NaN" if np.isnan(arr[tuple(where)]) else "infinity"
                raise ModelFileError(f"{name}: tensor {k!r} holds {what} at {where}; model "
                                     "values must be finite")
            arrays[k] = arr
    return arrays
