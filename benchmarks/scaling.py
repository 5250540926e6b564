"""Task f: seconds per epoch against the number of examples and against the width.

chainrule trains a 64-h-10 relu + softmax network (Adam, batch 200, float32)
on synthetic data.  Against the number of examples (h = 100) an epoch must cost
time proportional to N: the fitted log–log slope should be 1.  Against the
width h (N fixed) the slope shows how far the step is from its matrix products,
whose cost grows linearly in h.  The time per epoch is taken from
:class:`~chainrule.train.loop.History` (the batch loop alone), the first epoch
of every fit being left out as a warm-up.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from chainrule import Network, fit
from chainrule.utils.files import atomic_write

from .harness import fmt_seconds

N_FEATURES, N_CLASSES, BATCH = 64, 10, 200
SLOPE_RANGE = (0.95, 1.05)


def _data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, N_FEATURES), dtype=np.float32)
    teacher = rng.standard_normal((N_FEATURES, N_CLASSES)).astype(np.float32)
    Y = np.zeros((n, N_CLASSES), np.float32)
    Y[np.arange(n), np.argmax(X @ teacher, axis=1)] = 1
    return X, Y


def epoch_seconds(X: np.ndarray, Y: np.ndarray, width: int, min_steps: int = 400) -> float:
    """Median seconds per epoch of a fresh 64-width-10 network, first epoch left out."""
    n = X.shape[0]
    steps_per_epoch = -(-n // BATCH)
    epochs = 1 + max(2, -(-min_steps // steps_per_epoch))
    net = Network([N_FEATURES, width, N_CLASSES], "relu", cost="cross_entropy",
                  dtype=np.float32, random_state=0)
    history = fit(net, X, Y, epochs=epochs, batch_size=BATCH, learning_rate=1e-3,
                  random_state=0)
    return float(np.median(history.seconds[1:]))


def slope(x: Sequence[float], t: Sequence[float]) -> float:
    """The least-squares slope of log t against log x."""
    return float(np.polyfit(np.log10(x), np.log10(t), 1)[0])


def run_scaling(threads: Sequence[int], rounds: int, examples: Sequence[int],
                widths: Sequence[int], width_examples: int,
                plot: str | os.PathLike[str] | None) -> dict[str, Any]:
    """Both sweeps for every thread count; rounds interleave the points of a sweep."""
    X_all, Y_all = _data(max(max(examples), width_examples))
    out: dict[str, Any] = {"task": "f", "network": f"{N_FEATURES}-h-{N_CLASSES} relu/softmax "
                           f"cross_entropy, adam, batch {BATCH}, float32", "rounds": rounds,
                           "examples": list(examples), "widths": list(widths),
                           "width_examples": width_examples, "by_threads": {}}
    for n_threads in threads:
        with threadpool_limits(limits=n_threads):
            t_n = {n: [] for n in examples}
            t_w = {w: [] for w in widths}
            for _ in range(rounds):
                for n in examples:
                    t_n[n].append(epoch_seconds(X_all[:n], Y_all[:n], 100))
                for w in widths:
                    t_w[w].append(epoch_seconds(X_all[:width_examples],
                                                Y_all[:width_examples], w))
        sec_n = [float(np.median(t_n[n])) for n in examples]
        sec_w = [float(np.median(t_w[w])) for w in widths]
        s_n = slope(examples, sec_n)
        out["by_threads"][str(n_threads)] = {
            "seconds_per_epoch_by_examples": sec_n, "slope_examples": s_n,
            "seconds_per_epoch_by_width": sec_w, "slope_width": slope(widths, sec_w),
            "targets": [{"name": "log-log slope in examples", "value": s_n,
                         "limit": list(SLOPE_RANGE), "kind": "between",
                         "met": SLOPE_RANGE[0] <= s_n <= SLOPE_RANGE[1]}],
        }
    if plot is not None:
        out["plot"] = str(save_plot(out, plot))
    return out


def save_plot(out: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Two log–log panels (examples, width), one line per thread count; written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_n, ax_w = fig.subplots(1, 2)
    for n_threads, r in out["by_threads"].items():
        ax_n.loglog(out["examples"], r["seconds_per_epoch_by_examples"], "o-",
                    label=f"{n_threads} thread(s): slope {r['slope_examples']:.3f}")
        ax_w.loglog(out["widths"], r["seconds_per_epoch_by_width"], "s-",
                    label=f"{n_threads} thread(s): slope {r['slope_width']:.3f}")
    ax_n.set(xlabel="examples N", ylabel="seconds per epoch",
             title=f"{N_FEATURES}-100-{N_CLASSES}, batch {BATCH}, float32")
    ax_w.set(xlabel="hidden width h", ylabel="seconds per epoch",
             title=f"{N_FEATURES}-h-{N_CLASSES}, N = {out['width_examples']}")
    for ax in (ax_n, ax_w):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(target, lambda f: fig.savefig(f, dpi=110, format="png"))


def report(out: dict[str, Any]) -> str:
    """The result of :func:`run_scaling` as a text block."""
    from .harness import table
    from .training_tasks import target_text

    lines = [f"[f] scaling: {out['network']}, {out['rounds']} rounds"]
    for n_threads, r in out["by_threads"].items():
        rows = [[f"N = {n:,}", fmt_seconds(s)] for n, s in
                zip(out["examples"], r["seconds_per_epoch_by_examples"])]
        rows += [[f"h = {w} (N = {out['width_examples']:,})", fmt_seconds(s)] for w, s in
                 zip(out["widths"], r["seconds_per_epoch_by_width"])]
        lines.append(f"    {n_threads} thread(s): slope in examples "
                     f"{r['slope_examples']:.3f}, in width {r['slope_width']:.3f}")
        lines.append(table(["point", "s/epoch"], rows, indent=6))
        lines.append("      targets: " + "; ".join(target_text(t) for t in r["targets"]))
    if "plot" in out:
        lines.append(f"    plot: {out['plot']}")
    return "\n".join(lines)
