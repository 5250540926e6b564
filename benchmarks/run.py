"""Run the benchmarks of issue 5 and print a table; write the figures as JSON.

Usage (from the repository root)::

    python -m benchmarks                      # everything, 1 and 2 threads: minutes
    python -m benchmarks --quick              # a reduced set, 1 thread, under two minutes
    python -m benchmarks --tasks ab --threads 1 --out results.json
    python benchmarks/run.py --quick          # the same, as a script

Tasks: a digits 64-100-10 (float64 and float32), b synthetic 784-256-10,
c the NOT toy, d the heart curve, e the NOT toy's cost landscape, f scaling in
examples and width (with a log–log PNG), g peak memory training from a
memory-mapped ``.npy``.  Each runs with every thread count of ``--threads``.
chainrule trains through ``fit`` and, on the classification tasks a and b, through its
scikit-learn face as well (``MLPClassifier.fit``, the contender 'estimator').

OpenBLAS reads ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` when it loads, so
they cannot be changed from inside; to measure with the kernel OpenBLAS would
pick by itself run ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m
benchmarks``.  The kernel in use is printed and recorded either way.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

from benchmarks import harness, problems, training_tasks

DEFAULT_OUT = Path("benchmarks") / "results" / "benchmark.json"  # git ignores the folder

# Sizes of the full run and of --quick: (full, quick)
SETTINGS: dict[str, tuple[Any, Any]] = {
    "rounds": (5, 3),
    "a_epochs": (30, 10),
    "b_examples": (20_000, 5_000),
    "b_epochs": (2, 1),
    "c_steps": (10_000, 1_000),
    "d_steps": (50_000, 2_000),
    "d_rounds": (3, 2),
    "e_sample": (2_000, 500),
    "f_examples": ([1_000, 10_000, 100_000, 1_000_000], [1_000, 10_000, 100_000]),
    "f_widths": ([16, 64, 256, 1024, 2048], [16, 128, 1024]),
    "f_width_examples": (10_000, 4_000),
    "f_rounds": (3, 1),
    "g_bytes": (2_000_000_000, 100_000_000),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="chainrule against the NumPy loop, "
        "scikit-learn and PyTorch, side by side in one process.",
        epilog="--device {cuda,cuda:N,cpu}: the array-API benchmark instead, chainrule on "
        "PyTorch tensors against PyTorch's own loop on that device (its options: "
        "python -m benchmarks --device cuda --help).")
    parser.add_argument("--quick", action="store_true", help="a reduced set (< 2 minutes)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"JSON file to write (default {DEFAULT_OUT})")
    parser.add_argument("--plot", type=Path, default=None,
                        help="PNG of the scaling task (default: scaling.png next to --out)")
    parser.add_argument("--tasks", default="abcdefg", help="which tasks, e.g. 'ab' (default all)")
    parser.add_argument("--threads", default=None,
                        help="BLAS thread counts (default '1,2'; '1' with --quick)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per measurement")
    parser.add_argument("--peers", default="estimator,numpy,scikit-learn,pytorch",
                        help="contenders besides chainrule's fit (default all; 'estimator' "
                             "is chainrule's MLPClassifier.fit)")
    args = parser.parse_args(argv)
    bad = set(args.tasks) - set("abcdefg")
    if bad:
        parser.error(f"--tasks: unknown task(s) {''.join(sorted(bad))}; expected letters a-g")
    if args.threads is None:
        args.threads = "1" if args.quick else "1,2"
    try:
        args.threads = [int(t) for t in args.threads.split(",")]
    except ValueError:
        parser.error(f"--threads: expected numbers separated by commas, got {args.threads!r}")
    if not args.threads or min(args.threads) < 1:
        parser.error("--threads: expected positive thread counts")
    if args.rounds is not None and args.rounds < 1:
        parser.error(f"--rounds: expected a number of at least 1, got {args.rounds}")
    args.peers = [p for p in args.peers.split(",") if p]
    for option, path in (("--out", args.out), ("--plot", args.plot)):
        problem = _unwritable(path)
        if problem:  # found now, not after minutes of measuring
            parser.error(f"{option}: cannot write {path}: {problem}")
    return args


def _unwritable(path: Path | None) -> str | None:
    """Why ``path`` cannot be written (its folder is made if missing), or None."""
    if path is None:
        return None
    if path.is_dir():
        return "it is a folder"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return exc.strerror or str(exc)
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return f"the folder {path.parent} is not writable"
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mode = 1 if args.quick else 0

    def setting(name: str) -> Any:
        return SETTINGS[name][mode]

    rounds = args.rounds or setting("rounds")
    started = time.perf_counter()
    meta = harness.environment(["python -m benchmarks", *(argv if argv is not None
                                                         else sys.argv[1:])])
    print(f"chainrule {meta['versions']['chainrule']}, numpy {meta['versions']['numpy']}, "
          f"scikit-learn {meta['versions']['sklearn']}, torch {meta['versions']['torch']}")
    print(f"CPU: {meta['cpu']} ({meta['cpu_count']} cores); NumPy's BLAS kernel: "
          f"{meta['numpy_blas_kernel']}; OPENBLAS env: {meta['env'] or 'none'}")
    print(f"{'quick' if args.quick else 'full'} run, threads {args.threads}, {rounds} rounds\n",
          flush=True)
    results: dict[str, Any] = {}

    def show(text: str) -> None:
        print(text + "\n", flush=True)

    def load() -> list[float]:
        """The load average after a task: other processes on the machine disturb timings."""
        return [round(x, 2) for x in os.getloadavg()]

    train_problems = []
    if "a" in args.tasks:
        train_problems += [problems.digits(dt, setting("a_epochs"))
                           for dt in ("float64", "float32")]
    if "b" in args.tasks:
        train_problems.append(problems.synthetic(setting("b_examples"), setting("b_epochs")))
    if "c" in args.tasks:
        train_problems.append(problems.not_toy(setting("c_steps")))
    if "d" in args.tasks:
        train_problems.append(problems.heart(setting("d_steps")))
    for p in train_problems:
        r = setting("d_rounds") if p.key == "d" and args.rounds is None else rounds
        for n_threads in args.threads:
            out = training_tasks.run_problem(p, n_threads, r, args.peers,
                                             gemm=p.key in ("a", "b"))
            out["load_average_after"] = load()
            results.setdefault(p.key, []).append(out)
            show(training_tasks.report(out))

    if "e" in args.tasks:
        from benchmarks import landscape_task

        for n_threads in args.threads:
            out = landscape_task.run_landscape(n_threads, rounds, 1000, setting("e_sample"))
            out["load_average_after"] = load()
            results.setdefault("e", []).append(out)
            show(landscape_task.report(out))

    if "f" in args.tasks:
        from benchmarks import scaling

        plot = args.plot or args.out.with_name("scaling.png")
        out = scaling.run_scaling(args.threads, args.rounds or setting("f_rounds"),
                                  setting("f_examples"), setting("f_widths"),
                                  setting("f_width_examples"), plot)
        out["load_average_after"] = load()
        results["f"] = out
        show(scaling.report(out))

    if "g" in args.tasks:
        from benchmarks import memory

        out = memory.run_memory(args.threads, setting("g_bytes"))
        out["load_average_after"] = load()
        results["g"] = out
        show(memory.report(out))

    summary = collect_targets(results)
    seconds = time.perf_counter() - started
    print("targets:")
    for t in summary:
        print(f"  [{t['task']}] {t['where']}: {training_tasks.target_text(t)}")
    print(f"\n{sum(bool(t['met']) for t in summary)} of {len(summary)} targets met; "
          f"{seconds:.0f} s")
    path = harness.write_json(args.out, {"meta": meta, "quick": args.quick,
                                         "threads": args.threads, "rounds": rounds,
                                         "results": results, "targets": summary,
                                         "seconds": seconds})
    print(f"wrote {path}")
    return 0


def collect_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of every task, with where it was measured."""
    found = []
    for key, res in results.items():
        if key in "abcde":
            for out in res:
                where = f"{out['threads']} thread(s)"
                if key in "ab":
                    where = f"{out['dtype']}, {where}"
                found += [{"task": key, "where": where, **t} for t in out.get("targets", [])]
        elif key == "f":
            for n_threads, r in res["by_threads"].items():
                found += [{"task": key, "where": f"{n_threads} thread(s)", **t}
                          for t in r["targets"]]
        elif key == "g":
            for r in res["runs"]:
                where = f"{r['threads']} thread(s)"
                found += [{"task": key, "where": where, **t} for t in r["targets"]]
    return found


if __name__ == "__main__":
    raise SystemExit(main())
