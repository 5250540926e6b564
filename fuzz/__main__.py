"""``python -m fuzz``: mutate valid files and feed them to every loader and to the command.

Usage::

    python -m fuzz                       # 10,000 files of each kind (make fuzz)
    python -m fuzz --examples 200 --kinds csv npy --seed 3 --jobs 2

Each kind (model, checkpoint, csv, npy, npz) gets ``--examples`` mutated files, drawn
by Hypothesis from a valid one (fuzz/mutate.py).  A table of outcomes is printed and
written as JSON (``--out``); a finding (an error that is not chainrule's, a command
that answers wrongly, a hang) is saved with its input under ``--findings`` and makes
the exit code 1.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from .mutate import mutations
from .seeds import make_seeds
from .targets import Tally, clean, commands, run_command, run_loaders

KINDS = ["model", "checkpoint", "csv", "npy", "npz"]
SUFFIX = {"model": ".safetensors", "checkpoint": ".ckpt", "csv": ".csv", "npy": ".npy",
          "npz": ".npz"}


def fuzz_kind(kind: str, examples: int, random_seed: int, findings: Path) -> dict[str, Any]:
    """Fuzz one kind of file; returns its tally as a dictionary."""
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix=f"chainrule-fuzz-{kind}-") as tmp:
        work = Path(tmp)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            seeds = make_seeds(work / "seeds")
        blob = seeds[kind].read_bytes()

        numbers = itertools.count()

        @seed(random_seed)
        @settings(max_examples=examples, deadline=None, database=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(data=st.data())
        def one(data: st.DataObject) -> None:
            mutated = data.draw(mutations(kind, blob))
            n = next(numbers)
            folder = work / f"x{n}"
            folder.mkdir()
            path = folder / f"fuzzed{SUFFIX[kind]}"
            path.write_bytes(mutated)
            before = len(tally.findings)
            run_loaders(kind, path, tally)
            argv = data.draw(st.sampled_from(commands(kind, path, seeds, folder)))
            run_command(argv, tally)
            for f in tally.findings[before:]:
                saved = findings / f"{kind}-{n}{SUFFIX[kind]}"
                findings.mkdir(parents=True, exist_ok=True)
                saved.write_bytes(mutated)
                f["input"] = str(saved)
            tally.examples += 1
            clean(folder)

        start = time.perf_counter()
        one()
        seconds = time.perf_counter() - start
    return {"kind": kind, "examples": tally.examples, "library": tally.library,
            "cli": tally.cli, "findings": tally.findings, "hangs": tally.hangs,
            "seconds": round(seconds, 1)}


def _table(results: list[dict[str, Any]]) -> str:
    lines = [f"{'kind':<11}{'files':>7}{'loader calls':>14}{'  of which refused':<20}"
             f"{'commands':>9}  exits{'':<22}{'findings':>9}{'hangs':>7}{'s':>7}"]
    for r in results:
        calls = sum(r["library"].values())
        refused = calls - r["library"].get("ok", 0)
        exits = ", ".join(f"{k.split()[1]}: {v}" for k, v in sorted(r["cli"].items()))
        lines.append(f"{r['kind']:<11}{r['examples']:>7}{calls:>14}  {refused:<18}"
                     f"{sum(r['cli'].values()):>9}  {exits:<27}{len(r['findings']):>9}"
                     f"{r['hangs']:>7}{r['seconds']:>7}")
    return "\n".join(lines)


def _in_children(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Each kind fuzzed by a ``python -m fuzz`` of its own, ``--jobs`` at a time."""
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="chainrule-fuzz-") as tmp:
        waiting = list(args.kinds)
        running: list[tuple[str, subprocess.Popen]] = []
        while waiting or running:
            while waiting and len(running) < args.jobs:
                kind = waiting.pop(0)
                cmd = [sys.executable, "-m", "fuzz", "--kinds", kind, "--examples",
                       str(args.examples), "--seed", str(args.seed), "--out",
                       f"{tmp}/{kind}.json", "--findings", str(args.findings)]
                running.append((kind, subprocess.Popen(cmd, stdout=subprocess.DEVNULL)))
            time.sleep(0.5)
            for kind, proc in [r for r in running if r[1].poll() is not None]:
                running.remove((kind, proc))
                results += json.loads(Path(f"{tmp}/{kind}.json").read_text())
    return sorted(results, key=lambda r: KINDS.index(r["kind"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000, help="files per kind")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=KINDS)
    parser.add_argument("--seed", type=int, default=0, help="Hypothesis's random seed")
    parser.add_argument("--jobs", type=int, default=1, help="kinds fuzzed at once")
    parser.add_argument("--out", type=Path, default=Path("fuzz-output/results.json"))
    parser.add_argument("--findings", type=Path, default=Path("fuzz-output/findings"))
    args = parser.parse_args(argv)
    if args.jobs > 1 and len(args.kinds) > 1:
        results = _in_children(args)
    else:
        results = [fuzz_kind(kind, args.examples, args.seed, args.findings)
                   for kind in args.kinds]
    print(_table(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    found = [f for r in results for f in r["findings"]]
    for f in found[:20]:
        print(f"finding: {f['where']}: {f['error'][:300]} ({f.get('input')})", file=sys.stderr)
    print(f"wrote {args.out}; {len(found)} finding(s)")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
