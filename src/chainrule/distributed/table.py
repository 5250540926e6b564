"""A data set in files, prepared on a cluster as ``chainrule train`` prepares one file.

:class:`ClusterTable` is a lazily read data set (a Parquet dataset, a CSV glob, a folder
of ``.npy`` shards: :mod:`~chainrule.distributed.readers`) with its input and target
columns chosen.  What one machine learns by reading the whole file is computed on the
workers instead, and only small results come back:

* the target's distinct values (:meth:`ClusterTable.target_values`), from which the task
  and the classes are decided;
* the partitions, checked where they are read (a NaN, a wrong column count or a label
  that is not a number fails naming the partition, its file and the row), with the
  labels encoded as the network's targets (:meth:`ClusterTable.training_data`);
* the inputs' means and deviations, each chunk's merged in chunk order, which make the
  same :class:`~chainrule.data.Standardizer` as one machine's (to rounding), and the
  standardised chunks, kept on the workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..data.csv_files import feature_columns
from ..data.scaling import Standardizer
from ..errors import ConfigError, ShapeError
from .chunks import encode_labels
from .data import ClusterData, lazy_unique
from .readers import Source

__all__ = ["ClusterTable"]

Array = np.ndarray


class ClusterTable:
    """The columns of a lazily read data set: inputs, and the target(s).

    Parameters
    ----------
    source : Source
        The data set (:func:`~chainrule.distributed.read_data`).
    client : distributed.Client
        The cluster that reads it.
    target : str or sequence of str, optional
        The target column(s) of a Parquet or CSV data set (default: the last column);
        ``.npy`` shards have no names: their last column is the target (``'last'``).
    features : sequence of str, optional
        The input columns of a Parquet or CSV data set, in this order (default: every
        column but the target(s) and ``ignore``); the others are never converted.
    ignore : sequence of str, default ()
        Columns left out of the inputs (an id, a column of text).

    Raises
    ------
    ConfigError, DataError
        As :func:`~chainrule.data.load_csv` does for a bad ``target``, ``features`` or
        ``ignore``; for ``features`` or ``ignore`` of ``.npy`` shards.
    """

    def __init__(self, source: Source, client: Any, *,
                 target: str | Sequence[str] | None = None,
                 features: Sequence[str] | None = None, ignore: Sequence[str] = ()):
        self.source, self.client = source, client
        columns = source.columns
        if columns is None:  # .npy shards
            if target not in (None, "last"):
                raise ConfigError(f"target: .npy shards have no column names; their last "
                                  f"column is the target ('last'), got {target!r}")
            if features is not None or ignore:
                raise ConfigError(f"{'features' if features is not None else 'ignore'}: "
                                  ".npy shards have no column names to pick; every column "
                                  "but the last is an input")
            width = int(source.data.shape[1])
            if width < 2:
                raise ShapeError(f"{source.files[0]}: has {width} column; expected inputs and "
                                 "a target column")
            self.feature_names = [f"x{j}" for j in range(width - 1)]
            self.target_names = ["y0"]
            return
        targets = [columns[-1]] if target is None else \
            [target] if isinstance(target, str) else [str(t) for t in target]
        unknown = [t for t in targets if t not in columns]
        if unknown:
            raise ConfigError(f"target: no column named {unknown[0]!r}; the columns are "
                              f"{', '.join(columns)}")
        if features is None and not ignore and len(targets) == len(columns):
            raise ConfigError("target: every column is a target; no inputs are left")
        where = next((f for f in source.files if f is not None), source.kind)
        self.feature_names = feature_columns(features, ignore, columns, targets, where)
        self.target_names = targets

    @property
    def named(self) -> bool:
        """Whether the columns have names (Parquet, CSV) or positions (``.npy``)."""
        return self.source.columns is not None

    def target_values(self, limit: int | None = None) -> tuple[Array, bool]:
        """The sorted distinct values of the one target column, found on the workers, and
        whether they are text (a column pandas did not read as numbers).

        With ``limit``, a column of numbers gives at most its ``limit + 1`` smallest
        values (:func:`~chainrule.distributed.lazy_unique`): enough to tell whether
        they could be classes; text gives all of its values, the classes.
        """
        if len(self.target_names) != 1:
            raise ConfigError(f"target: classes need one label column, got "
                              f"{len(self.target_names)} ({', '.join(self.target_names)})")
        data = self.source.data
        column = data[self.target_names[0]] if self.named else data[:, -1]
        is_text = getattr(column.dtype, "kind", "O") not in "biuf"
        if is_text:
            column = column.astype(str)
        values = lazy_unique(column, limit=None if is_text else limit)
        return values, is_text

    def training_data(self, *, classes: Sequence[Any] | None = None,
                      single_output: bool = False, standardize: bool = True,
                      dtype: str | np.dtype = "float64", persist: bool = True,
                      fan_in: int = 8) -> tuple[ClusterData, Standardizer | None]:
        """The checked rows on the cluster, the network's targets made from the labels
        (one column per class of ``classes``, or one for the second of two with
        ``single_output``; the values themselves without ``classes``), the inputs
        standardised when asked; and the Standardizer (None without ``standardize``).

        Raises
        ------
        DataError, ShapeError
            Naming the partition, its file and the row, for a NaN, a wrong number of
            columns, a non-numeric input or a label not among ``classes``.
        """
        data, n_outputs, y_columns = self._encoded(classes, single_output)
        x_columns = self.feature_names if self.named else None
        raw = ClusterData.from_collections(
            data, None, self.client, n_inputs=len(self.feature_names), n_outputs=n_outputs,
            dtype="float64" if standardize else dtype, persist=persist, fan_in=fan_in,
            sources=self._file_names(data), x_columns=x_columns, y_columns=y_columns)
        if not standardize:
            return raw, None
        scaler = raw.standardizer()
        return raw.scaled(scaler, dtype), scaler

    def _encoded(self, classes: Sequence[Any] | None,
                 single_output: bool) -> tuple[Any, int, list[str] | None]:
        """The data set with its label column made into the network's targets (as they
        are without ``classes``): the collection, its number of targets, their columns."""
        data = self.source.data
        if classes is None:
            return data, len(self.target_names), self.target_names if self.named else None
        k = 1 if single_output else len(classes)
        names = [f"__class_{j}" for j in range(k)]
        labels = list(classes)
        if self.named:
            import pandas as pd

            meta = pd.DataFrame({**{c: np.zeros(0) for c in self.feature_names},
                                 **{c: np.zeros(0) for c in names}})
            label = self.target_names[0]
            text = getattr(data[label].dtype, "kind", "O") not in "biuf"
            frame = data.astype({label: str}) if text else data
            return frame.map_partitions(encode_labels, label, labels, single_output, names,
                                        meta=meta, enforce_metadata=False), k, names
        width = data.shape[1]
        encoded = data.map_blocks(encode_labels, width - 1, labels, single_output, names,
                                  chunks=(data.chunks[0], (width - 1 + k,)), dtype=np.float64)
        return encoded, k, None

    def _file_names(self, data: Any) -> list[str | None]:
        """Each partition's file, for messages (the reader's list, where it still fits)."""
        n = data.npartitions if hasattr(data, "npartitions") else len(data.chunks[0])
        files = list(self.source.files)
        return files if len(files) == n else [None] * n
