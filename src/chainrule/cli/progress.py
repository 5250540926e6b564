"""Training progress on standard error: a live bar on a terminal, plain lines otherwise.

The library's :class:`~chainrule.train.progress.ProgressBar`, its lines written with
:func:`~chainrule.cli.reporting.say` (standard error, where notes go).
"""

from __future__ import annotations

import sys

from ..train.progress import ProgressBar
from .reporting import say


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class Progress(ProgressBar):
    """Training progress on stderr; ``mode`` is ``'bar'``, ``'lines'`` or ``'quiet'``.

    The bar shows the epoch, the cost, the validation cost, examples per second and
    the time left; plain mode prints the same as one line every so often (about
    twenty in all).
    """

    def __init__(self, mode: str, n_epochs: int):
        super().__init__(mode, total=n_epochs, write=say)
