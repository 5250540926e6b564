"""Run the tutorial notebook once and save it with its outputs.

``python docs/_ext/notebook_run.py docs/tutorial.py OUT.ipynb`` reads the jupytext
script, runs every cell in a fresh kernel (the working folder is a temporary one,
so the files the notebook writes land nowhere else) and writes the executed
notebook.  ``make docs`` and the test suite run it; the site shows its outputs and
the tests read its numbers, so the notebook runs once per build.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

# jupyter_core warns unless it is told to use the platform's folders already
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")

import jupytext
import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

TIMEOUT_S = 600  # per cell


def execute(text: str) -> nbformat.NotebookNode:
    """The notebook of a jupytext script's text, every cell run in a fresh kernel."""
    nb = jupytext.reads(text, fmt="py:percent")
    with tempfile.TemporaryDirectory(prefix="chainrule-tutorial-") as workdir:
        # a local socket, not TCP: nothing listens on the network while it runs
        km = KernelManager(kernel_name="python3", transport="ipc",
                           ip=str(Path(workdir) / "kernel"))
        try:
            NotebookClient(nb, km=km, timeout=TIMEOUT_S,
                           resources={"metadata": {"path": workdir}}).execute()
        finally:
            if km.has_kernel:
                km.shutdown_kernel()
    return nb


def same_code(executed: nbformat.NotebookNode, source_text: str) -> bool:
    """Whether ``executed`` was run from this text (the same cells, in the same order)."""
    fresh = jupytext.reads(source_text, fmt="py:percent")
    return ([(c.cell_type, c.source) for c in executed.cells]
            == [(c.cell_type, c.source) for c in fresh.cells])


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: notebook_run.py SOURCE.py OUT.ipynb", file=sys.stderr)
        return 2
    source, out = Path(argv[0]), Path(argv[1])
    start = time.perf_counter()
    nb = execute(source.read_text(encoding="utf-8"))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, out)
    print(f"{source} ran in {time.perf_counter() - start:.1f} s: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
