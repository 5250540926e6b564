"""Atomic file writes, shared by model files, checkpoints, figures, exports and predictions.

A write goes to a temporary file in the destination's folder, is flushed and
fsync'ed, gets the permissions a normal file would have, and is then renamed
over the destination with ``os.replace``.  A reader, a crash or a SIGKILL sees
either the old file or the new one, never part of one; a failed write leaves
no temporary file behind, and one left by a killed writer is removed by the next
write to the same destination.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import socket
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["NotARegularFile", "WholeWriter", "atomic_write", "fsync_folder", "not_a_regular_file",
           "os_error_reason", "refuse_non_regular", "remove_stale_temporaries", "symlink_loop",
           "temp_prefix"]

# What a path that exists but is no regular file is, by its st_mode type.
_KINDS = [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket")]


class NotARegularFile(OSError):
    """An output path names something other than a regular file (a link, a device, ...).

    Writing there atomically would replace the link, the device node or the FIFO
    by a regular file (as root, ``/dev/null`` itself), so it is refused.
    ``strerror`` says what the path is.
    """


class WholeWriter:
    """A binary file whose ``write`` writes every byte, or raises.

    A buffered file returns a short count, without an error, when one large write is
    cut short: the reader of a pipe went away after part of it (the next write would
    say ``EPIPE``), or the limit on file size (``ulimit -f``) was reached.  Writers
    that ignore the count (``f.write(blob)``, NumPy, matplotlib) would then leave a
    truncated file and say nothing; here the rest is written again, and that write
    raises (``BrokenPipeError``, ``EFBIG``).  Every other attribute is the file's.
    """

    def __init__(self, f: BinaryIO):
        self.file = f

    def write(self, data: bytes | bytearray | memoryview) -> int:
        view = memoryview(data)
        if view.ndim != 1 or view.format != "B":
            view = view.cast("B")
        size = len(view)
        while view:
            n = self.file.write(view)
            if not n:  # None (would block) or 0: nothing more can be written
                raise OSError(errno.EIO, "the file accepted no more bytes")
            view = view[n:]
        return size

    def __getattr__(self, name: str) -> object:
        return getattr(self.file, name)


def symlink_loop(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a chain of symbolic links that leads back to itself."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def not_a_regular_file(path: str | os.PathLike[str]) -> str | None:
    """What ``path`` is, in words, if it exists and is not a regular file; else None.

    The last component is not followed: a symbolic link is a link, whatever it
    points to (a regular file, ``/proc/self/fd/1``, nothing, or itself).

    Examples
    --------
    ``"a symbolic link (to /proc/self/fd/1)"``, ``"a FIFO (named pipe)"``,
    ``"a character device"``; None for a regular file or a path that does not exist.
    """
    try:
        st = os.lstat(path)
    except OSError:
        return None  # nothing there (or an unreadable folder: the write will say so)
    if stat.S_ISLNK(st.st_mode):
        if symlink_loop(path):
            return "a symbolic link that leads back to itself (a loop)"
        try:
            to = os.readlink(path)
        except OSError:
            return "a symbolic link"
        return f"a symbolic link (to {to})"
    for test, kind in _KINDS:
        if test(st.st_mode):
            return kind
    return None if stat.S_ISREG(st.st_mode) else "not a regular file"


def refuse_non_regular(path: str | os.PathLike[str]) -> None:
    """Raise :class:`NotARegularFile` if ``path`` exists and is not a regular file."""
    kind = not_a_regular_file(path)
    if kind is not None:
        raise NotARegularFile(errno.EEXIST, f"the path is {kind}, not a regular file; "
                              "only a regular file or a new path is written (replacing it "
                              "would destroy what is there)", os.fspath(path))


def temp_prefix(path: str | os.PathLike[str]) -> str:
    """Name prefix of the temporary files written next to ``path`` (safe to delete)."""
    return f".{Path(path).name}.tmp-"


def _writer_tag() -> str:
    """``PID@HOST.`` for this process: HOST is 8 hex digits of a hash of the host name."""
    host = hashlib.blake2b(socket.gethostname().encode(), digest_size=4).hexdigest()
    return f"{os.getpid()}@{host}."


def remove_stale_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files left next to ``path`` by writers that were killed.

    Each temporary file is named ``.NAME.tmp-PID@HOST.…`` after the process and
    the host writing it.  One written on this host by a process that no longer
    exists (killed by SIGKILL or a power cut, which no cleanup survives) is
    removed.  Files of running processes, of other hosts sharing the folder (a
    process ID means nothing there) and names in any other form are left alone.
    Returns the paths removed.
    """
    target = Path(path)
    prefix = temp_prefix(target)
    host = _writer_tag().split("@", 1)[1]
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            if not entry.name.startswith(prefix):
                continue
            pid_text, at, rest = entry.name[len(prefix):].partition("@")
            if not (at and rest.startswith(host) and pid_text.isascii() and pid_text.isdigit()):
                continue
            pid = int(pid_text)
            if pid == os.getpid() or _alive(pid):
                continue
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # another user's process, or not a PID at all: leave it
    return True


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], None], *,
                 before_replace: Callable[[], None] | None = None) -> Path:
    """Call ``write(f)`` on a temporary file, then publish it as ``path``.

    Parameters
    ----------
    before_replace : callable, optional
        Called once the temporary file is complete on disk, just before it
        replaces ``path`` (checkpoints keep the file about to be replaced there).

    Raises
    ------
    NotARegularFile
        If ``path`` exists and is not a regular file (a symbolic link, a device,
        a FIFO, a socket, a folder): nothing is written.
    OSError
        From the file system (no space, permission, missing folder); callers turn
        it into their own error with :func:`os_error_reason`.  The destination is
        untouched and the temporary file removed, also on KeyboardInterrupt.
    """
    target = Path(path)
    refuse_non_regular(target)
    mode = _new_file_mode(target)
    remove_stale_temporaries(target)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(target) + _writer_tag(), dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(WholeWriter(f))  # type: ignore[arg-type]
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the rename publishes them
        os.chmod(tmp, mode)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_folder(target.parent)
    return target


def os_error_reason(exc: OSError, folder: Path) -> str:
    """A short, plain reason for a failed write."""
    if isinstance(exc, NotARegularFile):
        return exc.strerror
    if exc.errno == errno.ENOSPC:
        return "no space left on device"
    if exc.errno == errno.EFBIG:
        return "file too large: the limit on file size (ulimit -f) was reached"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied in folder '{folder}'"
    if exc.errno == errno.EROFS:
        return f"folder '{folder}' is on a read-only file system"
    if exc.errno == errno.ENOENT:
        return f"folder '{folder}' does not exist"
    return exc.strerror or str(exc)


def _new_file_mode(path: Path) -> int:
    """Keep an overwritten file's permissions; a new file gets 0o666 minus the umask.

    mkstemp creates 0o600 files, which would silently hide results from other users.
    """
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    # Reading /proc avoids os.umask's set-and-restore, which races with other threads.
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    old = os.umask(0o022)
    os.umask(old)
    return old


def fsync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); best effort elsewhere."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
