"""When the cluster misbehaves: workers killed, the scheduler lost, data larger than a worker.

Each test makes its own cluster (a local one, or scheduler and worker processes started
here on 127.0.0.1), bounded in memory and time, and stops it.
"""

from __future__ import annotations

import numpy as np

from chainrule import Network
from chainrule.distributed import ClusterData, connect, read_npy

SHARD_ROWS, N_IN = 32_768, 39  # 10 MiB of float64 per shard (with one target column)


def _peak_rss() -> int:
    """This process's peak resident memory since the last :func:`_reset_peak`, in bytes."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM"))


def _reset_peak() -> int:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # Linux: the peak (VmHWM) starts again from the resident memory now
    return _peak_rss()


def test_memory_per_worker_is_bounded_by_its_chunks(tmp_path):
    rng = np.random.default_rng(0)
    n_shards = 24  # 240 MiB in all, 120 MiB per worker: more than a worker's 200 MB
    for i in range(n_shards):
        np.save(tmp_path / f"shard-{i:02d}.npy", rng.normal(size=(SHARD_ROWS, N_IN + 1)))
    shard_bytes = SHARD_ROWS * (N_IN + 1) * 8
    src = read_npy(tmp_path)
    net = Network([N_IN, 4, 1], "tanh", random_state=0)
    with connect(workers=2, memory_limit="200MB") as client:
        client.run(lambda: Network([2, 1], "tanh").predict([[0.0, 0.0]]))  # imports done
        before = client.run(_reset_peak)
        data = ClusterData.from_source(src, client, target=1, persist=False)
        assert data.n_rows == n_shards * SHARD_ROWS
        total, _, grad = data.terms(net)  # a second pass over every shard
        after = client.run(_peak_rss)
    assert n_shards * shard_bytes > 200e6
    assert np.isfinite(total) and np.isfinite(grad).all()
    for worker, peak in after.items():
        # a few shards in flight (read, checked, summed), never the worker's 12
        assert peak - before[worker] < 8 * shard_bytes, (worker, before[worker], peak)
