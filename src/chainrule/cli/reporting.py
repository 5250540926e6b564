"""Errors as one line on standard error and an exit code; a traceback only with ``--debug``.

Exit codes: 0 success, 1 a failed run (training diverged, the disk filled up, a bug),
2 bad usage or input, 130 interrupted (Ctrl-C), 141 standard output's reader gone (a
closed pipe, said nothing), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import traceback
import warnings
from collections.abc import Iterator
from typing import NoReturn

import typer

from ..errors import ChainruleError, DivergenceError
from .outputs import output_folders
from .printing import printable
from .signals import Signals

# Exit codes (see the module docstring).
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell tool reading into `head` ends with


class Stop(Exception):
    """End the command with ``message`` on stderr and exit ``code``."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def one_line(text: object) -> str:
    return " ".join(str(text).split())


def say(text: str) -> None:
    """A note for the person watching (stderr), control characters shown as escapes."""
    typer.echo(printable(text), err=True)


# A full disk, a quota, a failing device, the limit on file size (ulimit -f): the run failed
_RESOURCE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG}


def exit_code(exc: BaseException) -> int:
    """2 for bad input or usage, 1 for a run that failed (diverged, the disk filled up, a bug)."""
    cause: BaseException | None = exc
    while cause is not None:  # a full disk is no fault of the input, whatever wraps it
        if isinstance(cause, OSError) and cause.errno in _RESOURCE_ERRNOS:
            return EXIT_FAILED
        cause = cause.__cause__
    # chainrule's ValueErrors name a bad option, file or value, except DivergenceError (a
    # ValueError as scikit-learn's is, but a failed run); any other exception is a bug
    bad_input = isinstance(exc, OSError) or (isinstance(exc, ChainruleError)
                                             and isinstance(exc, ValueError)
                                             and not isinstance(exc, DivergenceError))
    return EXIT_USAGE if bad_input else EXIT_FAILED


def error_text(exc: Exception) -> str:
    """What follows ``error:``."""
    if isinstance(exc, ChainruleError | ImportError):  # ImportError: onnx or torch is missing
        return one_line(exc)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    if isinstance(exc, MemoryError):
        return ("out of memory: this machine has too little free memory for the work asked "
                "(a smaller network, --batch-size or data set needs less)")
    return (f"unexpected {type(exc).__name__}: {one_line(exc)} "
            "(run again with --debug for the traceback)")


@contextlib.contextmanager
def reporting(debug: bool) -> Iterator[Signals]:
    """Turn every exception of a command into ``error: ...`` and its exit code.

    The whole command runs with SIGTERM routed into the Ctrl-C path (:class:`Signals`,
    yielded), so a terminated command cleans up as an interrupted one does and exits
    143; the output folders it made and left empty are removed when it ends.
    """
    with output_folders():
        try:
            with Signals() as signals:
                try:
                    yield signals
                except KeyboardInterrupt as exc:
                    _fail(signals.stopped, signals.exit_code, exc if debug else None)
        except typer.Exit:
            raise
        except BrokenPipeError:
            _reader_gone()
        except Stop as stop:
            _fail(one_line(stop), stop.code, stop.__cause__ if debug else None)
        except Exception as exc:
            _fail(error_text(exc), exit_code(exc), exc if debug else None)


def _reader_gone() -> NoReturn:
    """Standard output's reader has gone (``chainrule predict ... | head``): stop quietly.

    Nothing is said (no one reads it), standard output is pointed at the null device
    so that the interpreter's last flush finds no broken pipe either, and the exit
    code is a shell tool's on SIGPIPE.
    """
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    raise typer.Exit(EXIT_BROKEN_PIPE)


def _fail(text: str, code: int, traceback_of: BaseException | None) -> NoReturn:
    """``error: text`` on stderr (after a traceback, for --debug), then exit ``code``."""
    if traceback_of is not None:
        traceback.print_exception(traceback_of, file=sys.stderr)
    say(f"error: {text}")
    raise typer.Exit(code) from None


@contextlib.contextmanager
def warnings_as_notes() -> Iterator[None]:
    """Library warnings (e.g. a damaged checkpoint replaced by the previous one) as notes."""

    def show(message: Warning | str, category: type[Warning], *args: object,
             **kwargs: object) -> None:
        say(f"warning: {one_line(message)}")

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        yield
