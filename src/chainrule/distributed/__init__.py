"""Data-parallel training on a Dask cluster: the rows stay on the workers, the sums come back.

``cluster`` (connecting to a cluster, or starting a local one), ``chunks`` (what a worker
does with its chunks), ``data`` (the chunks of a data set and the passes over them),
``training`` (:func:`fit`: the training engine reading from a cluster), ``readers``
(Parquet, CSV globs and ``.npy`` shards, read lazily) and ``table`` (such a data set
prepared for training on the workers: classes, targets, standardised inputs).  Needs the
``dask`` extra: ``pip install 'chainrule[dask]'``.
"""

from . import chunks, cluster, data, readers, table, training
from .chunks import (
    add_terms,
    check_chunk,
    chunk_moments,
    chunk_rows,
    chunk_terms,
    encode_labels,
    merge_moments,
    scale_chunk,
    side_by_side,
    take_rows,
)
from .cluster import ClusterError, connect, current_client, require_dask
from .data import ClusterData, is_dask_collection, lazy_unique, tree_sum
from .readers import Source, read_csv, read_data, read_npy, read_parquet
from .table import ClusterTable
from .training import fit

__all__ = [*chunks.__all__, *cluster.__all__, *data.__all__, *readers.__all__,
           *table.__all__, *training.__all__]
