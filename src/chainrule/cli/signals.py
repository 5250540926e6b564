"""Ctrl-C and SIGTERM: one graceful path for both, told apart by the exit code."""

from __future__ import annotations

import signal
import threading
from typing import Any

EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Signals:
    """Route SIGTERM into the Ctrl-C path, and remember that it came.

    SIGTERM calls whatever SIGINT handler is installed: Python's own (raise
    KeyboardInterrupt, so clean-up runs) while data is read or written, and during
    :func:`fit` the library's, which holds it until the current batch is done: the
    same graceful stop, with exit code 143 instead of 130.
    """

    def __init__(self) -> None:
        self.terminated = False
        self._previous: Any = None

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self.terminated = True
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):
            handler(signal.SIGINT, frame)
        else:  # SIGINT ignored or default: stop here
            raise KeyboardInterrupt

    def __enter__(self) -> Signals:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)

    @property
    def exit_code(self) -> int:
        return EXIT_TERMINATED if self.terminated else EXIT_INTERRUPTED

    @property
    def stopped(self) -> str:
        """How the command was stopped, in a word: 'terminated' or 'interrupted'."""
        return "terminated" if self.terminated else "interrupted"
