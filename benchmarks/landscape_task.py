"""Task e: the NOT toy's cost landscape on a 1000×1000 grid of (w, b).

chainrule's :func:`~chainrule.nn.landscape.cost_surface` evaluates the grid as one
batched computation.  The reference is what it replaces: setting the two
parameters and evaluating the network once per grid point.  That loop is timed
on a random sample of grid points and scaled to the whole grid, and its costs
are compared with the surface's at the same points.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from .harness import fmt_seconds, summary

TARGET_SECONDS = 0.030
TARGET_SPEEDUP = 1000.0


def run_landscape(n_threads: int, rounds: int, n_grid: int = 1000,
                  n_sample: int = 2000) -> dict[str, Any]:
    """Time the surface ``rounds`` times and, by turns, the per-point loop on a sample."""
    try:
        from chainrule.nn.landscape import cost_surface, not_toy
    except ImportError as exc:  # the module is newer than this runner may be
        return {"task": "e", "error": f"chainrule.nn.landscape unavailable: {exc}"}
    net, X, Y = not_toy()
    w0, b0 = float(net.W[0][0, 0]), float(net.b[0][0])
    xs = np.linspace(w0 - 4, w0 + 4, n_grid)
    ys = np.linspace(b0 - 4, b0 + 4, n_grid)
    rng = np.random.default_rng(0)
    ii = rng.integers(0, n_grid, n_sample)
    jj = rng.integers(0, n_grid, n_sample)
    probe = net.copy()
    kx, ky = probe.flat_index("W1[0,0]"), probe.flat_index("b1[0]")
    per_point = np.empty(n_sample)
    chunks = np.array_split(np.arange(n_sample), rounds)
    times, point_times, surface = [], [], None
    with threadpool_limits(limits=n_threads):
        for _ in range(2):  # warm-up: the first calls fault in the heap they grow
            cost_surface(net, X, Y, "W1[0,0]", "b1[0]", xs, ys)
        for chunk in chunks:  # the surface and a share of the per-point loop, by turns
            t0 = time.perf_counter()
            surface = cost_surface(net, X, Y, "W1[0,0]", "b1[0]", xs, ys)
            times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for k in chunk:
                probe.params[kx] = xs[ii[k]]
                probe.params[ky] = ys[jj[k]]
                per_point[k] = probe.compute_cost(X, Y)
            point_times.append((time.perf_counter() - t0) / chunk.size)
    loop_seconds = float(np.median(point_times)) * n_grid**2
    assert surface is not None
    err = float(np.max(np.abs(surface.C[jj, ii] - per_point)))
    med = float(np.median(times))
    return {
        "task": "e", "threads": n_threads, "grid": [n_grid, n_grid], "rounds": rounds,
        "surface_seconds": summary(times),
        "per_point_loop_seconds_estimated": loop_seconds, "per_point_sample": n_sample,
        "speedup": loop_seconds / med, "max_abs_difference": err,
        "targets": [
            {"name": "seconds for the 1000×1000 surface", "value": med,
             "limit": TARGET_SECONDS, "kind": "at most", "met": med <= TARGET_SECONDS},
            {"name": "speed-up over one evaluation per point", "value": loop_seconds / med,
             "limit": TARGET_SPEEDUP, "kind": "at least",
             "met": loop_seconds / med >= TARGET_SPEEDUP},
        ] if n_grid == 1000 else [],
    }


def report(out: dict[str, Any]) -> str:
    """The result of :func:`run_landscape` as a text block."""
    from .training_tasks import target_text

    if "error" in out:
        return f"[e] landscape: {out['error']}"
    s = out["surface_seconds"]
    n = out["grid"][0]
    lines = [
        f"[e] NOT toy cost landscape, {n}×{n} grid of (w, b), {out['threads']} thread(s)",
        f"    cost_surface: {fmt_seconds(s['median'])} median "
        f"({fmt_seconds(s['min'])}–{fmt_seconds(s['max'])}, {s['n']} rounds)",
        f"    one evaluation per point: {fmt_seconds(out['per_point_loop_seconds_estimated'])} "
        f"(timed on {out['per_point_sample']} points, scaled to {n * n}); "
        f"speed-up {out['speedup']:.0f}×; largest difference {out['max_abs_difference']:.2g}",
    ]
    if out["targets"]:
        lines.append("    targets: " + "; ".join(target_text(t) for t in out["targets"]))
    return "\n".join(lines)
