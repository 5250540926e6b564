"""Lazy readers: a Parquet dataset, a CSV glob or a folder of ``.npy`` shards as Dask collections.

Nothing is read here but the files' headers (and a CSV's first lines, for its columns):
the rows are read by the workers, one partition per file (per row group of Parquet), when
a pass first needs them.  Each reader returns a :class:`Source`: the collection and, for
each partition, the file it comes from, so that an error about a bad row can name both
(``partition 3 (part-3.csv), row 17``).

The files must be readable by every worker at the same path (a shared or network file
system, or a local cluster on this machine).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, ShapeError
from .cluster import require_dask

__all__ = ["Source", "read_csv", "read_data", "read_npy", "read_parquet"]


@dataclass
class Source:
    """A lazily read data set: a Dask DataFrame (Parquet, CSV) or array (``.npy`` shards).

    ``files[i]`` is the file of partition i (None where one file holds several).
    """

    data: Any
    files: list[str | None]
    kind: str  # "parquet", "csv" or "npy"

    @property
    def columns(self) -> list[str] | None:
        """Column names of a DataFrame; None for an array."""
        cols = getattr(self.data, "columns", None)
        return None if cols is None else [str(c) for c in cols]


def read_npy(folder: str | os.PathLike[str]) -> Source:
    """The ``*.npy`` files of ``folder``, in name order, as one Dask array, a chunk per file.

    Each file must hold a 2-D numeric array with the same number of columns; only the
    headers are read here.

    Raises
    ------
    DataError
        If the folder holds no ``.npy`` file, or a file is not a readable ``.npy``.
    ShapeError
        If a file is not 2-D, or its number of columns differs from the first file's,
        naming the partition, the file and its first row.
    """
    dask = require_dask()
    import dask.array as da

    files = sorted(str(p) for p in Path(folder).glob("*.npy"))
    if not files:
        raise DataError(f"{folder}: no .npy files in this folder")
    blocks = []
    width = None
    for i, path in enumerate(files):
        shape, dtype = _npy_header(path)
        if len(shape) != 2:
            raise ShapeError(f"{folder}: partition {i} ({Path(path).name}) is {len(shape)}-D; "
                             "expected 2-D shards (rows × columns)")
        if width is None:
            width = shape[1]
        elif shape[1] != width:
            raise ShapeError(f"{folder}: partition {i} ({Path(path).name}), row 0: has "
                             f"{shape[1]} columns, expected {width} (as "
                             f"{Path(files[0]).name})")
        if dtype.kind not in "biuf":
            raise DataError(f"{folder}: partition {i} ({Path(path).name}) is not numeric "
                            f"(dtype {dtype})")
        load = dask.delayed(np.load, pure=True)(path, allow_pickle=False)
        blocks.append(da.from_delayed(load, shape=shape, dtype=dtype))
    return Source(da.concatenate(blocks, axis=0), list(files), "npy")


def _npy_header(path: str) -> tuple[tuple[int, ...], np.dtype]:
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) \
                else np.lib.format.read_array_header_2_0
            shape, _, dtype = read(f)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable .npy file ({exc})") from None
    return tuple(shape), np.dtype(dtype)


def read_csv(pattern: str | os.PathLike[str]) -> Source:
    """The CSV files matching ``pattern`` (a glob), in name order, one partition per file.

    Every file needs a header line with the same column names.  A line with too many
    fields fails when its partition is read, naming the partition, the file and the
    line; a line with too few fields gets NaN, which the check of each chunk reports
    with its partition and row.
    """
    require_dask()
    import dask.dataframe as dd
    import pandas as pd

    files = sorted(glob.glob(os.fspath(pattern)))
    if not files:
        raise DataError(f"{pattern}: no file matches")
    try:
        meta = pd.read_csv(files[0], nrows=100).iloc[:0]
    except (OSError, ValueError) as exc:
        raise DataError(f"{files[0]}: cannot read its CSV header ({exc})") from None
    frame = dd.from_map(read_csv_partition, files, list(range(len(files))), meta=meta,
                        enforce_metadata=False, header=[str(c) for c in meta.columns])
    return Source(frame, list(files), "csv")


def read_csv_partition(path: str, partition: int, header: list[str] | None = None) -> Any:
    """One CSV file as a pandas DataFrame; a malformed line, or a header other than
    ``header`` (the first file's), is an error naming it."""
    frame = _read_csv_file(path, partition)
    found = [str(c) for c in frame.columns]
    if header is not None and found != header:
        raise ShapeError(f"partition {partition} ({Path(path).name}), header: has the "
                         f"{len(found)} columns {found}, expected the first file's "
                         f"{len(header)}: {header}")
    return frame


def _read_csv_file(path: str, partition: int) -> Any:
    import pandas as pd

    try:
        return pd.read_csv(path)
    except pd.errors.ParserError as exc:
        raise DataError(f"partition {partition} ({Path(path).name}): {exc}") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"partition {partition} ({path}): cannot read it ({exc})") from None


def read_parquet(path: str | os.PathLike[str]) -> Source:
    """A Parquet file or dataset folder (read with pyarrow), one partition per file."""
    require_dask()
    import dask.dataframe as dd

    p = Path(path)
    if not p.exists():
        raise DataError(f"{path}: no such file or folder")
    files = sorted(str(f) for f in p.rglob("*.parquet")) if p.is_dir() else [str(p)]
    if not files:
        raise DataError(f"{path}: no .parquet files in this folder")
    try:
        frame = dd.read_parquet(files)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read it as Parquet ({exc})") from None
    names: list[str | None] = [Path(f).name for f in files] \
        if frame.npartitions == len(files) else [None] * frame.npartitions
    return Source(frame, names, "parquet")


def read_data(path: str | os.PathLike[str]) -> Source:
    """Any of the three by the form of ``path``: a glob or ``.csv``, ``.parquet`` or a
    folder of Parquet files, or a folder of ``.npy`` shards."""
    text = os.fspath(path)
    p = Path(text)
    if any(ch in text for ch in "*?[") or p.suffix.lower() == ".csv":
        return read_csv(text)
    if p.suffix.lower() in (".parquet", ".pq"):
        return read_parquet(p)
    if p.is_dir():
        if any(p.glob("*.npy")):
            return read_npy(p)
        if any(p.rglob("*.parquet")):
            return read_parquet(p)
        raise DataError(f"{path}: the folder holds no .npy or .parquet files")
    raise DataError(f"{path}: expected a CSV glob (data/*.csv), a Parquet file or folder, or "
                    "a folder of .npy shards")
