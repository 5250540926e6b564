"""Tasks a–d: training time of chainrule against the NumPy loop, scikit-learn and PyTorch.

For one problem and one thread count, every contender (and the GEMM limit, for
the mini-batch tasks) runs once per round, interleaved.  The result holds the
median time per epoch (or per step) with min–max, the ratios to chainrule,
chainrule's time as a multiple of the GEMM limit, minor page faults per step,
the final training cost and accuracy of each contender, and the targets of the
issue with whether they are met.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from . import contenders as C
from .harness import Trial, fmt_seconds, interleave, summary, table, timed
from .problems import Problem, final_metrics

PREPARE: dict[str, Callable[..., C.Run]] = {
    "chainrule": C.prepare_chainrule,
    "estimator": C.prepare_estimator,
    "numpy": C.prepare_numpy,
    "scikit-learn": C.prepare_sklearn,
    "pytorch": C.prepare_torch,
}
GEMM_LAYOUTS = ("row-major", "chainrule")


@contextlib.contextmanager
def threads(n: int, use_torch: bool) -> Iterator[None]:
    """Limit BLAS and OpenMP pools (threadpoolctl) and PyTorch's intra-op threads to n."""
    previous = None
    if use_torch:
        import torch

        previous = torch.get_num_threads()
        torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n):
            yield
    finally:
        if previous is not None:
            import torch

            torch.set_num_threads(previous)


def run_problem(p: Problem, n_threads: int, rounds: int,
                peers: Sequence[str] = ("estimator", "numpy", "scikit-learn", "pytorch"),
                gemm: bool = True) -> dict[str, Any]:
    """Time every contender on ``p`` with ``n_threads`` threads, interleaved over ``rounds``.

    scikit-learn is left out of squared-error problems: its regressor cannot
    have a tanh or logistic output layer, so it cannot do the same work.  chainrule's
    estimator (``MLPClassifier.fit``, beside ``fit``) runs on the classification tasks.
    """
    names = ["chainrule", *[q for q in peers if q in PREPARE]]
    skipped = {}
    if p.cost == "squared_error" and "scikit-learn" in names:
        names.remove("scikit-learn")
        skipped["scikit-learn"] = C.SKLEARN_NOTE["squared_error"]
    if p.labels is None and "estimator" in names:
        names.remove("estimator")
        skipped["estimator"] = C.ESTIMATOR_NOTE
    last: dict[str, C.Params] = {}
    steps_per_epoch = len(p.batches)

    def contender(name: str) -> Callable[[int], Trial]:
        def go(r: int) -> Trial:
            # per-epoch marks only where an epoch is many steps: a hook per step would cost
            marks: list[int] | None = [] if p.unit == "epoch" else None
            run = PREPARE[name](p, r, marks)
            params, seconds, faults = timed(run)
            last[name] = params
            extra = {}
            if marks is not None and len(marks) >= 2:
                extra["steady_faults_per_step"] = (marks[-1] - marks[0]) / (
                    (len(marks) - 1) * steps_per_epoch)
            return Trial(seconds, p.units, p.steps, faults, extra)
        return go

    def gemm_limit(layout: str) -> Callable[[int], Trial]:
        def go(r: int) -> Trial:
            run = C.prepare_gemm(p, r, layout)
            _, seconds, faults = timed(run)
            return Trial(seconds, p.units, p.steps, faults)
        return go

    runners = {name: contender(name) for name in names}
    if gemm:
        runners.update({f"GEMM {lay}": gemm_limit(lay) for lay in GEMM_LAYOUTS})
    with threads(n_threads, "pytorch" in names):
        trials = interleave(runners, rounds)

    base = np.median([t.per_unit for t in trials["chainrule"]])
    results: dict[str, Any] = {}
    for name in names:
        ts = trials[name]
        per = [t.per_unit for t in ts]
        entry: dict[str, Any] = {
            "seconds_per_" + p.unit: summary(per),
            "ratio_to_chainrule": float(np.median(per) / base),
            "steps_per_second": float(p.steps / np.median([t.seconds for t in ts])),
            "faults_per_step": float(np.median([t.faults / t.steps for t in ts])),
            **final_metrics(p, *last[name]),
        }
        entry["cost_difference"] = None  # filled in below, relative to chainrule's
        steady = [t.extra["steady_faults_per_step"] for t in ts
                  if "steady_faults_per_step" in t.extra]
        if steady:
            entry["steady_faults_per_step"] = float(np.median(steady))
        results[name] = entry
    for entry in results.values():
        entry["cost_difference"] = entry["cost"] / results["chainrule"]["cost"] - 1
    out: dict[str, Any] = {
        "task": p.key, "problem": p.describe(), "dtype": p.dtype.name, "threads": n_threads,
        "rounds": rounds, "epochs_per_round": p.epochs, "steps_per_round": p.steps,
        "unit": p.unit, "contenders": results, "not_run": skipped,
    }
    if gemm:
        layouts = {lay: summary([t.per_unit for t in trials[f"GEMM {lay}"]])
                   for lay in GEMM_LAYOUTS}
        limit = min(v["median"] for v in layouts.values())
        out["gemm"] = {"layouts": layouts, "limit": limit,
                       "chainrule_multiple": float(base / limit)}
    out["targets"] = targets(p, out)
    return out


def _target(name: str, value: float | None, limit: float, at_most: bool) -> dict[str, Any]:
    met = None if value is None else (value <= limit if at_most else value >= limit)
    return {"name": name, "value": value, "limit": limit,
            "kind": "at most" if at_most else "at least", "met": met}


def targets(p: Problem, out: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets for this task, evaluated on the medians."""
    res = out["contenders"]

    def ratio(name: str) -> float | None:
        return res[name]["ratio_to_chainrule"] if name in res else None

    def over(name: str, other: str) -> float | None:
        a, b = ratio(name), ratio(other)
        return None if a is None or b is None else a / b

    found = []
    if p.key in ("a", "b"):
        found.append(_target("chainrule / scikit-learn time", over("chainrule", "scikit-learn"),
                             0.6, True))
        found.append(_target("chainrule / PyTorch time", over("chainrule", "pytorch"), 0.5,
                             True))
        if "estimator" in res:  # the scikit-learn face: within 3 % of fit, the same targets
            found.append(_target("MLPClassifier.fit / fit time", ratio("estimator"), 1.03,
                                 True))
            found.append(_target("MLPClassifier.fit / scikit-learn time",
                                 over("estimator", "scikit-learn"), 0.6, True))
            found.append(_target("MLPClassifier.fit / PyTorch time",
                                 over("estimator", "pytorch"), 0.5, True))
        if "gemm" in out:
            limit = {"a": 1.6 if p.dtype == np.float64 else 2.0, "b": 1.4}[p.key]
            found.append(_target("chainrule / GEMM limit", out["gemm"]["chainrule_multiple"],
                                 limit, True))
    else:
        found.append(_target("chainrule steps/s ÷ NumPy loop's", ratio("numpy"), 2.0, False))
        found.append(_target("chainrule steps/s ÷ PyTorch's", ratio("pytorch"), 8.0, False))
        if p.key == "d":
            per_step = res["chainrule"]["seconds_per_step"]["median"]
            found.append(_target("seconds for 50,000 steps", 50_000 * per_step, 2.0, True))
    return found


def report(out: dict[str, Any]) -> str:
    """The result of :func:`run_problem` as a text block."""
    unit = out["unit"]
    lines = [f"[{out['task']}] {out['problem']}",
             f"    {out['threads']} thread(s), {out['rounds']} rounds of "
             f"{out['epochs_per_round']} {'steps' if unit == 'step' else 'epochs'}"]
    header = ["contender", f"s/{unit} median", "min–max", "× chainrule", "× GEMM",
              "faults/step", "steady", "cost", "Δcost", "accuracy"]
    limit = out.get("gemm", {}).get("limit")
    rows = []
    for name, r in out["contenders"].items():
        s = r[f"seconds_per_{unit}"]
        rows.append([name, fmt_seconds(s["median"]),
                     f"{fmt_seconds(s['min'])}–{fmt_seconds(s['max'])}",
                     f"{r['ratio_to_chainrule']:.2f}",
                     f"{s['median'] / limit:.2f}" if limit else "",
                     f"{r['faults_per_step']:.1f}",
                     f"{r['steady_faults_per_step']:.2f}" if "steady_faults_per_step" in r
                     else "", f"{r['cost']:.5g}", f"{100 * r['cost_difference']:+.2f}%",
                     f"{r['accuracy']:.4f}" if "accuracy" in r else ""])
    if limit:
        rows.append(["GEMM limit", fmt_seconds(limit), "", "", "1.00", "", "", "", "", ""])
    lines.append(table(header, rows, indent=4))
    for name, why in out["not_run"].items():
        lines.append(f"    {name} not run: {why}")
    lines.append("    targets: " + "; ".join(target_text(t) for t in out["targets"]))
    if "load_average_after" in out:
        lines.append(f"    load average after: {out['load_average_after']}")
    return "\n".join(lines)


def target_text(t: dict[str, Any]) -> str:
    """``name ≤ limit: value met`` (or MISSED) in one line."""
    if t["kind"] == "between":
        goal = f"{t['name']} in [{t['limit'][0]:g}, {t['limit'][1]:g}]"
    else:
        goal = f"{t['name']} {'≤' if t['kind'] == 'at most' else '≥'} {t['limit']:g}"
    if t["value"] is None:
        return f"{goal}: not measured"
    return f"{goal}: {t['value']:.3g} {'met' if t['met'] else 'MISSED'}"
