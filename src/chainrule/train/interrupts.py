"""Ctrl-C between steps: the first one is held until the step in flight is done."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["deferred_interrupt"]


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[list[bool]]:
    """Hold SIGINT until the current step is done; a second Ctrl-C interrupts at once.

    Yields a one-element list whose entry becomes True when a Ctrl-C was held; the
    training loop looks at it between steps.  Outside the main thread, or when SIGINT
    is ignored (a job started with ``&`` by a script), nothing is changed.
    """
    flag = [False]
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:  # started with Ctrl-C ignored (e.g. `cmd &`): leave it so
        yield flag
        return

    def handler(signum: int, frame: object) -> None:
        if flag[0]:
            raise KeyboardInterrupt
        flag[0] = True

    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:  # not allowed here (e.g. embedded interpreters)
        yield flag
        return
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)
