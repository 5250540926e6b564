"""How long the commands that train nothing take, from a fresh process to the exit.

``python -m benchmarks.cli_startup [--repeat N]`` makes a small model and data file in
a temporary folder, then runs each command ``N`` times (interleaved, one round after
another) and prints, per command, the median and the smallest wall-clock time and the
processor time (user + system) of the child, beside ``python -c "import numpy"``, the
floor every command stands on.  The goal is under 0.5 s each; on a loaded machine the
processor time is the steadier figure.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S = 0.5


def commands(folder: Path) -> dict[str, list[str]]:
    """Each command that does no training, on the files in ``folder``."""
    model, data = str(folder / "m.safetensors"), str(folder / "d.csv")
    cli = [sys.executable, "-m", "chainrule"]
    return {
        "import numpy (the floor)": [sys.executable, "-c", "import numpy"],
        "chainrule --help": [*cli, "--help"],
        "chainrule train --help": [*cli, "train", "--help"],
        "chainrule datasets": [*cli, "datasets"],
        "chainrule info": [*cli, "info", model],
        "chainrule predict": [*cli, "predict", model, data],
        "chainrule evaluate": [*cli, "evaluate", model, data],
        "chainrule explain": [*cli, "explain", model, "--x", "0.5,1", "--y", "0"],
    }


def prepare(folder: Path) -> None:
    """A CSV of 4 rows and a model trained on it for 2 epochs."""
    (folder / "d.csv").write_text("x1,x2,label\n0.5,1,0\n1.5,2,1\n2.5,0,1\n0.1,0.2,0\n")
    subprocess.run([sys.executable, "-m", "chainrule", "train", str(folder / "d.csv"),
                    "--epochs", "2", "--quiet", "--out", str(folder / "m.safetensors")],
                   check=True, capture_output=True)


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall-clock and processor seconds of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env={**os.environ, "COLUMNS": "100"})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        prepare(folder)
        todo = commands(folder)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in todo}
        for _ in range(args.repeat):  # interleaved: a load that comes and goes hits them all
            for name, command in todo.items():
                times[name].append(run_once(command))
    print(f"{'command':<28} {'median wall':>12} {'min wall':>9} {'min cpu':>8}  goal "
          f"{GOAL_S} s")
    for name, runs in times.items():
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        verdict = "" if name.startswith("import") else (
            "met" if min(walls) < GOAL_S else "NOT met")
        print(f"{name:<28} {statistics.median(walls):>11.3f}s {min(walls):>8.3f}s "
              f"{min(cpus):>7.3f}s  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
