"""Two runs of ``python -m benchmarks`` side by side: every ratio, before and after.

Usage (from the repository root)::

    python -m benchmarks.compare BEFORE.json AFTER.json [--spread 0.05]

Only ratios measured within one run are compared (contenders interleaved in one process:
chainrule against the NumPy loop, scikit-learn, PyTorch and the GEMM limit, and the
landscape's speed-up), plus the scaling slopes and the memory peaks; absolute times move
with the machine's load and are left out.  Each row says how far the ratio moved in
chainrule's favour (``+``) or against it (``−``); a move against it larger than
``--spread`` is flagged ``WORSE``.  Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# How a figure reads: True where larger is better for chainrule.
Row = tuple[str, str, float, bool]  # (where, what, value, larger is better)


def _training_rows(out: dict[str, Any]) -> Iterator[Row]:
    where = f"{out['task']} {out['dtype']}, {out['threads']} thread(s)"
    for name, c in out["contenders"].items():
        if name != "chainrule":  # time of the peer over chainrule's: larger is better
            yield where, f"{name} ÷ chainrule time", c["ratio_to_chainrule"], True
    gemm = out.get("gemm") or {}
    if "chainrule_multiple" in gemm:
        yield where, "chainrule ÷ GEMM limit", gemm["chainrule_multiple"], False


def ratios(run: dict[str, Any]) -> dict[tuple[str, str], tuple[float, bool]]:
    """Every figure of a run that does not depend on the machine's speed, by (where, what)."""
    rows: list[Row] = []
    res = run["results"]
    for key in "abcd":
        for out in res.get(key, []):
            rows += _training_rows(out)
    for out in res.get("e", []):
        rows.append((f"e, {out['threads']} thread(s)", "speed-up over one evaluation per point",
                     out["speedup"], True))
    for n, by in res.get("f", {}).get("by_threads", {}).items():
        # the target is a slope of 1 in examples: the distance from it is what counts
        rows.append((f"f, {n} thread(s)", "slope in examples", by["slope_examples"], False))
    for r in res.get("g", {}).get("runs", []):
        rows.append((f"g, {r['threads']} thread(s)", "peak RSS (MB)", r["peak_rss_mb"], False))
    return {(w, what): (v, up) for w, what, v, up in rows}


def compare(before: dict[str, Any], after: dict[str, Any],
            spread: float = 0.05) -> list[dict[str, Any]]:
    """The figures both runs hold, with the change in chainrule's favour (a fraction)."""
    old, new = ratios(before), ratios(after)
    out = []
    for key, (v0, up) in old.items():
        if key not in new:
            continue
        v1 = new[key][0]
        if key[1].startswith("slope"):  # how much closer to 1, in slope units
            gain = abs(v0 - 1) - abs(v1 - 1)
            text = f"{gain:+.3f} closer to 1"
        else:
            gain = (v1 / v0 - 1) if up else (v0 / v1 - 1)
            text = f"{gain:+.1%}"
        out.append({"where": key[0], "what": key[1], "before": v0, "after": v1,
                    "gain": gain, "text": text, "worse": gain < -spread})
    return out


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| where | ratio | before | after | in chainrule's favour |",
             "|---|---|---|---|---|"]
    for r in rows:
        flag = " **WORSE**" if r["worse"] else ""
        lines.append(f"| {r['where']} | {r['what']} | {r['before']:.3g} | {r['after']:.3g} "
                     f"| {r['text']}{flag} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--spread", type=float, default=0.05,
                        help="run-to-run spread: a ratio worse by more is flagged (0.05)")
    args = parser.parse_args(argv)
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in (args.before, args.after)]
    rows = compare(*runs, spread=args.spread)
    print(markdown(rows))
    worse = [r for r in rows if r["worse"]]
    print(f"\n{len(rows)} figures compared; {len(worse)} worse by more than "
          f"{args.spread:.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
