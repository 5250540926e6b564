"""Training progress on standard error: a live bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import math
import sys
import time
from typing import TYPE_CHECKING, Any

from .reporting import say

if TYPE_CHECKING:
    from ..train.loop import EpochInfo, History

# With no terminal, training prints at most about this many progress lines.
PLAIN_LINES = 20


# ... and one at least this often (seconds) when epochs are slow.
PLAIN_SECONDS = 10.0


# A live bar is redrawn at most this often (seconds); updating it costs more than an epoch.
BAR_INTERVAL = 0.05


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """Training progress on stderr: a live rich bar on a terminal, plain lines otherwise.

    ``mode`` is ``'bar'``, ``'lines'`` or ``'quiet'``.  The bar shows the epoch, the
    cost, the validation cost, examples per second and the time left; plain mode prints
    the same as one line every ``every`` epochs (about :data:`PLAIN_LINES` in all).
    """

    def __init__(self, mode: str, n_epochs: int):
        self.mode = mode
        self.n_epochs = n_epochs
        self.every = max(1, math.ceil(n_epochs / PLAIN_LINES))
        self.history: History | None = None
        self.last: EpochInfo | None = None
        self._bar: Any = None
        self._task: Any = None
        self._shown = 0.0  # when the bar last took an epoch's numbers
        self._moved = 0.0  # when the bar last moved within an epoch
        self._t0 = time.perf_counter()
        self._epoch0 = 0

    def __enter__(self) -> Progress:
        self._t0 = time.perf_counter()
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
                TimeRemainingColumn(),
                console=Console(stderr=True), transient=False)
            self._bar.start()
            self._task = self._bar.add_task("train", total=self.n_epochs, costs="", speed="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            if self.last is not None:  # show where it ended, whatever the throttle skipped
                self._update_bar(self.last)
            self._bar.stop()
            self._bar = None

    @staticmethod
    def _costs(info: EpochInfo) -> str:
        parts = [f"C {info.cost:.6g}"]
        if info.val_cost is not None:
            parts.append(f"val C {info.val_cost:.6g}")
        if info.accuracy is not None:
            parts.append(f"acc {info.accuracy:.1%}")
        if info.val_accuracy is not None:
            parts.append(f"val acc {info.val_accuracy:.1%}")
        return "  ".join(parts)

    @staticmethod
    def _short_costs(info: EpochInfo) -> str:
        """The bar's version: fits an 80-column terminal with the bar and the ETA."""
        text = f"C {info.cost:.4g}"
        if info.val_cost is not None:
            text += f" val {info.val_cost:.4g}"
        acc = info.val_accuracy if info.val_accuracy is not None else info.accuracy
        if acc is not None:
            text += f" {'val ' if info.val_accuracy is not None else ''}acc {acc:.1%}"
        return text

    @staticmethod
    def _speed(info: EpochInfo, short: bool = False) -> str:
        rate = info.examples_per_second
        if not math.isfinite(rate):
            return ""
        if short and rate >= 1e6:
            return f"{rate / 1e6:.1f}M ex/s"
        if short and rate >= 1e4:
            return f"{rate / 1e3:.0f}k ex/s"
        return f"{rate:,.0f} ex/s"

    def _update_bar(self, info: EpochInfo) -> None:
        self._bar.update(self._task, completed=info.epoch, costs=self._short_costs(info),
                         speed=self._speed(info, short=True))

    def on_epoch(self, info: EpochInfo) -> None:
        """The epoch callback of :func:`chainrule.train.fit`."""
        if self.last is None:
            self._epoch0 = info.epoch - 1  # a resumed run starts later
        self.last = info
        self.history = info.history
        if self.mode == "bar":
            now = time.perf_counter()
            if now - self._shown >= BAR_INTERVAL or info.epoch == info.n_epochs:
                self._shown = now
                self._update_bar(info)
        elif self.mode == "lines" and (info.epoch % self.every == 0 or info.epoch == 1
                                       or info.epoch == info.n_epochs
                                       or time.perf_counter() - self._shown >= PLAIN_SECONDS):
            self._shown = time.perf_counter()
            parts = [f"epoch {info.epoch:>{len(str(info.n_epochs))}}/{info.n_epochs}",
                     self._costs(info), self._speed(info)]
            done = info.epoch - self._epoch0
            if done > 1:  # the first epoch's time includes the start-up
                elapsed = time.perf_counter() - self._t0
                parts.append(f"ETA {elapsed / done * (info.n_epochs - info.epoch):.1f} s")
            say("  ".join(p for p in parts if p))

    def on_batch(self, epoch: int, batch: int, n_batches: int) -> None:
        """The batch callback: moves the bar within long epochs."""
        if n_batches == 1:  # on_epoch moves it
            return
        now = time.perf_counter()
        if now - self._moved >= BAR_INTERVAL:
            self._moved = now
            self._bar.update(self._task, completed=epoch - 1 + batch / n_batches)
