"""Rows spread over a cluster: checked chunks that stay where they are, and passes over them.

:class:`ClusterData` holds the chunks of one data set (a Dask array or DataFrame, or a
NumPy array cut into chunks) as the workers made them.  A *pass* sends the parameters to
the workers and brings back one vector of sums (:mod:`chainrule.distributed.chunks`):

1. the parameters θ go into the task graph once, as one key that the workers share
   (``n_params × 8`` bytes to each worker that holds a chunk);
2. every chunk computes its terms ``[Σ_k ∂C_k/∂θ, Σ_k C_k, correct]`` where it lives;
3. a tree of additions, ``fan_in`` terms per node, combines them on the workers, always
   in the same order, so the client receives one vector and a run is reproducible bit
   for bit (a lost worker's chunks are recomputed and added in their usual place).

A pass may cover all rows (full-batch gradient descent, L-BFGS, evaluation) or the
rows of one mini-batch, given by their global indices: each chunk then receives the
indices that fall inside it, and only the chunks that hold rows of the batch work.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..data.lazy import check_host_arrays
from ..data.scaling import Standardizer
from ..errors import ConfigError, ShapeError
from ..nn.network import Network
from ..train.checkpoint import fingerprint, fingerprint_rows
from .chunks import (
    add_terms,
    check_chunk,
    chunk_moments,
    chunk_rows,
    chunk_terms,
    merge_moments,
    scale_chunk,
    side_by_side,
    take_rows,
)
from .cluster import ClusterError, current_client, require_dask
from .readers import Source

__all__ = ["ClusterData", "is_dask_collection", "lazy_unique", "tree_sum"]

Array = np.ndarray
KEEP_ROWS = 4096  # selections longer than this are sent to the workers once, then kept


def is_dask_collection(obj: object) -> bool:
    """Whether ``obj`` is a Dask array, DataFrame or Series (without importing Dask)."""
    return type(obj).__module__.startswith("dask") and hasattr(obj, "__dask_graph__")


class ClusterData:
    """The checked chunks of ``(X, Y)`` on a cluster, and the passes that sum over them.

    Build it with :meth:`from_collections`.  ``persist=True`` keeps the checked chunks in
    the workers' memory (each worker holds only its own chunks); ``persist=False`` reads
    them again in every pass, for data larger than the cluster's memory.
    """

    def __init__(self, client: Any, chunks: list[Any], lengths: Sequence[int], *,
                 n_inputs: int, n_outputs: int, fan_in: int = 8,
                 dtype: str | np.dtype = "float64"):
        if isinstance(fan_in, bool) or not isinstance(fan_in, int) or fan_in < 2:
            raise ConfigError(f"fan_in: expected an integer >= 2, got {fan_in!r}")
        self.client, self.chunks = client, chunks
        self.address = _address(client)  # for messages once the scheduler is gone
        self.lengths = np.asarray(lengths, np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)])  # chunk i: [o_i, o_i+1)
        self.n_inputs, self.n_outputs, self.fan_in = n_inputs, n_outputs, fan_in
        self.dtype = np.dtype(dtype)  # the checked chunks'
        self._run = uuid.uuid4().hex[:12]
        self._count = itertools.count()
        self._network: tuple[Network, Any] | None = None
        self._kept_rows: dict[int, tuple[Array, list[tuple[int, Any]]]] = {}

    @property
    def n_rows(self) -> int:
        """Rows in all chunks together."""
        return int(self.offsets[-1])

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, inputs)``, as an input array's."""
        return self.n_rows, self.n_inputs

    @property
    def n_chunks(self) -> int:
        return len(self.chunks)

    @classmethod
    def from_collections(cls, X: Any, Y: Any, client: Any, *, n_inputs: int, n_outputs: int,
                         dtype: str | np.dtype = "float64", persist: bool = True,
                         fan_in: int = 8, sources: Sequence[str | None] | None = None,
                         x_columns: list[str] | None = None,
                         y_columns: list[str] | None = None) -> ClusterData:
        """Chunks from Dask collections (arrays, DataFrames, Series) or NumPy arrays.

        Partition i of ``X`` goes with partition i of ``Y``; NumPy inputs are one chunk.
        ``Y=None``: X holds the targets too, in its ``y_columns`` (a DataFrame) or its
        last ``n_outputs`` columns (an array), and each partition is read and cut in one
        task, so a worker streaming files holds few of them at a time.
        Tensors (and other libraries' arrays) are refused, naming X or y.
        Every chunk is checked on its worker (:func:`~chainrule.distributed.chunks.
        check_chunk`) and counted in one first pass, which fails, naming the partition
        and the row, before any training starts.  ``sources`` names each partition's
        file in those errors.
        """
        dask = require_dask()
        check_host_arrays(X=X, y=Y)  # a tensor is refused, not cut into chunks
        if Y is None:  # X holds the targets too (see check_chunk)
            X_parts = _partitions(X, "X")
            Y_parts = [None] * len(X_parts)
        elif _is_frame(X) and _is_frame(Y):
            # One frame: partitions of separate frames may be fused differently when read.
            X, Y, x_columns, y_columns = _one_frame(X, Y)
            X_parts, Y_parts = _partitions(X, "X"), [None] * X.npartitions
        else:
            X_parts, Y_parts = _partitions(X, "X"), _partitions(Y, "y")
        if len(X_parts) != len(Y_parts):
            raise ShapeError(f"y: has {len(Y_parts)} partitions but X has {len(X_parts)}; "
                             "give X and y with the same row chunks")
        names = list(sources) if sources is not None else [None] * len(X_parts)
        dt = np.dtype(dtype).name
        checked = [dask.delayed(check_chunk, pure=True)(x, y, i, n_inputs, n_outputs, dt,
                                                         names[i], x_columns, y_columns)
                   for i, (x, y) in enumerate(zip(X_parts, Y_parts))]
        if persist:
            checked = client.persist(checked)
        counts = [dask.delayed(chunk_rows, pure=True)(c) for c in checked]
        lengths = _compute(client, counts)
        return cls(client, checked, lengths, n_inputs=n_inputs, n_outputs=n_outputs,
                   fan_in=fan_in, dtype=dt)

    @classmethod
    def from_source(cls, source: Source, client: Any, *, target: Sequence[str] | int,
                    dtype: str | np.dtype = "float64", persist: bool = True,
                    fan_in: int = 8) -> ClusterData:
        """Chunks of a file data set (:mod:`~chainrule.distributed.readers`), a partition
        per file, its ``target`` columns (names; for ``.npy`` shards, how many of the last
        columns) the targets and the other columns the inputs."""
        if source.columns is None:
            if isinstance(target, str) or not isinstance(target, int) or target < 1:
                raise ConfigError(f"target: .npy shards have no column names; give the "
                                  f"number of target columns at the end, got {target!r}")
            width = source.data.shape[1]
            if target >= width:
                raise ConfigError(f"target: {target} target columns leave no inputs of the "
                                  f"{width} columns")
            return cls.from_collections(source.data, None, client, n_inputs=width - target,
                                        n_outputs=target, dtype=dtype, persist=persist,
                                        fan_in=fan_in, sources=source.files)
        targets = [target] if isinstance(target, str) else [str(t) for t in target]
        unknown = [t for t in targets if t not in source.columns]
        if unknown or not targets:
            raise ConfigError(f"target: no column {(unknown or [''])[0]!r}; the columns are "
                              f"{source.columns}")
        inputs = [c for c in source.columns if c not in targets]
        if not inputs:
            raise ConfigError("target: every column is a target; no inputs are left")
        return cls.from_collections(source.data, None, client, n_inputs=len(inputs),
                                    n_outputs=len(targets), dtype=dtype, persist=persist,
                                    fan_in=fan_in, sources=source.files, x_columns=inputs,
                                    y_columns=targets)

    # -- passes ------------------------------------------------------------------

    def split_rows(self, rows: Array | None) -> list[tuple[int, Array | None]]:
        """``(chunk, local rows)`` for the chunks holding any of the global ``rows``.

        None selects every row of every chunk.  The local rows keep the order of the
        sorted global ones.
        """
        if rows is None:
            return [(i, None) for i in range(self.n_chunks)]
        sel = np.sort(np.asarray(rows, np.int64))
        if sel.size and (sel[0] < 0 or sel[-1] >= self.n_rows):
            raise ConfigError(f"rows: expected indices in [0, {self.n_rows}), got "
                              f"{sel[0]}..{sel[-1]}")
        cuts = np.searchsorted(sel, self.offsets)  # sel[cuts[i]:cuts[i+1]] fall in chunk i
        return [(i, sel[cuts[i]:cuts[i + 1]] - self.offsets[i])
                for i in range(self.n_chunks) if cuts[i + 1] > cuts[i]]

    def terms(self, network: Network, rows: Array | None = None, *, gradient: bool = True,
              count_correct: bool = False) -> tuple[float, int, Array]:
        """``(Σ_k C_k, correct, Σ_k ∂C_k/∂θ)`` over the selected rows, at ``network.params``.

        One pass: one graph, one tree reduction, one vector back.  The gradient is the
        sum over the rows (divide by their number for the mean cost's); zeros when
        ``gradient`` is False.

        Raises
        ------
        ClusterError
            If the scheduler is lost, or a chunk's task failed on every worker it tried.
        """
        dask = require_dask()
        tag = f"{self._run}-{next(self._count)}"
        net = self._network_key(network)
        params = dask.delayed(network.params.copy(), name=f"chainrule-params-{tag}")
        parts = [dask.delayed(chunk_terms, pure=True)(
            self.chunks[i], net, params, local, gradient, count_correct,
            dask_key_name=f"chainrule-terms-{tag}-{i}") for i, local in self._local_rows(rows)]
        root = tree_sum(parts, self.fan_in, f"chainrule-sum-{tag}")
        total = _compute(self.client, root, self.address)
        P = network.n_params
        return float(total[P]), int(total[P + 1]), total[:P]

    def _local_rows(self, rows: Array | None) -> list[tuple[int, Any]]:
        """:meth:`split_rows`, the large selections (a run's training or validation rows,
        passed in every epoch) sent to the workers once and kept there."""
        if rows is None or len(rows) <= KEEP_ROWS:
            return self.split_rows(rows)
        kept = self._kept_rows.get(id(rows))
        if kept is None or kept[0] is not rows:
            dask = require_dask()
            tag = f"{self._run}-{next(self._count)}"
            local = [(i, dask.delayed(sel, name=f"chainrule-rows-{tag}-{i}"))
                     for i, sel in self.split_rows(rows)]
            futures = self.client.persist([d for _, d in local])
            kept = self._kept_rows[id(rows)] = (rows, [(i, f) for (i, _), f in
                                                       zip(local, futures)])
        return kept[1]

    # -- the engine's view of a data set (see chainrule.train.batches.ArrayRows) ----------

    def batch_terms(self, network: Network, rows: Array | None, *, count_correct: bool,
                    gradient: bool = True) -> tuple[float, float, int, Array | None]:
        """``(Σ_k C_k, m, correct, ∂C/∂θ)`` of one batch of ``m`` rows (all when None): the
        gradient of its mean cost (None without ``gradient``).  Every row weighs 1."""
        total, correct, grad = self.terms(network, rows, gradient=gradient,
                                          count_correct=count_correct)
        m = self.weight_total(rows)
        if not gradient:
            return total, m, correct, None
        grad /= m
        return total, m, correct, grad

    def pass_terms(self, network: Network, rows: Array | None, *, count_correct: bool,
                   grad: Array | None = None) -> tuple[float, int]:
        """``(Σ_k C_k, correct)`` over the selected rows; ``grad`` (float64, optional)
        gets the gradient of their mean cost."""
        total, correct, g = self.terms(network, rows, gradient=grad is not None,
                                       count_correct=count_correct)
        if grad is not None:
            np.divide(g, self.weight_total(rows), out=grad)
        return total, correct

    def weight_total(self, rows: Array | None) -> int:
        """The number of selected rows (all when None): every row weighs 1."""
        return self.n_rows if rows is None else len(rows)

    def take(self, rows: Array) -> tuple[Array, Array]:
        """The checked rows ``rows`` (global indices) as two small arrays, in that order."""
        sel = np.asarray(rows, np.int64)
        order = np.argsort(sel, kind="stable")
        dask = require_dask()
        parts = [dask.delayed(take_rows, pure=True)(self.chunks[i], local)
                 for i, local in self.split_rows(sel)]
        pieces = _compute(self.client, parts, self.address)
        X = np.concatenate([p[0] for p in pieces])
        Y = np.concatenate([p[1] for p in pieces])
        back = np.empty_like(order)
        back[order] = np.arange(order.size)  # the sorted rows back in the order asked
        return X[back], Y[back]

    def standardizer(self) -> Standardizer:
        """The :class:`~chainrule.data.Standardizer` of the inputs: each chunk's count, mean
        and squared deviations computed where it lives, merged here in chunk order."""
        dask = require_dask()
        parts = _compute(self.client, [dask.delayed(chunk_moments, pure=True)(c)
                                       for c in self.chunks], self.address)
        return Standardizer.from_moments(*merge_moments(parts))

    def scaled(self, scaler: Standardizer, dtype: str | np.dtype) -> ClusterData:
        """The same rows with standardised inputs in ``dtype``, kept on the workers (this
        data's chunks are let go)."""
        dask = require_dask()
        dt = np.dtype(dtype).name
        chunks = self.client.persist([dask.delayed(scale_chunk, pure=True)(
            c, scaler.mean_, scaler.scale_, dt) for c in self.chunks])
        self.close()
        return ClusterData(self.client, chunks, self.lengths, n_inputs=self.n_inputs,
                           n_outputs=self.n_outputs, fan_in=self.fan_in, dtype=dt)

    def evaluate(self, network: Network, rows: Array | None = None, *,
                 classification: bool = False) -> tuple[float, float | None]:
        """Mean cost (and accuracy, with ``classification``) over the selected rows (all
        when None), as :func:`chainrule.train.evaluate` gives for the same rows in arrays."""
        total, correct = self.pass_terms(network, rows, count_correct=classification)
        n = self.weight_total(rows)
        return total / n, (correct / n if classification else None)

    def summary(self) -> dict[str, Any]:
        """The data's shape and fingerprint as a checkpoint records them: the same as
        for the same rows in arrays (:func:`~chainrule.train.checkpoint.data_summary`)."""
        n = self.n_rows
        Xr, Yr = self.take(fingerprint_rows(n))
        digest = fingerprint([((n, self.n_inputs), Xr), ((n, self.n_outputs), Yr)])
        return {"n_examples": n, "n_features": self.n_inputs, "n_outputs": self.n_outputs,
                "fingerprint": digest, "validation": None}

    def _network_key(self, network: Network) -> Any:
        """The network's shape and functions, sent to the workers once per network."""
        if self._network is None or self._network[0] is not network:
            dask = require_dask()
            shell = dask.delayed(network.copy(), name=f"chainrule-network-{self._run}")
            self._network = (network, self.client.persist(shell))
        return self._network[1]

    def close(self) -> None:
        """Let the workers drop the chunks and the network (the data stay where they came from)."""
        self.chunks, self._network, self._kept_rows = [], None, {}


def lazy_unique(y: Any, limit: int | None = None) -> np.ndarray:
    """The sorted distinct values of a Dask array, Series or one-column DataFrame,
    found on the workers (each partition's, then those combined).

    With ``limit``, counting stops past it: at most the ``limit + 1`` smallest
    distinct values come back (each partition sends no more), enough to tell a
    column of at most ``limit`` values (all of them) from one of more, in memory
    and traffic bounded by ``limit`` whatever the number of distinct values.
    """
    dask = require_dask()
    parts = _partitions(y, "y")
    found = _compute(current_client(), [dask.delayed(_smallest_distinct, pure=True)(p, limit)
                                        for p in parts])
    return _smallest_distinct(np.concatenate(found), limit)


def _smallest_distinct(part: Any, limit: int | None) -> np.ndarray:
    """The sorted distinct values of a partition, the ``limit + 1`` smallest with ``limit``."""
    values = np.unique(np.ravel(np.asarray(part)))
    return values if limit is None else values[:limit + 1]


def tree_sum(parts: list[Any], fan_in: int, name: str) -> Any:
    """A tree of :func:`add_terms` over ``parts``: ``fan_in`` children a node, fixed order."""
    dask = require_dask()
    level = 0
    while len(parts) > 1:
        parts = [dask.delayed(add_terms, pure=True)(*parts[j:j + fan_in],
                                                    dask_key_name=f"{name}-{level}-{j}")
                 for j in range(0, len(parts), fan_in)]
        level += 1
    return parts[0]


def _is_frame(A: Any) -> bool:
    """A Dask DataFrame or Series (arrays have no divisions)."""
    return is_dask_collection(A) and hasattr(A, "divisions")


def _one_frame(X: Any, Y: Any) -> tuple[Any, None, list[str], list[str]]:
    """X's and Y's columns side by side in one Dask DataFrame, and the two lists of names.

    Partition i of X goes with partition i of Y, row by row (not by index: files read
    one per partition each number their rows from 0).
    """
    Yf = Y.to_frame() if Y.ndim == 1 else Y
    x_columns = [str(c) for c in X.columns]
    y_columns = [str(c) for c in Yf.columns]
    shared = [c for c in y_columns if c in x_columns]
    if shared:
        raise ShapeError(f"y: the column {shared[0]!r} is also a column of X")
    if X.npartitions != Yf.npartitions:
        raise ShapeError(f"y: has {Yf.npartitions} partitions but X has {X.npartitions}; "
                         "give X and y with the same partitions")
    both = X.map_partitions(side_by_side, Yf, align_dataframes=False,
                            enforce_metadata=False)
    return both, None, x_columns, y_columns


def _partitions(A: Any, name: str) -> list[Any]:
    """The row partitions of a Dask array, DataFrame or Series, as Delayed objects."""
    if not is_dask_collection(A):
        if not hasattr(A, "shape") and not hasattr(A, "columns"):
            A = np.asarray(A)
        return [A]
    if _is_frame(A):
        return list(A.to_delayed())
    if A.ndim == 1:
        A = A[:, None]
    if A.ndim != 2:
        raise ShapeError(f"{name}: expected a 2-D array (examples × features), got {A.ndim}-D")
    if len(A.chunks[1]) > 1:
        A = A.rechunk({1: -1})  # one chunk across the columns: a chunk is a block of rows
    return list(A.to_delayed().flat)


def _compute(client: Any, graph: Any, where: str | None = None) -> Any:
    """The value of a Delayed (or list of them) computed on the cluster.

    Raises
    ------
    ClusterError
        At once when the client has lost its scheduler (it would otherwise wait for it
        to come back), or when a task failed on every worker it was tried on.
    """
    import distributed

    where = where or _address(client)
    if client.status not in ("running", "newly-created"):
        raise ClusterError(f"lost the Dask scheduler at {where} (the client is "
                           f"{client.status})")
    try:
        return client.gather(client.compute(graph))
    except distributed.client.FutureCancelledError as exc:
        if client.status not in ("running", "newly-created"):
            raise ClusterError(f"lost the Dask scheduler at {where}: {exc}") from None
        raise ClusterError(f"a task was cancelled on the cluster: {exc}") from None
    except distributed.KilledWorker as exc:
        raise ClusterError(f"a task failed on every worker it was tried on (the workers "
                           f"died running it: out of memory?): {exc}") from None
    except (OSError, distributed.comm.CommClosedError) as exc:
        raise ClusterError(f"lost the Dask scheduler at {where}: {exc}") from None


def _address(client: Any) -> str:
    """The scheduler's address (a client that lost its scheduler may have forgotten it)."""
    return str(getattr(client.scheduler, "address", None) or "the cluster")
