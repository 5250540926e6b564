"""Ctrl-C and SIGTERM: one graceful path for both, told apart by the exit code."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Signals:
    """Route SIGTERM into the Ctrl-C path, and remember that it came.

    SIGTERM calls whatever SIGINT handler is installed: Python's own (raise
    KeyboardInterrupt, so clean-up runs) while data is read or written, and during
    :func:`fit` the library's, which holds it until the current batch is done: the
    same graceful stop, with exit code 143 instead of 130.

    A job started with ``&`` by a script runs with SIGINT ignored, and the library
    leaves an ignored SIGINT alone.  While training (:meth:`holding`), a SIGTERM is
    then held here instead: the command's callbacks call :meth:`stop_point` between
    steps, which stops the run there as the library would; a second SIGTERM stops
    at once.
    """

    def __init__(self) -> None:
        self.terminated = False
        self.pending = False  # a SIGTERM held until the step in flight is done
        self._holding = False
        self._previous: Any = None

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self.terminated = True
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):
            handler(signal.SIGINT, frame)
        elif self._holding and not self.pending:  # SIGINT ignored, a step under way
            self.pending = True
        else:  # SIGINT ignored or default, nothing to finish (or a second SIGTERM): stop here
            raise KeyboardInterrupt

    def __enter__(self) -> Signals:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        """Training: a SIGTERM (with SIGINT ignored) waits for :meth:`stop_point`."""
        self._holding = True
        try:
            yield
        finally:
            self._holding = False

    def stop_point(self, trainer: Any) -> None:
        """Between two steps of ``trainer``: stop here if a SIGTERM is held.

        The trainer is marked interrupted with its state whole, as the library
        marks it after a held Ctrl-C, so that its checkpoint is written and the
        model saved.
        """
        if self.pending:
            trainer.interrupted = True
            raise KeyboardInterrupt

    @property
    def exit_code(self) -> int:
        return EXIT_TERMINATED if self.terminated else EXIT_INTERRUPTED

    @property
    def stopped(self) -> str:
        """How the command was stopped, in a word: 'terminated' or 'interrupted'."""
        return "terminated" if self.terminated else "interrupted"
