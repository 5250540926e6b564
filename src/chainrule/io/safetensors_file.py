"""A defensive reader of the safetensors layout, shared by model files and checkpoints.

A safetensors file is::

    [ 8 bytes: n, little-endian u64 ][ n bytes: UTF-8 JSON header ][ raw tensor bytes ]

where the header maps each tensor name to ``{"dtype", "shape", "data_offsets"}``
(offsets relative to the start of the data section) and may hold a
``__metadata__`` map of strings to strings.

Only the format is checked here; what a chainrule model or checkpoint must
contain is checked by :mod:`chainrule.io` and :mod:`chainrule.train.checkpoint`.  The
rules that make reading safe: sizes are compared with the file's size before
anything is allocated, JSON is parsed strictly, nothing is unpickled or
evaluated, every tensor's bytes are accounted for exactly once, and every
failure becomes the caller's error class (a :class:`ModelFileError`) naming the
file.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import stat
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from ..errors import ModelFileError

TENSOR_KEYS = frozenset({"dtype", "shape", "data_offsets"})

# Magic numbers of files people pass by mistake, for a friendlier message.
_LOOKS_LIKE = [
    (b"\x89PNG", "a PNG image"),
    (b"PK\x03\x04", "a zip archive (torch.save, .npz, .keras, ...)"),
    (b"\x93NUMPY", "a NumPy .npy file"),
    (b"\x89HDF", "an HDF5 file"),
    (b"\x7fELF", "an executable"),
]


@dataclass(frozen=True)
class FileKind:
    """What a caller reads: its error class, header limit and the words its messages use.

    Attributes
    ----------
    error : type
        Raised for every problem (``ModelFileError`` or a subclass).
    noun : str
        ``"model"``: "cannot read model", "is a folder, not a model file".
    label : str
        What the file should be, ending messages about bytes that are no such
        file at all: "not a safetensors model".
    missing : str
        The message for a path that does not exist.
    max_header_bytes : int
        Longest header accepted.
    """

    error: type[ModelFileError]
    noun: str
    label: str
    missing: str
    max_header_bytes: int


@dataclass(frozen=True)
class Header:
    """A parsed header and where the data section lies in the file."""

    entries: dict[str, Any]  # the JSON object, ``__metadata__`` included
    data_start: int
    data_len: int


@dataclass(frozen=True)
class Tensor:
    """A checked tensor entry: its bytes are ``data[begin:end]`` of the data section."""

    code: str
    dtype: np.dtype
    shape: tuple[int, ...]
    begin: int
    end: int


def short(x: object, limit: int = 120) -> str:
    """``repr(x)``, cut short: a hostile header must not produce a megabyte message."""
    r = repr(x)
    return r if len(r) <= limit else r[:limit] + "…"


def file_name(path: object) -> str:
    """The name messages give ``path``: the path itself, or the repr of a non-path."""
    return os.fspath(path) if isinstance(path, str | os.PathLike) else repr(path)


def is_int(x: object) -> bool:
    """Whether ``x`` is a JSON integer (bool and float are not sizes)."""
    return type(x) is int


# ---------------------------------------------------------------------------
# Opening, errors, strict JSON
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def reading(name: str, kind: FileKind) -> Iterator[None]:
    """Turn every failure while reading ``name`` into ``kind.error`` naming the file.

    Only ``Exception`` is caught: KeyboardInterrupt and SystemExit pass through.
    """
    try:
        yield
    except kind.error:
        raise
    except OSError as exc:
        raise kind.error(f"{name}: cannot read {kind.noun}: {exc.strerror or exc}") from exc
    except Exception as exc:
        raise kind.error(f"{name}: not a valid chainrule {kind.noun} "
                         f"({type(exc).__name__}: {exc})") from exc


def open_regular(name: str, kind: FileKind) -> BinaryIO:
    """Open ``name`` for reading if it is a regular file; the caller's with-block closes it."""
    try:
        st = os.stat(name)
    except FileNotFoundError:
        raise kind.error(f"{name}: {kind.missing}") from None
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        raise kind.error(f"{name}: is a symbolic link that leads back to itself (a loop); "
                         f"there is no {kind.noun} file to read") from None
    if stat.S_ISDIR(st.st_mode):
        raise kind.error(f"{name}: is a folder, not a {kind.noun} file")
    # O_NONBLOCK: a FIFO swapped in after the stat must not block the open.
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    f = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        f.close()
        raise kind.error(f"{name}: is not a regular file")  # a FIFO or device never ends
    return f


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {short(k)}")
        out[k] = v
    return out


def _no_constants(token: str) -> None:
    raise ValueError(f"{token} is not valid JSON")


def loads(text: str) -> Any:
    """Strict JSON: no duplicate keys, no NaN/Infinity."""
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)


# ---------------------------------------------------------------------------
# The header
# ---------------------------------------------------------------------------


def _looks_like(prefix: bytes) -> str:
    for magic, what in _LOOKS_LIKE:
        if prefix.startswith(magic):
            return f"; it looks like {what}"
    if prefix[:1] == b"\x80" and 2 <= prefix[1] <= 5:
        return "; it looks like a pickle file, which chainrule never loads"
    if all(32 <= c < 127 or c in b"\t\r\n" for c in prefix):
        return "; it looks like a text file"
    return ""


def read_header(f: BinaryIO, name: str, kind: FileKind) -> Header:
    """Read the length prefix and the JSON header of the open file ``f``.

    The length is checked against the file's size and ``kind.max_header_bytes``
    before the header is read, so a corrupt length never allocates.
    """
    size = os.fstat(f.fileno()).st_size
    if size == 0:
        raise kind.error(f"{name}: file is empty (0 bytes), too few for a header; "
                         f"not {kind.label}")
    prefix = f.read(8)
    if len(prefix) < 8:
        raise kind.error(f"{name}: file is too short ({size} bytes) to hold the 8-byte "
                         f"header length of {kind.label}")
    (n,) = struct.unpack("<Q", prefix)
    if n > size - 8:
        hint = _looks_like(prefix) or "; is the file truncated?"
        raise kind.error(f"{name}: not {kind.label}: header length {n} exceeds the "
                         f"file size ({size} bytes){hint}")
    if n > kind.max_header_bytes:
        raise kind.error(f"{name}: header length {n} is larger than the "
                         f"{kind.max_header_bytes}-byte limit")
    if n == 0:
        raise kind.error(f"{name}: header is empty (length 0)")
    raw = f.read(n)
    if len(raw) != n:
        raise kind.error(f"{name}: file changed while it was read (header cut short)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise kind.error(f"{name}: header is not valid UTF-8 (byte {exc.start + 8} of the "
                         f"file); not {kind.label}") from None
    try:
        entries = loads(text)
    except (ValueError, RecursionError) as exc:
        raise kind.error(f"{name}: header is not valid JSON ({exc})") from None
    if not isinstance(entries, dict):
        raise kind.error(f"{name}: header must be a JSON object, "
                         f"got {type(entries).__name__}")
    return Header(entries, 8 + n, size - 8 - n)


# ---------------------------------------------------------------------------
# Tensor entries
# ---------------------------------------------------------------------------


def check_entry(name: str, key: str, info: Any, data_len: int, dtypes: Mapping[str, np.dtype],
                kind: FileKind, *, shape: tuple[int, ...] | None = None,
                dtype_note: str = "") -> Tensor:
    """Check one tensor entry of the header against the format and the data section.

    Parameters
    ----------
    dtypes : mapping of str to numpy dtype
        The safetensors dtype codes allowed, with their little-endian NumPy dtypes.
    shape : tuple of int, optional
        The shape the caller expects; any list of sizes ``>= 0`` when omitted.
    dtype_note : str
        Appended to the message about a refused dtype.

    Returns
    -------
    Tensor
        Whose ``end − begin = Π shape × itemsize`` and ``end <= data_len``.
    """
    if not isinstance(info, dict) or set(info) != TENSOR_KEYS:
        raise kind.error(f"{name}: tensor {key!r} must be described by exactly "
                         f"dtype, shape and data_offsets, got {short(info)}")
    code = info["dtype"]
    if not isinstance(code, str) or code not in dtypes:
        expected = " or ".join(repr(c) for c in dtypes)
        raise kind.error(f"{name}: tensor {key!r} has dtype {short(code)}, "
                         f"expected {expected}{dtype_note}")
    got = info["shape"]
    if not isinstance(got, list) or not all(is_int(s) and s >= 0 for s in got) \
            or (shape is not None and tuple(got) != shape):
        expected = list(shape) if shape is not None else "a list of sizes >= 0"
        raise kind.error(f"{name}: tensor {key!r} has shape {short(got)}, expected {expected}")
    off = info["data_offsets"]
    if (not isinstance(off, list) or len(off) != 2 or not all(is_int(o) for o in off)
            or not 0 <= off[0] <= off[1]):
        raise kind.error(f"{name}: tensor {key!r} has data_offsets {short(off)}, "
                         "expected [begin, end] with 0 <= begin <= end")
    if off[1] > data_len:
        raise kind.error(f"{name}: tensor {key!r} data_offsets {off} run past the end of the "
                         f"data section, outside the {data_len} data bytes (file truncated?)")
    dtype = dtypes[code]
    nbytes = math.prod(got) * dtype.itemsize
    if off[1] - off[0] != nbytes:
        raise kind.error(f"{name}: tensor {key!r} data_offsets {off} hold "
                         f"{off[1] - off[0]} bytes, but shape {got} of {code} needs {nbytes}")
    return Tensor(code, dtype, tuple(got), off[0], off[1])


def check_tiling(name: str, tensors: Mapping[str, Tensor], data_len: int,
                 kind: FileKind) -> None:
    """The data section must be covered exactly once: no overlaps, gaps or trailing bytes."""
    pos, prev = 0, None
    for key, t in sorted(tensors.items(), key=lambda kv: (kv[1].begin, kv[1].end)):
        if t.begin < pos:
            raise kind.error(f"{name}: tensor {key!r} data_offsets [{t.begin}, {t.end}] "
                             f"overlap tensor {prev!r}, which ends at {pos}")
        if t.begin > pos:
            raise kind.error(f"{name}: {t.begin - pos} unused bytes (a gap) before tensor "
                             f"{key!r} in the data section")
        pos, prev = t.end, key
    if pos != data_len:
        raise kind.error(f"{name}: {data_len - pos} unexpected trailing bytes after "
                         "the last tensor")


# ---------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------


def read_data(f: BinaryIO, name: str, header: Header, kind: FileKind) -> bytes:
    """The data section, whose length the header's checks have bounded by the file size."""
    f.seek(header.data_start)
    data = f.read(header.data_len)
    if len(data) != header.data_len:
        raise kind.error(f"{name}: file changed while it was read (expected "
                         f"{header.data_len} bytes of tensor data, got {len(data)})")
    return data


def read_tensor(data: bytes, t: Tensor) -> np.ndarray:
    """One checked tensor as a native-endian array (a copy, so the file buffer can go)."""
    arr = np.frombuffer(data, dtype=t.dtype, count=math.prod(t.shape), offset=t.begin)
    return arr.reshape(t.shape).astype(t.dtype.newbyteorder("="), copy=True)
