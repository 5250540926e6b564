"""When the cluster misbehaves: workers killed, the scheduler lost, data larger than a worker.

Each test makes its own cluster (a local one, or scheduler and worker processes started
here on 127.0.0.1), bounded in memory and time, and stops it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dask.array as da
import numpy as np
import pytest

from chainrule import Network, distributed
from chainrule.distributed import ClusterData, ClusterError, connect, read_npy
from chainrule.errors import DataError

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
    n_shards = 48  # 480 MiB in all, 240 MiB per worker: more than a worker's 400 MB
    for i in range(n_shards):
        np.save(tmp_path / f"shard-{i:02d}.npy", rng.normal(size=(SHARD_ROWS, N_IN + 1)))
    shard_bytes = SHARD_ROWS * (N_IN + 1) * 8
    src = read_npy(tmp_path)
    net = Network([N_IN, 4, 1], "tanh", random_state=0)
    with connect(workers=2, memory_limit="400MB") as client:
        client.run(lambda: Network([2, 1], "tanh").predict([[0.0, 0.0]]))  # imports done
        before = client.run(_reset_peak)
        data = ClusterData.from_source(src, client, target=1, persist=False)
        assert data.n_rows == n_shards * SHARD_ROWS
        total, _, grad = data.terms(net)  # a second pass over every shard
        after = client.run(_peak_rss)
    assert n_shards * shard_bytes > 400e6
    assert np.isfinite(total) and np.isfinite(grad).all()
    for worker, peak in after.items():
        # a few shards in flight (read, checked, summed), never the worker's 24
        assert peak - before[worker] < 8 * shard_bytes, (worker, before[worker], peak)


# -- workers and schedulers lost in the middle of training ------------------------------

UNEVEN = (301, 699, 450, 550)
OPTIONS = {"optimizer": "adam", "learning_rate": 0.01, "batch_size": 250, "epochs": 6,
           "random_state": 0}


def _dask_data():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(2000, 5)), rng.normal(size=(2000, 2))
    return (da.from_array(X, chunks=(UNEVEN, 5)), da.from_array(Y, chunks=(UNEVEN, 2)))


def _network():
    return Network([5, 8, 2], "tanh", random_state=0)


def test_a_killed_worker_does_not_stop_the_run():
    Xd, Yd = _dask_data()
    with connect(workers=2, memory_limit="1GB") as client:
        undisturbed = _network()
        distributed.fit(undisturbed, Xd, Yd, client=client, **OPTIONS)
        pids = client.run(os.getpid)
        victim = max(pids.values())

        def kill(info):
            if info.epoch == 2:
                os.kill(victim, signal.SIGKILL)  # its chunks are lost with it

        net = _network()
        history = distributed.fit(net, Xd, Yd, client=client, callbacks=[kill], **OPTIONS)
        assert victim not in client.run(os.getpid).values()
    assert len(history.cost) == OPTIONS["epochs"]
    assert np.array_equal(net.params, undisturbed.params)  # recomputed chunks, same sums


@contextlib.contextmanager
def _scheduler_and_workers(folder: Path, n_workers: int = 2):
    """A scheduler and worker processes on 127.0.0.1 (not this process's), stopped after."""
    file = folder / "scheduler.json"
    py = sys.executable
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [subprocess.Popen([py, "-m", "distributed.cli.dask_scheduler", "--host",
                               "127.0.0.1", "--port", "0", "--dashboard-address", ":0",
                               "--scheduler-file", str(file)], **quiet)]
    try:
        procs += [subprocess.Popen([py, "-m", "distributed.cli.dask_worker", "--scheduler-file",
                                    str(file), "--nthreads", "1", "--no-dashboard", "--host",
                                    "127.0.0.1", "--memory-limit", "500MB"], **quiet)
                  for _ in range(n_workers)]
        deadline = time.monotonic() + 60
        while not file.exists() or not file.read_text().strip():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.1)
        yield procs[0], json.loads(file.read_text())["address"]
    finally:
        for p in procs:
            p.kill()
            p.wait(timeout=30)


def test_a_lost_scheduler_ends_the_run_and_the_checkpoint_resumes_it(tmp_path):
    Xd, Yd = _dask_data()
    ck = tmp_path / "run.ckpt"
    with _scheduler_and_workers(tmp_path) as (scheduler, address):
        net = _network()

        def lose(info):
            if info.epoch == 3:
                scheduler.kill()  # after this epoch's checkpoint is written
                scheduler.wait(timeout=30)

        with pytest.raises(ClusterError, match="lost the Dask scheduler"):
            distributed.fit(net, Xd, Yd, client=address, checkpoint=ck, callbacks=[lose],
                            **OPTIONS)
    assert ck.is_file()
    with connect(workers=2, memory_limit="1GB") as client:
        resumed = _network()
        history = distributed.fit(resumed, Xd, Yd, client=client, checkpoint=ck,
                                  resume=True, **OPTIONS)
        undisturbed = _network()
        distributed.fit(undisturbed, Xd, Yd, client=client, **OPTIONS)
    assert history.epoch[-1] == OPTIONS["epochs"]
    assert np.array_equal(resumed.params, undisturbed.params)


def test_a_bad_chunk_fails_before_anything_is_written(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2000, 5))
    X[301 + 5, 1] = np.nan  # partition 1, row 5
    Xd = da.from_array(X, chunks=(UNEVEN, 5))
    Yd = da.from_array(rng.normal(size=(2000, 2)), chunks=(UNEVEN, 2))
    net = _network()
    before = net.params.copy()
    with pytest.raises(DataError, match=r"X: partition 1, row 5: NaN in column 1"):
        distributed.fit(net, Xd, Yd, workers=2, checkpoint=tmp_path / "run.ckpt", **OPTIONS)
    assert list(tmp_path.iterdir()) == []
    assert np.array_equal(net.params, before)
