"""What a fuzzed file is fed to, and what counts as a finding.

Every file goes through every library loader of its kind (and a model that loads is
asked to predict), then through one command of ``chainrule`` drawn among its kind's.

The contract (docs/reliability.md): a loader returns or raises a
:class:`~chainrule.errors.ChainruleError`; a command exits 0, or 2 with one
``error:`` line and no traceback, or 1 for a failed run (a divergence, a resource);
nothing takes longer than :data:`HANG_SECONDS`.  Anything else is a finding.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import signal
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import chainrule
from chainrule.cli import main
from chainrule.data import csv_header, load_array, load_csv, load_data
from chainrule.errors import ChainruleError
from chainrule.io import read_model_file, read_model_info
from chainrule.train.checkpoint import load_checkpoint, load_latest_checkpoint

HANG_SECONDS = 30
# What a failed run may say when it exits 1 (the input was read, the run failed)
# How the command words an error that is not chainrule's own (a bug)
BUG = "(run again with --debug for the traceback)"
FAILED_RUN = ("training diverged", "no space left", "file too large", "out of memory")


class Hang(BaseException):
    """Raised by the alarm: a BaseException, so that no ``except Exception`` hides it."""


@contextlib.contextmanager
def time_limit(seconds: int = HANG_SECONDS):
    def ring(signum: int, frame: object) -> None:
        raise Hang(f"no answer in {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _predict_with(path: Path) -> object:
    model = chainrule.load_model(path)
    return model.predict(np.zeros((2, model.n_inputs)))


LOADERS: dict[str, list[tuple[str, Callable[[Path], object]]]] = {
    "model": [("chainrule.load_model + predict", _predict_with),
              ("io.read_model_file", read_model_file), ("io.read_model_info", read_model_info)],
    "checkpoint": [("load_checkpoint", load_checkpoint),
                   ("load_latest_checkpoint", load_latest_checkpoint)],
    "csv": [("load_csv", load_csv), ("load_csv(labels=True)", lambda p: load_csv(p, labels=True)),
            ("load_data", load_data), ("csv_header", csv_header)],
    "npy": [("load_array", load_array), ("load_array(target='last')",
                                        lambda p: load_array(p, target="last")),
            ("load_data(target='last')", lambda p: load_data(p, target="last"))],
    "npz": [("load_array", load_array), ("load_data", load_data)],
}


def commands(kind: str, path: Path, seeds: dict[str, Path], out: Path) -> list[list[str]]:
    """The commands a fuzzed file of ``kind`` at ``path`` may be given to; outputs go
    into the folder ``out``."""
    p, good, model = str(path), str(seeds["good.csv"]), str(seeds["model"])
    train = ["--epochs", "1", "--hidden", "2", "-q", "-o", str(out / "m.safetensors")]
    return {
        "model": [["info", p], ["info", p, "--json"], ["predict", p, good],
                  ["evaluate", p, good, "--json"]],
        "checkpoint": [["train", good, "--hidden", "3", "--epochs", "4", "--batch-size", "2",
                        "--validation", "0.34", "--checkpoint", p, "--resume", "-q",
                        "-o", str(out / "m.safetensors")]],
        "csv": [["train", p, *train], ["predict", model, p], ["evaluate", model, p]],
        "npy": [["train", p, "--target", "last", *train],
                ["predict", model, p, "--target", "last"]],
        "npz": [["train", p, *train], ["evaluate", model, p]],
    }[kind]


@dataclass
class Tally:
    """What one kind of file gave: counts by outcome, and the findings."""

    examples: int = 0
    library: dict[str, int] = field(default_factory=dict)  # "ok" or the error's class
    cli: dict[str, int] = field(default_factory=dict)  # "exit N"
    findings: list[dict[str, Any]] = field(default_factory=list)
    hangs: int = 0

    def count(self, table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + 1


def run_loaders(kind: str, path: Path, tally: Tally) -> None:
    """Every loader of ``kind`` on ``path``: a result or a ChainruleError."""
    for name, load in LOADERS[kind]:
        try:
            with time_limit(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = load(path)
            del result
            tally.count(tally.library, "ok")
        except ChainruleError as exc:
            tally.count(tally.library, type(exc).__name__)
        except Hang as exc:
            tally.hangs += 1
            tally.findings.append({"where": name, "error": f"hang: {exc}"})
        except Exception as exc:  # the finding: an error that is not the package's
            tally.findings.append({"where": name, "error": f"{type(exc).__name__}: {exc}"})


def run_command(argv: list[str], tally: Tally) -> None:
    """One command in this process: exit 0, 2 with one error line, or 1 for a failed run."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with time_limit(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            code = main(argv)
    except Hang as exc:
        tally.hangs += 1
        tally.findings.append({"where": " ".join(argv[:1]), "error": f"hang: {exc}"})
        return
    tally.count(tally.cli, f"exit {code}")
    said = err.getvalue()
    errors = [line for line in said.splitlines() if line.startswith("error:")]
    wrong = (code not in (0, 1, 2) or "Traceback" in said or BUG in said
             or (code != 0 and len(errors) != 1)
             or (code == 1 and not any(w in said for w in FAILED_RUN)))
    if wrong:
        tally.findings.append({"where": " ".join(argv), "error": f"exit {code}: {said[-500:]}"})


def clean(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
