"""Training on a cluster: chainrule's one training engine, its rows read from a cluster.

:func:`fit` is :func:`chainrule.train.fit` with the data on a Dask cluster.  The engine
is the same (solvers, L2, schedules, early stopping, divergence rollback, validation,
checkpoints, progress callbacks); only its data source differs: a
:class:`~chainrule.distributed.ClusterData`, whose passes sum over the chunks where they
live.  So, with the same data and options:

* full-batch gradient descent (``batch_size=None``) and L-BFGS take the same steps as
  on one machine: one pass (one tree reduction) per step or per L-BFGS evaluation;
* mini-batch SGD and Adam draw each epoch's batches from the run's seeded generator,
  as on one machine, and each batch's rows come from whichever chunks hold them: the
  same batches, so the same steps, and the same weights run after run.

The weights equal single-machine training's to rounding (the sums are added in
another order), and a run on the same cluster layout equals another bit for bit.

The workers compute on NumPy chunks, in the network's dtype: PyTorch tensors or CuPy
arrays (as X, y or validation data) and a network on a device are refused by name,
never moved silently; ``network.move_to(None)`` brings a network to the host first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..data.lazy import check_host_arrays
from ..errors import ConfigError
from ..nn.network import Network
from ..train.history import History
from ..train.loop import fit as train_fit
from .cluster import connect
from .data import ClusterData

__all__ = ["fit"]


def fit(network: Network, X: Any, y: Any = None, *, client: Any = None,
        workers: int | None = None, persist: bool = True, fan_in: int = 8,
        validation_data: Sequence[Any] | None = None, sample_weight: Any = None,
        **options: Any) -> History:
    """Train ``network`` on Dask collections with chainrule's engine; returns the History.

    Parameters
    ----------
    network : Network
        Trained in place (its weights stay on the client; each pass sends them out).
        NumPy on the host: a network on a device is refused (``network.move_to(None)``).
    X, y : Dask arrays, DataFrames or Series, or NumPy arrays (not tensors)
        Inputs (N, n_in) and targets (N, n_out), partition i of X with partition i of
        y; ``y=None`` when X holds the targets in its last ``n_out`` columns.  Each
        partition is checked on its worker before training (a NaN or a wrong column
        count fails, naming the partition and the row).
    client : distributed.Client or str, optional
        The cluster: a client, or a scheduler's address ``'tcp://HOST:PORT'``.
    workers : int, optional
        Without ``client``: a local cluster of this many worker processes (default 2)
        for this call.
    persist : bool, default True
        Keep the checked chunks in the workers' memory; False reads them again in every
        pass (data larger than the cluster's memory).
    fan_in : int, default 8
        Partial sums added per node of the reduction tree.
    validation_data : (X_val, y_val), optional
        Validation rows, on the cluster too.
    sample_weight : None
        Not taken on a cluster (every row weighs 1): anything else is refused.
    **options
        Everything :func:`chainrule.train.fit` takes: ``optimizer``, ``learning_rate``,
        ``epochs``, ``batch_size``, ``random_state``, ``l2``, ``early_stopping``,
        ``validation_split``, ``checkpoint``, ``resume``, ``callbacks``, ...

    Raises
    ------
    ConfigError
        For ``sample_weight`` or validation weights, which a cluster's rows do not take,
        and for a network on a device, naming ``network``.
    DataError
        For a tensor (or another library's array) as X, y or validation data, naming it.
    ClusterError
        If the scheduler is lost, or a chunk's task fails on every worker it is tried
        on; the network keeps the weights of the last completed step, and a run with
        ``checkpoint`` resumes with ``resume=True``.
    """
    if sample_weight is not None:
        raise ConfigError("sample_weight: not taken on a cluster (every row weighs 1); "
                          "train on arrays in memory to weight the rows")
    if validation_data is not None and (len(validation_data) != 2):
        raise ConfigError("validation_data: expected (X_val, y_val) on a cluster (sample "
                          "weights are not taken there)")
    check_host_arrays(X=X, y=y)
    if validation_data is not None:
        check_host_arrays(**{"validation_data's X_val": validation_data[0],
                             "validation_data's y_val": validation_data[1]})
    ns = network.namespace
    if ns is not None:
        raise ConfigError(f"network: its parameters are {ns.name} arrays on {ns.device}; "
                          "training with Dask computes on NumPy chunks on the workers: "
                          "call network.move_to(None) first")
    with connect(client, workers=workers) as c:
        data = _cluster_data(network, X, y, c, persist, fan_in)
        val = None
        if validation_data is not None:
            Xv, yv = validation_data
            val = (_cluster_data(network, Xv, yv, c, persist, fan_in), None)
        try:
            return train_fit(network, data, None, validation_data=val, **options)
        finally:
            data.close()
            if val is not None:
                val[0].close()


def _cluster_data(network: Network, X: Any, y: Any, client: Any, persist: bool,
                  fan_in: int) -> ClusterData:
    return ClusterData.from_collections(X, y, client, n_inputs=network.n_inputs,
                                        n_outputs=network.n_outputs, dtype=network.dtype,
                                        persist=persist, fan_in=fan_in)
