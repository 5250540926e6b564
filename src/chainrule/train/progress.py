"""Training progress: a live bar in a terminal or a notebook, plain lines elsewhere, or nothing.

:class:`ProgressBar` is a callback of :func:`chainrule.train.fit` (``fit(...,
verbose=True)`` makes one).  Where it draws:

* a terminal: a live bar of rich (a dependency already, and the command line's
  bar), redrawn at most every :data:`BAR_INTERVAL` seconds, with no thread of its own;
* a notebook (Jupyter, VS Code, Colab): an HTML ``<progress>`` bar with the same
  numbers, which IPython updates in place (``display(..., display_id=True)`` and
  ``update``).  rich's and tqdm's notebook bars both need ipywidgets, which neither
  JupyterLab nor a headless run (nbclient) installs; a display that IPython updates
  needs nothing but the kernel, no JavaScript, and the notebook keeps its last state;
* anything else (a log file, a pipe): a plain line every so often, about
  :data:`PLAIN_LINES` in all and at least one every :data:`PLAIN_SECONDS` seconds.
"""

from __future__ import annotations

import html
import math
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from ..errors import ConfigError
from .history import EpochInfo, History

__all__ = ["ProgressBar", "in_notebook"]

MODES = ("auto", "bar", "notebook", "lines", "quiet")

# With no terminal, training prints at most about this many progress lines ...
PLAIN_LINES = 20
# ... and one at least this often (seconds) when epochs are slow.
PLAIN_SECONDS = 10.0
# A live bar is redrawn at most this often (seconds); drawing it costs more than an epoch.
BAR_INTERVAL = 0.05
# A notebook's bar is sent to the page at most this often (seconds).
NOTEBOOK_INTERVAL = 0.2


def in_notebook() -> bool:
    """Whether this runs in a notebook's kernel (Jupyter, VS Code, Colab), as rich tells it."""
    if "IPython" not in sys.modules:  # no kernel has started without importing IPython
        return False
    from rich.console import Console

    return bool(Console().is_jupyter)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class ProgressBar:
    """Training progress, as an epoch callback (and :meth:`on_batch` as a batch callback).

    Parameters
    ----------
    mode : {'auto', 'bar', 'notebook', 'lines', 'quiet'}
        'auto' is 'notebook' in a notebook, 'bar' when ``file`` is a terminal and
        'lines' otherwise; 'quiet' shows nothing.
    total : int, optional
        The epochs of the run (by default the first epoch's ``n_epochs``).
    file : text stream, optional
        Where the bar and the lines go (default: standard error).
    write : callable, optional
        How a plain line is written (default: printed to ``file``).
    display : callable, optional
        For 'notebook': shows a MIME bundle (``{'text/html': ..., 'text/plain': ...}``)
        and returns a handle whose ``update`` takes the next one (default: IPython's
        ``display`` with a ``display_id``).

    Attributes
    ----------
    history : History or None
        The run's record so far (from the last epoch seen).
    last : EpochInfo or None
        The last epoch seen.

    Examples
    --------
    >>> from chainrule import Network
    >>> from chainrule.train import ProgressBar, fit
    >>> net = Network([1, 1], "tanh", weights=[[[1.3]]], biases=[[-0.1]])
    >>> with ProgressBar("lines", write=print) as bar:
    ...     _ = fit(net, [[0.0], [1.0]], [[1.0], [0.0]], epochs=2, callbacks=[bar])
    epoch 1/2  mean C 0.952...
    epoch 2/2  mean C ...
    """

    def __init__(self, mode: str = "auto", *, total: int | None = None,
                 file: TextIO | None = None, write: Callable[[str], None] | None = None,
                 display: Callable[[str], Any] | None = None):
        if mode not in MODES:
            raise ConfigError(f"mode: expected one of {', '.join(MODES)}, got {mode!r}")
        self.file = file
        if mode == "auto":
            mode = "notebook" if in_notebook() else \
                ("bar" if _is_terminal(self.stream) else "lines")
        self.mode, self.total = mode, total
        self.write = write if write is not None else self._print
        self.display = display
        self.history: History | None = None
        self.last: EpochInfo | None = None
        self._bar: Any = None  # rich's Progress, or the notebook's display handle
        self._task: Any = None
        self._shown = 0.0  # when the bar last took an epoch's numbers
        self._moved = 0.0  # when the bar last moved within an epoch
        self._t0 = time.perf_counter()
        self._epoch0 = 0

    @classmethod
    def for_verbose(cls, verbose: bool | str) -> ProgressBar | None:
        """The bar of ``verbose=``: None for False, 'auto' for True, else that mode."""
        if isinstance(verbose, str):
            return cls(verbose)
        if not isinstance(verbose, bool | int):
            raise ConfigError(f"verbose: expected True, False or a mode ({', '.join(MODES)}), "
                              f"got {verbose!r}")
        return cls("auto") if verbose else None

    @classmethod
    def where_watched(cls, file: TextIO) -> ProgressBar | None:
        """A live bar when someone watches (a notebook, or ``file`` a terminal), else None
        (a log file or a pipe: the caller prints its own lines)."""
        bar = cls("auto", file=file)
        return None if bar.mode == "lines" else bar

    @property
    def stream(self) -> TextIO:
        return self.file if self.file is not None else sys.stderr

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    # -- the run's start and end -------------------------------------------------------

    def __enter__(self) -> ProgressBar:
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Show where the run ended (whatever the throttle skipped) and stop the bar."""
        if self._bar is None:
            return
        if self.last is not None:
            self._draw(self.last)
        if self.mode == "bar":
            self._bar.stop()
        self._bar = None

    def _start(self, info: EpochInfo) -> None:
        """Set the bar up at the first epoch, when the run's length is known."""
        self._epoch0 = info.epoch - 1  # a resumed run starts later
        if self.total is None:
            self.total = info.n_epochs
        if self.mode == "bar":
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("epoch"), MofNCompleteColumn(), BarColumn(bar_width=16),
                TextColumn("{task.fields[costs]}"), TextColumn("{task.fields[speed]}"),
                TimeRemainingColumn(), console=Console(file=self.stream), auto_refresh=False)
            self._bar.start()
            self._task = self._bar.add_task("train", total=self.total, costs="", speed="",
                                            completed=self._epoch0)
        elif self.mode == "notebook":
            self._bar = (self.display or _ipython_display)(self.bundle(info))

    # -- each epoch and each batch -----------------------------------------------------------

    def __call__(self, info: EpochInfo) -> None:
        self.on_epoch(info)

    def on_epoch(self, info: EpochInfo) -> None:
        """The epoch callback of :func:`chainrule.train.fit`."""
        first = self.last is None
        self.last, self.history = info, info.history  # kept even when quiet
        if self.mode == "quiet":
            return
        if first:
            self._start(info)
        now = time.perf_counter()
        if self.mode == "lines":
            every = max(1, math.ceil((self.total or info.n_epochs) / PLAIN_LINES))
            if (info.epoch % every == 0 or info.epoch == 1 or info.epoch == info.n_epochs
                    or now - self._shown >= PLAIN_SECONDS):
                self._shown = now
                self.write(self.line(info))
            return
        interval = BAR_INTERVAL if self.mode == "bar" else NOTEBOOK_INTERVAL
        if now - self._shown >= interval or info.epoch == info.n_epochs:
            self._shown = now
            self._draw(info)

    def after(self, first: Callable[[int, int, int], None] | None,
              ) -> Callable[[int, int, int], None]:
        """A batch callback that calls ``first`` (another one, if any), then :meth:`on_batch`."""
        if first is None:
            return self.on_batch

        def both(epoch: int, batch: int, n_batches: int) -> None:
            first(epoch, batch, n_batches)
            self.on_batch(epoch, batch, n_batches)
        return both

    def on_batch(self, epoch: int, batch: int, n_batches: int) -> None:
        """The batch callback: moves a terminal's bar within long epochs."""
        if self.mode != "bar" or self._bar is None or n_batches == 1:
            return
        now = time.perf_counter()
        if now - self._moved >= BAR_INTERVAL:
            self._moved = now
            self._bar.update(self._task, completed=epoch - 1 + batch / n_batches)
            self._bar.refresh()

    def _draw(self, info: EpochInfo) -> None:
        if self.mode == "bar":
            self._bar.update(self._task, completed=info.epoch, costs=short_costs(info),
                             speed=speed(info, short=True))
            self._bar.refresh()
        elif self.mode == "notebook":
            self._bar.update(self.bundle(info))

    # -- what is shown ---------------------------------------------------------------------

    def line(self, info: EpochInfo) -> str:
        """A plain line: ``epoch 37/100  mean C 0.0123  val C 0.02  12,345 ex/s  ETA 1.2 s``."""
        parts = [f"epoch {info.epoch:>{len(str(info.n_epochs))}}/{info.n_epochs}",
                 costs(info), speed(info)]
        done = info.epoch - self._epoch0
        if done > 1:  # the first epoch's time includes the start-up
            elapsed = time.perf_counter() - self._t0
            parts.append(f"ETA {elapsed / done * (info.n_epochs - info.epoch):.1f} s")
        return "  ".join(p for p in parts if p)

    def bundle(self, info: EpochInfo) -> dict[str, str]:
        """The notebook's bar: a ``<progress>`` element and the line beside it (HTML), and
        the line alone for a viewer without HTML."""
        total = self.total or info.n_epochs
        line = self.line(info)
        return {"text/html": f'<div class="chainrule-progress"><progress value="{info.epoch}" '
                             f'max="{total}" style="width: 16em"></progress> '
                             f"{html.escape(line)}</div>",
                "text/plain": line}


def _ipython_display(bundle: dict[str, str]) -> Any:
    """Show a MIME bundle in the notebook; the handle's ``update`` replaces it in place."""
    from IPython.display import display

    handle = display(bundle, raw=True, display_id=True)

    class Handle:
        def update(self, new: dict[str, str]) -> None:
            handle.update(new, raw=True)

    return Handle()


def costs(info: EpochInfo) -> str:
    """``mean C 0.0123  val C 0.02  acc 95.0%  val acc 93.0%``: what the epoch recorded.

    ``mean C`` (and ``acc``) is the mean over the epoch's batches, each taken before its
    step while the weights moved, so it differs from the cost at the epoch's final weights
    (what ``chainrule train``'s final line and ``evaluate`` report); ``val C`` and
    ``val acc`` are at the epoch's final weights.
    """
    parts = [f"mean C {info.cost:.6g}"]
    if info.val_cost is not None:
        parts.append(f"val C {info.val_cost:.6g}")
    if info.accuracy is not None:
        parts.append(f"acc {info.accuracy:.1%}")
    if info.val_accuracy is not None:
        parts.append(f"val acc {info.val_accuracy:.1%}")
    return "  ".join(parts)


def short_costs(info: EpochInfo) -> str:
    """The bar's version of :func:`costs`: fits an 80-column terminal with the bar and the ETA."""
    text = f"mean C {info.cost:.4g}"
    if info.val_cost is not None:
        text += f" val {info.val_cost:.4g}"
    acc = info.val_accuracy if info.val_accuracy is not None else info.accuracy
    if acc is not None:
        text += f" {'val ' if info.val_accuracy is not None else ''}acc {acc:.1%}"
    return text


def speed(info: EpochInfo, short: bool = False) -> str:
    """Examples per second: ``12,345 ex/s`` (``12k ex/s``, ``1.2M ex/s`` when short)."""
    rate = info.examples_per_second
    if not math.isfinite(rate):
        return ""
    if short and rate >= 1e6:
        return f"{rate / 1e6:.1f}M ex/s"
    if short and rate >= 1e4:
        return f"{rate / 1e3:.0f}k ex/s"
    return f"{rate:,.0f} ex/s"
