"""Task g: peak resident memory when training 784-256-10 from a memory-mapped ``.npy``.

The parent writes a float32 ``X.npy`` (2 GB in the full run) and its one-hot
targets ``Y.npy`` into a temporary folder, then trains in a fresh child process
(``python -m benchmarks.memory --child FOLDER``) that imports only chainrule,
so that its peak RSS is the training's and nothing else's.  The folder is
deleted afterwards.

Resident memory has two parts.  Anonymous memory is what the process allocated
(buffers, parameters, batches): it must be bounded by the batch and the
parameters.  File-backed memory counts the pages of the ``.npy`` mapped into
the process: every page read through the memmap stays mapped (and counted in
RSS) until the process unmaps it, although the kernel can drop those clean
pages at any time.  On recent kernels the page cache holds files in large
folios, and a fault maps a whole folio (up to 2 MB): one random row can map
megabytes, a batch of 128 rows a hundred.  The child reports both parts,
sampled every 8 batches, and the peak RSS (``VmHWM``).

chainrule reads the rows of a memory-mapped array with positional reads
(``os.preadv``) instead of through the mapping, so nothing of X stays mapped and
the peak is the buffers, the parameters and the interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

N_FEATURES, N_CLASSES, BATCH = 784, 10, 128
TARGET_MB = 400.0
SAMPLE_EVERY = 8


def write_data(folder: Path, n_bytes: int) -> int:
    """Write X.npy (float32, about ``n_bytes``) and Y.npy (one-hot); returns the rows."""
    n = n_bytes // (N_FEATURES * 4)
    X = np.lib.format.open_memmap(folder / "X.npy", mode="w+", dtype=np.float32,
                                  shape=(n, N_FEATURES))
    Y = np.lib.format.open_memmap(folder / "Y.npy", mode="w+", dtype=np.float32,
                                  shape=(n, N_CLASSES))
    rng = np.random.default_rng(0)
    teacher = rng.standard_normal((N_FEATURES, N_CLASSES)).astype(np.float32)
    for start in range(0, n, 50_000):
        block = rng.standard_normal((min(50_000, n - start), N_FEATURES), dtype=np.float32)
        X[start:start + block.shape[0]] = block
        Y[start:start + block.shape[0]] = np.eye(N_CLASSES, dtype=np.float32)[
            np.argmax(block @ teacher, axis=1)]
    X.flush()
    Y.flush()
    del X, Y
    return n


def _status() -> dict[str, float]:
    """VmRSS, RssAnon and RssFile of this process, in MB."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                out[key] = int(line.split()[1]) / 1024
    return out


def child(folder: Path, n_threads: int, epochs: int) -> dict[str, Any]:
    """Train in this process and measure its memory (run with ``--child``)."""
    from threadpoolctl import threadpool_limits

    from chainrule import Network, fit

    X = np.load(folder / "X.npy", mmap_mode="r")
    Y = np.load(folder / "Y.npy", mmap_mode="r")
    peaks = _status()
    start_status = dict(peaks)

    def sample(epoch: int, batch: int, n_batches: int) -> None:
        if batch % SAMPLE_EVERY == 0:
            now = _status()
            for k, v in now.items():
                peaks[k] = max(peaks.get(k, 0.0), v)

    net = Network([N_FEATURES, 256, N_CLASSES], "relu", cost="cross_entropy",
                  dtype=np.float32, random_state=0)
    with threadpool_limits(limits=n_threads):
        t0 = time.perf_counter()
        history = fit(net, X, Y, epochs=epochs, batch_size=BATCH, learning_rate=1e-3,
                      random_state=0, batch_callback=sample)
        seconds = time.perf_counter() - t0
    end = _status()
    return {
        "rows": int(X.shape[0]), "file_mb": X.nbytes / 1e6, "threads": n_threads,
        "epochs": epochs, "seconds": seconds,
        "steps": history.n_steps, "final_cost": history.cost[-1],
        "start_mb": start_status, "end_mb": end,
        # VmHWM, not ru_maxrss: after fork + exec Linux keeps the parent's peak in ru_maxrss
        "peak_rss_mb": end["VmHWM"],
        "peak_sampled_mb": peaks,
        "params_mb": net.params.nbytes / 1e6,
    }


def run_memory(threads: list[int], n_bytes: int, epochs: int = 1) -> dict[str, Any]:
    """Write the data, train in a child per thread count, delete the data."""
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(root), *filter(None, [os.environ.get("PYTHONPATH")])]))
    runs = []
    with tempfile.TemporaryDirectory(prefix="chainrule-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        rows = write_data(folder, n_bytes)
        write_seconds = time.perf_counter() - t0
        for n_threads in threads:
            cmd = [sys.executable, "-m", "benchmarks.memory", "--child", str(folder),
                   "--threads", str(n_threads), "--epochs", str(epochs)]
            proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True,
                                  check=False)
            if proc.returncode != 0:
                raise RuntimeError(f"memory child failed ({proc.returncode}):\n"
                                   f"{proc.stderr[-2000:]}")
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    for r in runs:
        r["targets"] = [{"name": "peak RSS (MB)", "value": r["peak_rss_mb"], "limit": TARGET_MB,
                         "kind": "at most", "met": r["peak_rss_mb"] <= TARGET_MB}]
    return {"task": "g", "network": "784-256-10 relu/softmax, adam, batch 128, float32",
            "rows": rows, "file_mb": rows * N_FEATURES * 4 / 1e6,
            "write_seconds": write_seconds, "runs": runs}


def report(out: dict[str, Any]) -> str:
    """The result of :func:`run_memory` as a text block."""
    from .harness import fmt_seconds, table
    from .training_tasks import target_text

    lines = [f"[g] memory: {out['network']}, memmap X of {out['file_mb']:.0f} MB "
             f"({out['rows']:,} rows)"]
    rows = []
    for r in out["runs"]:
        p = r["peak_sampled_mb"]
        rows.append([f"{r['threads']} thread(s)",
                     f"{r['peak_rss_mb']:.0f}", f"{p.get('RssAnon', 0):.0f}",
                     f"{p.get('RssFile', 0):.0f}", f"{r['start_mb'].get('VmRSS', 0):.0f}",
                     fmt_seconds(r["seconds"] / r["epochs"])])
    lines.append(table(["run", "peak RSS MB", "peak anon MB", "peak file MB", "RSS at start",
                        "s/epoch"], rows, indent=4))
    lines.append("    targets: " + "; ".join(
        f"{r['threads']} thread(s): "
        + target_text(r["targets"][0]) for r in out["runs"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", type=Path, required=True, help="folder with X.npy, Y.npy")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args(argv)
    print(json.dumps(child(args.child, args.threads, args.epochs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
