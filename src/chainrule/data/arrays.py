"""Reading ``.npy`` and ``.npz`` files without unpickling, and without trusting their headers.

A ``.npy`` file is memory-mapped read-only, so a large file is never read whole; a
``.npz`` archive is read member by member with :mod:`zipfile` (never ``np.load``).
Every size a header declares is compared with the bytes the file holds before
anything is allocated or inflated, and every damaged file becomes a
:class:`~chainrule.errors.DataError` naming the file and, in an archive, the member.
"""

from __future__ import annotations

import math
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..errors import ChainruleError, ConfigError, DataError, ShapeError
from ..utils.validation import check_finite
from .source import Loaded, PathLike, existing_file

__all__ = ["INFLATE_FLOOR", "MAX_INFLATE_RATIO", "load_array"]

Array = np.ndarray

# A compressed member may inflate to at most this many times its stored size, or
# to INFLATE_FLOOR bytes, whichever is larger.  Deflate tops out near 1032:1, so a
# ratio above 100 is all but always a bomb; numeric data rarely passes 10.
MAX_INFLATE_RATIO = 100
INFLATE_FLOOR = 16 * 2**20


class _NpyHeader(NamedTuple):
    """What an .npy header declares, checked to be a numeric array."""

    shape: tuple[int, ...]
    fortran_order: bool
    dtype: np.dtype
    offset: int  # bytes from the start of the .npy data to its first element

    @property
    def n_bytes(self) -> int:
        """``prod(shape) · itemsize`` in Python ints, so a lying shape cannot overflow."""
        return math.prod(self.shape) * self.dtype.itemsize


def _read_npy_header(fp: Any, where: str) -> _NpyHeader:
    """Parse the header of an .npy stream and check its dtype and shape.

    NumPy parses the header with ``ast.literal_eval``, which a damaged file can
    make fail in many ways (SyntaxError, tokenize errors, MemoryError, ...), so
    any failure here is the file's fault and becomes a DataError.  Reading the
    header alone lets an object array be refused before its pickle is touched.
    """
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            # 3.0 only differs for non-Latin-1 field names, i.e. structured dtypes.
            raise ValueError(f"unsupported .npy format version {version}")
        offset = fp.tell()
    except Exception as exc:  # every parse failure means a damaged file
        raise DataError(f"{where}: is not a NumPy .npy array ({type(exc).__name__}: "
                        f"{_short(exc)})") from None
    _check_dtype(dtype, where)
    if any(d < 0 for d in shape):
        raise DataError(f"{where}: the .npy header declares a negative shape {shape}")
    if any(d > np.iinfo(np.intp).max for d in shape):  # even beside a 0, no array has that
        raise DataError(f"{where}: the .npy header declares an impossible shape {shape} (a "
                        f"dimension beyond {np.iinfo(np.intp).max:,})")
    return _NpyHeader(tuple(int(d) for d in shape), bool(fortran_order), dtype, int(offset))


def _short(exc: BaseException, limit: int = 120) -> str:
    """An exception's text cut to ``limit`` characters (a fuzzed header can be long)."""
    text = str(exc)
    return text if len(text) <= limit else text[:limit] + "..."


def _check_declared_size(head: _NpyHeader, available: int, where: str) -> None:
    """Refuse a header whose array needs more bytes than the file holds, before allocating."""
    if head.n_bytes > available:
        raise DataError(f"{where}: is truncated or damaged; its header declares shape "
                        f"{head.shape} of {head.dtype} ({head.n_bytes:,} bytes) but only "
                        f"{available:,} bytes of data follow")


def _check_dtype(dtype: np.dtype, src: str) -> None:
    """Refuse everything but bool, integer and real floating-point arrays."""
    if dtype.hasobject:
        raise DataError(f"{src}: holds Python objects (dtype {dtype}); refusing to unpickle "
                        "them, save a numeric array instead")
    if dtype.kind == "c":
        raise DataError(f"{src}: holds complex numbers (dtype {dtype}); expected real numbers")
    if dtype.kind not in "biuf":
        raise DataError(f"{src}: expected a numeric array, got dtype {dtype}")
    if dtype.kind == "f" and dtype.itemsize > 8:  # float128: a network computes in float64
        raise DataError(f"{src}: holds {dtype.name} numbers, wider than float64, which a "
                        "network computes in; save the array as float64 (or float32)")


def _as_table(A: Array, src: str) -> Array:
    """A loaded array as 2-D rows (a 1-D array is one column), checked for values."""
    _check_dtype(A.dtype, src)
    if A.ndim == 1:
        A = A.reshape(-1, 1)  # a view: a memmap stays a memmap
    elif A.ndim != 2:
        raise ShapeError(f"{src}: expected a 1-D or 2-D array (examples × features), "
                         f"got {A.ndim}-D with shape {A.shape}")
    if A.shape[0] == 0 or A.shape[1] == 0:
        raise DataError(f"{src}: is empty (shape {A.shape}); need at least one example")
    check_finite(A, src)
    return A


def _load_npy(p: Path, src: str) -> Array:
    """Memory-map an .npy file read-only after checking its header against the file size."""
    try:
        with open(p, "rb") as fp:
            head = _read_npy_header(fp, src)
            size = os.fstat(fp.fileno()).st_size
            _check_declared_size(head, size - head.offset, src)
            if head.n_bytes == 0:
                return np.empty(head.shape, head.dtype)  # np.memmap cannot map 0 bytes
            order = "F" if head.fortran_order else "C"
            try:
                return np.memmap(fp, dtype=head.dtype, mode="r", offset=head.offset,
                                 shape=head.shape, order=order)
            except OSError:
                # Some file systems cannot map files; read it instead (the size is checked).
                fp.seek(head.offset)
                flat = np.fromfile(fp, dtype=head.dtype, count=math.prod(head.shape))
                return flat.reshape(head.shape, order=order)
    except OSError as exc:
        raise DataError(f"{src}: cannot be read ({exc.strerror or exc})") from None


def _check_member_info(info: zipfile.ZipInfo, where: str) -> None:
    """Refuse encrypted, exotically compressed or bomb-sized members from the zip directory."""
    if info.flag_bits & 0x1:
        raise DataError(f"{where}: is encrypted; expected a plain .npz archive from np.savez")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise DataError(f"{where}: uses zip compression method {info.compress_type}; expected "
                        "stored (0) or deflated (8) as np.savez and np.savez_compressed write")
    if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
        raise DataError(f"{where}: is stored uncompressed but declares {info.file_size:,} "
                        f"bytes while holding {info.compress_size:,}")
    limit = max(INFLATE_FLOOR, MAX_INFLATE_RATIO * info.compress_size)
    if info.file_size > limit:
        raise DataError(f"{where}: would inflate {info.compress_size:,} stored bytes to "
                        f"{info.file_size:,} (more than {MAX_INFLATE_RATIO}:1); refusing a "
                        "possible zip bomb (save it with np.savez instead)")


def _read_exactly(fp: Any, out: Array, where: str) -> None:
    """Fill ``out``'s bytes from ``fp``; DataError if the stream ends early."""
    view = memoryview(out.reshape(-1).view(np.uint8))
    got = 0
    while got < len(view):
        n = fp.readinto(view[got:])
        if not n:
            raise DataError(f"{where}: is truncated; expected {len(view):,} bytes of data, "
                            f"got {got:,}")
        got += n


def _load_npz_member(zf: zipfile.ZipFile, member: str, where: str) -> Array:
    """One array of an open zip archive: directory entry, header and sizes checked first.

    The declared sizes (zip and .npy) are compared before a byte of data is
    inflated, and the array is allocated only once both agree.
    """
    info = zf.getinfo(member)
    _check_member_info(info, where)
    with zf.open(info) as fp:
        head = _read_npy_header(fp, where)
        _check_declared_size(head, info.file_size - head.offset, where)
        A = np.empty(math.prod(head.shape), head.dtype)  # (size,), filled below
        _read_exactly(fp, A, where)
        # Reading past the end makes zipfile check the CRC-32 of the whole member.
        if fp.read(1):
            raise DataError(f"{where}: holds more bytes than its header's shape "
                            f"{head.shape} of {head.dtype}")
    order = "F" if head.fortran_order else "C"
    return A.reshape(head.shape, order=order)


def _npz_members(zf: zipfile.ZipFile) -> dict[str, str]:
    """Array key ↦ member name, as np.load names them (``X.npy`` is the key ``X``)."""
    members: dict[str, str] = {}
    for name in zf.namelist():
        members[name[:-4] if name.endswith(".npy") else name] = name
    return members


def _load_npz(p: Path, src: str, x_key: str, target: str | tuple[()] | None) -> tuple[
        Array, Array | None]:
    """``X`` (and ``y``) from an .npz archive read with :mod:`zipfile`, never np.load.

    Every failure of a damaged archive (bad directory, unsupported version,
    corrupt deflate data, CRC mismatch, ...) becomes a DataError naming the
    file and the member; the file is closed on every path.
    """
    key = x_key
    try:
        with open(p, "rb") as f, zipfile.ZipFile(f) as zf:
            members = _npz_members(zf)
            listed = ", ".join(repr(k) for k in members) or "none"
            if x_key not in members:
                raise DataError(f"{src}: has no array {x_key!r} for the features; "
                                f"its arrays are {listed}")
            if target == ():
                y_key = None
            else:
                y_key = target if target is not None else ("y" if "y" in members else None)
            if y_key == x_key:  # the features would be their own target
                raise ConfigError(f"target: {y_key!r} is the feature array of {src}; "
                                  f"name another array for the target; its arrays are {listed}")
            if y_key is not None and y_key not in members:
                raise DataError(f"{src}: has no array {y_key!r} for the target; "
                                f"its arrays are {listed}")
            X = _as_table(_load_npz_member(zf, members[x_key], f"{src}[{x_key!r}]"),
                          f"{src}[{x_key!r}]")
            y = None
            if y_key is not None:
                key = y_key
                y = _as_table(_load_npz_member(zf, members[y_key], f"{src}[{y_key!r}]"),
                              f"{src}[{y_key!r}]")
    except ChainruleError:
        raise
    except zipfile.BadZipFile as exc:
        raise DataError(f"{src}: is not a .npz archive or its zip directory is damaged "
                        f"({_short(exc)})") from None
    except Exception as exc:  # zlib, zipfile, struct errors: a damaged file
        raise DataError(f"{src}[{key!r}]: cannot be read ({type(exc).__name__}: "
                        f"{_short(exc)})") from None
    if y is not None and y.shape[0] != X.shape[0]:
        raise ShapeError(f"{src}: {y_key!r} has {y.shape[0]} rows but {x_key!r} "
                         f"has {X.shape[0]}")
    return X, y


def load_array(path: PathLike, target: str | Sequence[str] | None = None, *,
               x_key: str = "X") -> Loaded:
    """Read features (and targets) from a ``.npy`` or ``.npz`` file, never unpickling.

    Headers are parsed on their own and every declared size (the array's
    ``prod(shape) · itemsize``, a zip member's inflated size) is compared with
    the bytes the file really holds before anything is allocated or inflated.

    Parameters
    ----------
    path : str or path-like
        A ``.npy`` file is memory-mapped read-only, so a large file is not read
        into memory; a ``.npz`` archive is read whole.
    target : None, str or ()
        For ``.npy``: None or ``()`` (the whole array is ``X``, ``y`` is None)
        or ``'last'`` (the last column is ``y``).  For ``.npz``: the key of the
        target array; None means ``'y'`` when the archive has one; ``()``
        means no target even if it has one.
    x_key : str, default "X"
        The key of the feature array in a ``.npz`` archive.

    Returns
    -------
    X : ndarray of shape (N, n_features), possibly a read-only memmap
    y : ndarray of shape (N, n_targets) or None
    feature_names, target_names : tuple of str
        ``x0, x1, …`` and ``y0, …`` (column indices).

    Raises
    ------
    DataError
        Naming the file (and the archive member): not an array file, a damaged
        header or archive, sizes declared beyond the file, a likely zip bomb,
        encrypted or unusually compressed members, object/string/complex dtype,
        not 1-D or 2-D, empty, NaN or infinite values, missing keys.
    ShapeError
        For ``X`` and ``y`` with different numbers of rows.
    ConfigError
        For a ``target`` that does not fit the file type, or that names the
        feature array ``x_key`` of a ``.npz``.
    """
    p, src = existing_file(path)
    if not isinstance(target, str) and target is not None:
        if isinstance(target, Sequence) and len(target) == 0:
            target = ()
        else:
            raise ConfigError(f"target: for a .npy or .npz file give None, () or one name, "
                              f"got {target!r}")
    suffix = p.suffix.lower()
    if suffix == ".npy":
        if target not in (None, (), "last"):
            raise ConfigError(f"target: for a .npy file use None (features only) or 'last' "
                              f"(the last column is the target), got {target!r}")
        A = _as_table(_load_npy(p, src), src)
        if target != "last":
            X, y = A, None
        elif A.shape[1] < 2:
            raise ShapeError(f"{src}: target='last' needs at least 2 columns, got {A.shape[1]}")
        else:
            X, y = A[:, :-1], A[:, -1:]  # views: a memmap stays a memmap
    elif suffix == ".npz":
        X, y = _load_npz(p, src, x_key, target)  # type: ignore[arg-type]
    else:
        raise DataError(f"{src}: expected a .npy or .npz file, got {p.suffix or 'no suffix'!r}")
    feature_names = tuple(f"x{j}" for j in range(X.shape[1]))
    target_names = () if y is None else tuple(f"y{j}" for j in range(y.shape[1]))
    return X, y, feature_names, target_names

