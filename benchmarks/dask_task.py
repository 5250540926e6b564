"""The distributed task: one pass of full-batch training on 1 and 2 local Dask workers.

Usage (from the repository root; needs the ``dask`` extra)::

    python -m benchmarks.dask_task                 # 400,000 rows: a few minutes
    python -m benchmarks.dask_task --quick         # 100,000 rows: under a minute
    python -m benchmarks.dask_task --spark         # also Spark MLlib's MLPC (pyspark)

A 64-64-10 network (logistic hidden layer, softmax output, cross-entropy, float64)
and synthetic classes.  An epoch of full-batch gradient descent or an L-BFGS
evaluation is one pass: the cost and gradient summed over every row.  The pass
runs on one machine in this process (chainrule's own loop over 4096-row pieces),
and on a local cluster of 1 and 2 worker processes holding the rows in 8 chunks;
the contenders are interleaved over rounds.  For the cluster the task stream splits
each pass into the workers' computing and the rest (scheduling, the parameters
going out, the partial sums coming back), and the workers' transfer counters give
the bytes moved between them.  ``--memory`` streams ``.npy`` shards larger than a
worker's memory limit and reports each worker's peak resident memory.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

import numpy as np
from threadpoolctl import threadpool_limits

from chainrule import Network
from chainrule.distributed import ClusterData, chunk_terms, connect, read_npy

from .harness import environment, fmt_seconds, summary, table, write_json

N_IN, HIDDEN, N_OUT = 64, 64, 10
CHUNKS = 8
DEFAULT_OUT = Path("benchmarks") / "results" / "distributed.json"


def make_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic classes: the largest of 10 random linear scores of Gaussian inputs."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((n, N_IN))
    teacher = rng.standard_normal((N_IN, N_OUT))
    Y = np.zeros((n, N_OUT))
    Y[np.arange(n), np.argmax(X @ teacher + rng.standard_normal((n, N_OUT)), axis=1)] = 1
    return X, Y


def network() -> Network:
    return Network([N_IN, HIDDEN, N_OUT], ["logistic", "softmax"], cost="cross_entropy",
                   random_state=0)


def local_pass(net: Network, X: np.ndarray, Y: np.ndarray) -> float:
    """Σ_k C_k and Σ_k ∂C_k/∂θ over all rows in this process, on one core: the workers'
    own function on one chunk holding every row."""
    with threadpool_limits(1):
        return float(chunk_terms((X, Y), net, net.params)[-2])


def cluster_pass(client: Any, data: ClusterData, net: Network) -> dict[str, float]:
    """One pass, timed, with the workers' computing time and the bytes they exchanged."""
    from distributed import get_task_stream

    sent0 = sum(client.run(_sent_bytes).values())
    with get_task_stream(client) as stream:
        t0 = time.perf_counter()
        data.terms(net)
        wall = time.perf_counter() - t0
    sent = sum(client.run(_sent_bytes).values()) - sent0
    busy: dict[str, float] = {}
    for task in stream.data:
        if "chainrule-terms" not in str(task["key"]):
            continue
        for ss in task["startstops"]:
            if ss["action"] == "compute":
                busy[task["worker"]] = busy.get(task["worker"], 0.0) + ss["stop"] - ss["start"]
    compute = max(busy.values())  # the busiest worker: the pass waits for it
    return {"wall": wall, "compute": compute, "other": wall - compute,
            "worker_bytes": float(sent)}


def _sent_bytes(dask_worker: Any) -> int:
    return int(dask_worker.transfer_outgoing_bytes_total)


def round_trip(client: Any, repeats: int = 30) -> float:
    """Median seconds of submitting one trivial task and getting its result."""
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        client.submit(int, i, pure=False).result()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def measure(n: int, rounds: int) -> dict[str, Any]:
    """Interleaved rounds: a pass in this process, on 1 worker and on 2 workers."""
    import dask.array as da

    X, Y = make_data(n)
    net = network()
    chunks = (n // CHUNKS,) * (CHUNKS - 1) + (n - (CHUNKS - 1) * (n // CHUNKS),)
    out: dict[str, Any] = {"rows": n, "params": net.n_params, "chunks": CHUNKS}
    with contextlib.ExitStack() as stack, warnings.catch_warnings():
        # the NumPy data go to the cluster inside the graph once: not what is measured
        warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
        clusters = {}
        for workers in (1, 2):
            client = stack.enter_context(connect(workers=workers, memory_limit="4GB"))
            data = ClusterData.from_collections(
                da.from_array(X, chunks=(chunks, N_IN)), da.from_array(Y, chunks=(chunks, N_OUT)),
                client, n_inputs=N_IN, n_outputs=N_OUT)
            data.terms(net)  # warm up: the network reaches the workers
            clusters[workers] = (client, data)
        one: list[float] = []
        passes: dict[int, list[dict[str, float]]] = {1: [], 2: []}
        for r in range(rounds):
            for workers in ((1, 2) if r % 2 else (2, 1)):
                passes[workers].append(cluster_pass(*clusters[workers], net))
            t0 = time.perf_counter()
            local_pass(net, X, Y)
            one.append(time.perf_counter() - t0)
        for workers, (client, _) in clusters.items():
            out[f"workers_{workers}"] = {k: summary([p[k] for p in passes[workers]])
                                         for k in passes[workers][0]}
            out[f"workers_{workers}"]["round_trip"] = round_trip(client)
    out["one_machine"] = summary(one)
    return out


def paper_model(m: dict[str, Any], workers: tuple[int, ...] = (8, 64, 256),
                bandwidth: float = 1.25e9, fan_in: int = 8) -> list[dict[str, float]]:
    """Seconds per epoch on W workers, from the measured pass on 2.

    T(W) = T_compute · 2 / W  +  depth(W) · (t_hop + S / B)  +  t_hop + W · S / B_client

    with S = (P + 2) × 8 bytes (the parameters out, a partial sum back), depth =
    ⌈log_fan_in(W)⌉ levels of additions, t_hop the measured round trip of one trivial
    task (scheduling and one message each way), and B = 10 GbE for worker links; the
    parameters leave the scheduler once per worker (``W · S / B``).  Assumes the rows
    spread evenly and the chunks large enough that a worker's pass is computing.
    """
    two = m["workers_2"]
    compute2 = two["compute"]["median"]
    hop = two["round_trip"]
    S = (m["params"] + 2) * 8
    rows = []
    for W in workers:
        depth = max(1, int(np.ceil(np.log(W) / np.log(fan_in))))
        compute = compute2 * 2 / W
        comm = depth * (hop + S / bandwidth) + hop + W * S / bandwidth
        rows.append({"workers": W, "compute": compute, "communication": comm,
                     "epoch": compute + comm, "speedup_vs_2": (two["wall"]["median"])
                     / (compute + comm)})
    return rows


def measure_memory(shards: int, shard_rows: int, limit: str) -> dict[str, Any]:
    """Peak resident memory of each worker streaming shards larger than its limit."""
    folder = Path(tempfile.mkdtemp(prefix="chainrule-shards-"))
    rng = np.random.default_rng(0)
    for i in range(shards):
        np.save(folder / f"shard-{i:03d}.npy", rng.standard_normal((shard_rows, N_IN + 1)))
    shard_bytes = shard_rows * (N_IN + 1) * 8
    net = Network([N_IN, HIDDEN, 1], "tanh", random_state=0)
    with connect(workers=2, memory_limit=limit) as client:
        client.run(lambda: network().predict(np.zeros((1, N_IN))))
        before = client.run(_reset_peak)
        data = ClusterData.from_source(read_npy(folder), client, target=1, persist=False)
        t0 = time.perf_counter()
        data.terms(net)
        seconds = time.perf_counter() - t0
        after = client.run(_peak)
    for f in folder.iterdir():
        f.unlink()
    folder.rmdir()
    return {"data_bytes": shards * shard_bytes, "shard_bytes": shard_bytes, "limit": limit,
            "pass_seconds": seconds,
            "workers": [{"before": before[w], "peak": after[w]} for w in sorted(after)]}


def _peak() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM"))


def _reset_peak() -> int:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _peak()


def report(m: dict[str, Any]) -> str:
    lines = [f"{m['rows']:,} rows × {N_IN}-{HIDDEN}-{N_OUT}, {m['params']:,} parameters, "
             f"{m['chunks']} chunks; one pass (an epoch of full-batch GD):"]
    rows = [["this process, 1 core", fmt_seconds(m["one_machine"]["median"]), "", "",
             ""]]
    for w in (1, 2):
        r = m[f"workers_{w}"]
        rows.append([f"{w} worker{'s' if w > 1 else ''}", fmt_seconds(r["wall"]["median"]),
                     fmt_seconds(r["compute"]["median"]), fmt_seconds(r["other"]["median"]),
                     f"{r['worker_bytes']['median'] / 1e3:.1f} kB"])
    lines.append(table(["", "pass", "computing", "the rest", "between workers"], rows))
    lines.append("model on paper (10 GbE, measured round trip "
                 f"{fmt_seconds(m['workers_2']['round_trip'])}):")
    lines.append(table(["workers", "computing", "communication", "epoch", "speed-up vs 2"],
                       [[str(r["workers"]), fmt_seconds(r["compute"]),
                         fmt_seconds(r["communication"]), fmt_seconds(r["epoch"]),
                         f"{r['speedup_vs_2']:.1f}×"] for r in m["paper"]]))
    if "memory" in m:
        mem = m["memory"]
        lines.append(f"streaming {mem['data_bytes'] / 1e6:.0f} MB of shards "
                     f"({mem['shard_bytes'] / 1e6:.0f} MB each) through 2 workers limited "
                     f"to {mem['limit']}: pass {fmt_seconds(mem['pass_seconds'])}")
        for w in mem["workers"]:
            lines.append(f"  worker peak {w['peak'] / 1e6:.0f} MB (idle {w['before'] / 1e6:.0f}"
                         f" MB)")
    if "spark" in m:
        lines.append(m["spark"]["text"])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dask_task")
    parser.add_argument("--quick", action="store_true", help="100,000 rows, 3 rounds")
    parser.add_argument("--memory", action="store_true",
                        help="also stream shards larger than a worker's memory limit")
    parser.add_argument("--spark", action="store_true",
                        help="also Spark MLlib's MultilayerPerceptronClassifier (pyspark)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    n, rounds = (100_000, 3) if args.quick else (400_000, 5)
    m = measure(n, rounds)
    m["paper"] = paper_model(m)
    if args.memory:
        m["memory"] = measure_memory(shards=48, shard_rows=40_000, limit="600MB")
    if args.spark:
        from .spark_mlpc import compare

        m["spark"] = compare(n if args.quick else 200_000)
    m["environment"] = environment(sys.argv)
    print(report(m))
    write_json(args.out, m)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
