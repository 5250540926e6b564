"""Measuring: interleaved rounds, medians with min–max, page faults, the machine's BLAS.

Every contender of a task runs once per round, in an order that rotates from
round to round, so that a slow spell of the machine (other processes, turbo,
thermal) is shared out instead of landing on one library.  The figures are the
median over rounds, with the minimum and maximum beside it.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.utils.files import atomic_write

Array = np.ndarray


@dataclass
class Trial:
    """One timed run of one contender.

    ``units`` is what the time is divided by (epochs, or steps for full-batch
    tasks); ``steps`` counts optimiser steps, for the page faults per step.
    """

    seconds: float
    units: int
    steps: int
    faults: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def per_unit(self) -> float:
        return self.seconds / self.units


def minor_faults() -> int:
    """Minor page faults of this process so far (a page mapped in, e.g. after malloc)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def timed(run: Callable[[], Any]) -> tuple[Any, float, int]:
    """``(result, seconds, minor page faults)`` of one call, after a garbage collection."""
    gc.collect()
    f0 = minor_faults()
    t0 = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - t0
    return result, seconds, minor_faults() - f0


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, minimum and maximum of a list of timings (and how many there were)."""
    return {"median": float(statistics.median(values)), "min": float(min(values)),
            "max": float(max(values)), "n": len(values)}


def interleave(contenders: dict[str, Callable[[int], Trial]],
               rounds: int) -> dict[str, list[Trial]]:
    """Run every contender once per round, rotating the order each round.

    ``contenders`` maps a name to ``run(round) -> Trial``.
    """
    names = list(contenders)
    trials: dict[str, list[Trial]] = {name: [] for name in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            trials[name].append(contenders[name](r))
    return trials


# ---------------------------------------------------------------------------
# The machine


def blas_info() -> list[dict[str, Any]]:
    """threadpoolctl's view of the loaded BLAS and OpenMP libraries (kernel, threads, version)."""
    from threadpoolctl import threadpool_info

    keep = ("user_api", "internal_api", "prefix", "version", "num_threads", "architecture",
            "threading_layer", "filepath")
    return [{k: lib.get(k) for k in keep if k in lib} for lib in threadpool_info()]


def numpy_blas_kernel() -> str:
    """The OpenBLAS kernel NumPy uses (e.g. 'Haswell', 'SkylakeX'), or what is known."""
    blas = [lib for lib in blas_info() if lib.get("user_api") == "blas"]
    # NumPy's wheel carries its own OpenBLAS in numpy.libs; SciPy's is another copy
    blas.sort(key=lambda lib: "numpy" not in str(lib.get("filepath", "")))
    return str(blas[0].get("architecture", blas[0].get("internal_api"))) if blas else "unknown"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(module: str) -> str | None:
    try:
        mod = __import__(module)
    except ImportError:
        return None
    return str(getattr(mod, "__version__", "?"))


def environment(argv: Sequence[str]) -> dict[str, Any]:
    """Versions, CPU, BLAS kernel and threads, and the OPENBLAS variables in force."""
    return {
        "command": " ".join(argv),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "versions": {m: _version(m) for m in
                     ("chainrule", "numpy", "scipy", "sklearn", "torch", "threadpoolctl")},
        "env": {k: v for k, v in os.environ.items()
                if k.startswith(("OPENBLAS_", "OMP_", "MKL_", "GOTO"))},
        "numpy_blas_kernel": numpy_blas_kernel(),
        "threadpool_info": blas_info(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


# ---------------------------------------------------------------------------
# Output


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write ``data`` as JSON atomically (:func:`chainrule.utils.files.atomic_write`)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=1, default=_jsonable) + "\n"
    return atomic_write(target, lambda f: f.write(text.encode()))


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def fmt_seconds(s: float) -> str:
    """A duration with a unit that keeps three significant digits."""
    if s >= 1:
        return f"{s:.3g} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms"
    return f"{s * 1e6:.3g} µs"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], indent: int = 2) -> str:
    """A plain text table with left-aligned first column and right-aligned others."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for r in [header, *rows]:
        cells = [str(c).ljust(w) if i == 0 else str(c).rjust(w)
                 for i, (c, w) in enumerate(zip(r, widths))]
        lines.append(" " * indent + "  ".join(cells))
    return "\n".join(lines)
