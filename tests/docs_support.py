"""Running the tutorial notebook and building the documentation site, for the tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TUTORIAL = DOCS / "tutorial.py"


@dataclass(frozen=True)
class Executed:
    """The notebook with its outputs, where it was saved, and how long it took to run."""

    notebook: nbformat.NotebookNode
    path: Path
    seconds: float


def run_tutorial(out: Path) -> Executed:
    """Run ``docs/tutorial.py`` in a fresh kernel (``docs/_ext/notebook_run.py``) into ``out``."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(DOCS / "_ext" / "notebook_run.py"), str(TUTORIAL),
                           str(out)], capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return Executed(nbformat.read(out, as_version=4), out, time.perf_counter() - start)


def build_site(out: Path, executed: Path) -> subprocess.CompletedProcess[str]:
    """``make docs``'s Sphinx build into ``out``, with the notebook already run."""
    env = {**os.environ, "CHAINRULE_TUTORIAL_IPYNB": str(executed)}
    return subprocess.run([sys.executable, "-m", "sphinx", *SPHINX_OPTIONS, str(DOCS), str(out)],
                          capture_output=True, text=True, timeout=600, env=env, check=False)


# warnings are errors, every cross-reference must resolve, a fresh environment each time
SPHINX_OPTIONS = ("-W", "--keep-going", "-n", "-E", "-q", "-b", "html")
