"""The pieces of the bad-input catalogue (tests/test_catalogue.py): a row, and the files it uses."""

from __future__ import annotations

import io
import json
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

USAGE, FAILED = 2, 1


@dataclass(frozen=True)
class Row:
    """One bad input: the library call, the command line, and the answers they must give."""

    error: type[Exception]  # exact class raised by the library call
    fragment: str  # in the library's message and in the command's error line
    lib: Callable[[Path, Path], object] | None  # (inputs, out) -> raises; None: CLI only
    cli: Callable[[Path, Path], list[str]] | None  # (inputs, out) -> argv
    code: int = USAGE
    # "disk_full", "file_too_large" (ulimit -f), or "read_only" for the folder out/ro
    fault: str | None = None
    cli_fragment: str | None = None  # where the command words it its own way (option names)

    @property
    def cli_says(self) -> str:
        return self.fragment if self.cli_fragment is None else self.cli_fragment


def train_argv(data: str, *extra: str) -> Callable[[Path, Path], list[str]]:
    """``chainrule train INPUTS/data --quiet --out OUT/m.safetensors EXTRA...``."""
    return lambda i, o: ["train", str(i / data), "--quiet", "--out", str(o / "m.safetensors"),
                         *extra]


def npy(A: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, A, allow_pickle=allow_pickle)
    return buf.getvalue()


def npz(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def npy_header(shape: tuple[int, ...]) -> bytes:
    """A .npy file of float64 whose header declares ``shape`` (and no data)."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False,
                                               "shape": shape})
    return buf.getvalue()


def with_metadata(model: Path, out: Path, **fields: object) -> None:
    """A copy of a model file whose metadata fields are set to ``fields`` (valid safetensors,
    hostile metadata)."""
    blob = model.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    doc = json.loads(header["__metadata__"]["chainrule"])
    doc["metadata"].update(fields)
    header["__metadata__"]["chainrule"] = json.dumps(doc)
    raw = json.dumps(header).encode()
    out.write_bytes(struct.pack("<Q", len(raw)) + raw + blob[8 + n:])


def files_snapshot(*folders: Path) -> dict[str, bytes | str]:
    """Every entry under ``folders``: a regular file's bytes, a link's target, or its kind.

    Links are not followed (one may lead to the test's own standard output, or to
    itself), and special files are never opened.
    """
    out: dict[str, bytes | str] = {}
    for folder in folders:
        for p in sorted(folder.rglob("*")):
            if p.is_symlink():
                out[os.fspath(p)] = f"-> {os.readlink(p)}"
            elif p.is_file():
                out[os.fspath(p)] = p.read_bytes()
            else:
                out[os.fspath(p)] = "<dir>" if p.is_dir() else "<special>"
    return out
