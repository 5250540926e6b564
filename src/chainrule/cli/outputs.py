"""Output files: checked before the work starts, written atomically, folders made as needed.

Every output (``--out``, ``--plot``, ``--latex``, ``--onnx``, ``--checkpoint``) is
checked for writability and refused when it names one of the command's inputs or
anything but a regular file or a new path (a symbolic link, a device node, a FIFO:
writing atomically would replace it by a file); the folders a command makes for its
outputs are removed again if it ends without writing there.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from ..errors import ConfigError
from ..utils.files import atomic_write, not_a_regular_file, os_error_reason


def check_writable(path: Path, what: str) -> None:
    """Refuse, before any work, an output path that cannot be written.

    Nothing is created: the folders missing on the way are made only when the
    output is written.  A temporary file (unnamed where the system allows it) is
    made and removed in the nearest folder that exists: that is the only test that
    also catches read-only file systems and privileged users.
    """
    kind = not_a_regular_file(path)
    if kind == "a folder":
        raise ConfigError(f"{what}: {path} is a folder; expected a file name")
    if kind is not None:
        raise ConfigError(f"{what}: {path} is {kind}, not a regular file; outputs are written "
                          "only to regular files or new paths (writing would replace it)")
    folder = path.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{what}: cannot create folder '{folder}': '{existing}' is a file, "
                          "not a folder")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        reason = exc.strerror or exc
        if existing == folder:
            raise ConfigError(f"{what}: cannot write to folder '{folder}' ({reason})") from None
        raise ConfigError(f"{what}: cannot create folder '{folder}' in '{existing}' "
                          f"({reason})") from None


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (through links too, once they exist)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet, or is a loop of links
        return os.path.realpath(a) == os.path.realpath(b)


def check_not_an_input(path: Path, option: str,
                       inputs: Sequence[tuple[Path | None, str]]) -> None:
    """Refuse an output that names one of the command's inputs: writing would destroy it."""
    for other, what in inputs:
        if other is not None and _same_file(path, other):
            raise ConfigError(f"{option}: {path} is {what}; writing there would overwrite "
                              f"it (choose another file name)")


def check_output(path: Path, option: str, inputs: Sequence[tuple[Path | None, str]]) -> None:
    """Refuse, before any work, an output that cannot be written or that names one of the
    command's ``inputs`` ((path or None, what it is) pairs)."""
    check_writable(path, option)
    check_not_an_input(path, option, inputs)


# The folders the running command made for its outputs, outermost first (see output_folders).
_created_folders: list[Path] = []


def make_folder(folder: Path, what: str) -> None:
    """Create ``folder`` (and its parents) for an output, remembering what was made."""
    missing = []
    p = folder
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{what}: cannot create folder '{folder}': "
                          f"{exc.strerror or exc}") from None
    _created_folders.extend(reversed(missing))


@contextlib.contextmanager
def output_folders() -> Iterator[None]:
    """Run a command; then remove the folders it made that hold nothing (it failed before
    writing there)."""
    _created_folders.clear()
    try:
        yield
    finally:
        while _created_folders:
            with contextlib.suppress(OSError):  # not empty: an output was written there
                _created_folders.pop().rmdir()


def write_atomic(path: Path, write: Callable[[BinaryIO], None], what: str) -> None:
    """Write through a temporary file in the same folder, then ``os.replace``.

    A crash or Ctrl-C leaves either the old file or the new one, never part of one.
    """
    make_folder(path.parent, what)
    try:
        atomic_write(path, write)
    except OSError as exc:
        raise ConfigError(f"{what}: cannot write {path}: "
                          f"{os_error_reason(exc, path.parent)}") from exc
