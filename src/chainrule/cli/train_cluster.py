"""``chainrule train DATA --cluster tcp://HOST:PORT`` or ``--workers N``: the data on a cluster.

The library does the work (:mod:`chainrule.distributed`): the workers read DATA lazily,
find the target's values, check and encode every partition and standardise the inputs;
the engine trains on the sums they send back.  This module turns the options into those
calls and hands ``train`` a :class:`~.data_prep.TrainingData` whose ``X`` is the
:class:`~chainrule.distributed.ClusterData` (the rows stay on the workers).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..data.encoding import MAX_AUTO_CLASSES
from ..errors import ConfigError
from .data_prep import (
    CSV_OPTIONS,
    Task,
    TrainingData,
    choose_task,
    csv_options_named,
    is_classification_cost,
    split_target,
    target_as_option,
)
from .options import library_errors_as_options
from .printing import json_label
from .train_options import TrainRequest


def check_cluster_request(r: TrainRequest) -> None:
    """What a run on a cluster takes: a data set in files, and none of the options that
    need its rows in this process."""
    if r.cluster is not None and r.workers is not None:
        raise ConfigError("--workers: give either --cluster ADDRESS or --workers N, not both")
    if r.data is None:
        raise ConfigError(f"{_option(r)}: needs DATA (a Parquet dataset, a CSV glob or a "
                          "folder of .npy shards), not a built-in set")
    if r.plot is not None:
        raise ConfigError(f"--plot: not with {_option(r)} (the pictures need the rows in "
                          "this process)")
    if r.delimiter != ",":
        raise ConfigError(f"--delimiter: not with {_option(r)} (a cluster reads "
                          "comma-separated files)")


def _option(r: TrainRequest) -> str:
    return "--cluster" if r.cluster is not None else "--workers"


@contextlib.contextmanager
def cluster_client(r: TrainRequest) -> Iterator[Any]:
    """The Dask client of the run: the cluster at ``--cluster``, or a local one of
    ``--workers`` processes (stopped when the run ends)."""
    from ..distributed import connect

    with connect(r.cluster, workers=r.workers, timeout=r.cluster_timeout) as client:
        yield client


def data_name(data: Path) -> str:
    """The default model name for DATA: a folder's or a file's name, a glob's folder."""
    text = os.fspath(data)
    if any(ch in text for ch in "*?["):
        return Path(text).parent.name or "model"
    return data.stem or "model"


def cluster_data(r: TrainRequest, client: Any) -> TrainingData:
    """DATA read on the cluster as ``train`` reads a file: the task (and why), the classes,
    the checked, encoded and standardised rows (``X``, a ClusterData) and their
    Standardizer (``scaler``; None with ``--no-standardize``)."""
    from ..distributed import ClusterTable, read_data

    assert r.data is not None
    src = os.fspath(r.data)
    with target_as_option(), csv_options_named(), library_errors_as_options(CSV_OPTIONS):
        table = ClusterTable(read_data(r.data), client,
                             target=split_target(r.target, ".csv") if r.target != "last"
                             else "last", features=r.features, ignore=r.ignore or ())
    values, is_text = None, False
    if r.task is not Task.regression and len(table.target_names) == 1:
        # found on the workers; to decide whether numbers are classes, counting stops
        # past MAX_AUTO_CLASSES (with --task classify or a classifier's cost they are)
        guess = r.task is Task.auto and not is_classification_cost(r.cost)
        values, is_text = table.target_values(MAX_AUTO_CLASSES if guess else None)
    y = np.zeros((0, len(table.target_names))) if values is None or is_text \
        else values.reshape(-1, 1)  # the distinct values decide as the whole column would
    task, reason = choose_task(r.task, y, r.cost, is_text, table.target_names)
    classes = None
    if task is Task.classification:
        if values is None:
            raise ConfigError(f"--task: classification needs one label column, {src} has "
                              f"{len(table.target_names)} target columns "
                              f"({', '.join(table.target_names)})")
        classes = list(values)
    standardize = r.standardize if r.standardize is not None else True
    rows, scaler = table.training_data(
        classes=classes, single_output=r.cost == "binary_cross_entropy",
        standardize=standardize, dtype=r.dtype.value)
    data = TrainingData(rows, None, None, task.value, src, None, src,  # type: ignore[arg-type]
                        f"{rows.n_rows} rows of {data_name(r.data)} in {rows.n_chunks} "
                        f"partitions", list(table.feature_names), list(table.target_names),
                        task_reason=reason, scaler=scaler)
    if classes is not None:
        data.classes = [json_label(c) for c in classes]
        data.class_names = [str(c) for c in data.classes]
    if not table.named:  # .npy shards: inputs by position, as a .npy file's
        data.data_file = os.path.join(src, "*.npy")
    return data
