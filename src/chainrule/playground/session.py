"""One tab's run: its data, network, trainer, views and the messages they make.

A :class:`Session` knows nothing of sockets: :meth:`Session.handle` takes a checked
message and returns the messages to send back; :meth:`Session.train_slice` advances
training by a few epochs (a few milliseconds, so that the server stays responsive and
the page gets frames at its own pace); :meth:`Session.frame` says what changed.

Training is deterministic: the same config trained to the same epoch gives the same
weights, however the epochs were sliced, so the URL's ``epoch`` field reproduces a run.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import replace
from typing import Any

import numpy as np

from . import library
from .catalogue import CATALOGUE, make_data
from .protocol import MAX_EPOCHS, BadMessage, Config, parse_config
from .views import View, view_for

__all__ = ["Session"]

Message = dict[str, Any]

SLICE_SECONDS = 0.008  # training time between two looks at the socket
LANDSCAPE_N = 51  # grid points per side of the cost landscape
LANDSCAPE_EVERY = 1.0  # seconds between landscape redraws while training
LEDGER_EVERY = 0.5
FRAMES_AHEAD = 2  # frames sent and not yet drawn, at most


class Session:
    """The state of one page: config, data, run, and what the page has been sent."""

    def __init__(self, names: dict[str, list[str]]):
        self.id = secrets.token_urlsafe(18)
        self.names = names
        self.config = Config()
        self.run: library.Run | None = None
        self.view: View | None = None
        self.csv: tuple[str, bytes] | None = None
        self.csv_version = 0  # uploads so far
        self.csv_used = -1  # the upload the run's data came from (-1: none)
        self.playing = False
        self.target_epoch = 0
        self.sent_epochs = 0
        self.frame_id = 0
        self.acked = 0
        self.path: list[tuple[float, float]] = []
        self.path_sent = 0
        self.land_half = 3.0
        self.land_time = 0.0
        self.ledger_time = 0.0
        self.seconds_per_epoch = 1e-4
        self.loaded_from: str | None = None

    # -- the run ---------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Training wanted: playing, or catching up to the URL's epoch."""
        return self.run is not None and (self.playing or self.run.epoch < self.target_epoch)

    def _data(self, c: Config) -> library.Data:
        if c.data == "csv":
            if self.csv is None:
                raise BadMessage("data: no CSV file uploaded in this page yet; upload one "
                                 "(the URL cannot carry its rows)")
            name, blob = self.csv
            columns = library.csv_columns(blob, name)
            target = c.target or columns[-1]
            if target not in columns:
                raise BadMessage(f"target: {name} has no column {target!r}; its columns are "
                                 f"{', '.join(columns)}")
            return library.from_csv(blob, name, target, c.test, c.seed)
        return make_data(c.data, c.n, c.noise, c.test, c.seed)

    def _new_run(self, c: Config, data: library.Data) -> library.Run:
        batch = None if c.batch == 0 else c.batch
        return library.new_run(data, c.hidden, c.act, c.out, c.cost, c.opt, c.lr, batch, c.l2,
                               c.seed)

    def apply_config(self, c: Config) -> list[Message]:
        """Take the page's config; a change to the run's fields starts it again."""
        out: list[Message] = []
        old = self.config
        new_csv = c.data == "csv" and self.csv_used != self.csv_version
        rebuild = self.run is None or c.run_key() != old.run_key() or new_csv
        if rebuild:
            data = self._data(c) if self.run is None or c.data_key() != old.data_key() \
                or new_csv else self.run.data
            self.csv_used = self.csv_version if c.data == "csv" else -1
            run = self._new_run(c, data)
            new_data = self.run is None or data is not self.run.data
            self.run, self.config = run, c
            self.loaded_from = None
            self._restart()
            if new_data:
                self.view = view_for(data)
                out.append(self.view.describe(data))
            out.append(self._net_message())
        self.config = c
        self.target_epoch = c.epoch if rebuild else self.target_epoch
        out += self._views_after_change(old, c, rebuild)
        return out

    def _restart(self) -> None:
        self.playing = False
        self.target_epoch = 0
        self.sent_epochs = 0
        self.path, self.path_sent = [], 0
        self.seconds_per_epoch = 1e-4

    def _views_after_change(self, old: Config, c: Config, rebuild: bool) -> list[Message]:
        out: list[Message] = []
        if c.px and c.py and (rebuild or (c.px, c.py) != (old.px, old.py)):
            out += self._landscape(c.px, c.py, self.land_half)
        if c.sel and (rebuild or (c.sel, c.ex) != (old.sel, old.ex)):
            out += self._ledger(c.sel, c.ex)
        return out

    def _net_message(self) -> Message:
        run = self.run
        assert run is not None
        net = run.network
        return {"type": "net", "sizes": list(net.layer_sizes),
                "activations": [a.name for a in net.activations], "cost": net.cost.name,
                "names": library.param_names(net), "loaded": self.loaded_from}

    def handle(self, msg: Message) -> list[Message]:
        """Act on one checked message; returns the messages for the page."""
        kind = msg["type"]
        if kind == "config":
            return self.apply_config(msg["config"])
        if self.run is None:
            raise BadMessage(f"{kind}: send the config first")
        if kind == "ack":
            self.acked = max(self.acked, msg["id"])
            return []
        if kind == "play":
            self.playing = True
        elif kind == "pause":
            self.playing = False
            self.target_epoch = self.run.epoch
            return [*self._refresh_views(force=True), self.status()]
        elif kind == "step":
            self.playing = False
            self.target_epoch = self.run.epoch
            return [*self._train(1), *self._refresh_views(force=True), self.status()]
        elif kind == "reset":
            # built again from config.seed (the playground's Seed box): the same first weights
            self.run = None
            return [*self.apply_config(replace(self.config, epoch=0)), self.status()]
        elif kind == "ledger":
            out = self._ledger(msg["param"], msg["example"])  # checks them first
            self.config = replace(self.config, sel=msg["param"], ex=msg["example"])
            return out
        elif kind == "landscape":
            path = self.path
            self.path, self.path_sent = [], 0
            try:
                out = self._landscape(msg["px"], msg["py"], msg["half"])
            except BadMessage:
                self.path = path
                raise
            self.land_half = msg["half"]
            self.config = replace(self.config, px=msg["px"], py=msg["py"])
            return out
        return [self.status()]

    def status(self, message: str = "") -> Message:
        run = self.run
        return {"type": "status", "playing": self.playing,
                "epoch": 0 if run is None else run.epoch, "target": self.target_epoch,
                "message": message}

    # -- training ----------------------------------------------------------------

    def _train(self, epochs: int) -> list[Message]:
        run = self.run
        assert run is not None
        t0 = time.perf_counter()
        try:
            run.train(epochs)
        except library.DivergenceError as exc:
            self.playing = False
            self.target_epoch = run.epoch
            return [{"type": "error", "message": str(exc)}]
        elapsed = time.perf_counter() - t0
        self.seconds_per_epoch = 0.7 * self.seconds_per_epoch + 0.3 * elapsed / epochs
        self._record_path()
        return []

    def train_slice(self) -> list[Message]:
        """Train for about :data:`SLICE_SECONDS`; messages if training stopped on its own."""
        run = self.run
        if run is None or not self.busy:
            return []
        goal = MAX_EPOCHS if self.playing else self.target_epoch
        epochs = int(min(max(1, SLICE_SECONDS / self.seconds_per_epoch), 10_000,
                         goal - run.epoch))
        if epochs <= 0:
            self.playing = False
            return [self.status(f"stopped at epoch {run.epoch}, the playground's limit")]
        out = self._train(epochs)
        if not self.busy:
            out += [*self._refresh_views(force=True), self.status()]
        else:
            out += self._refresh_views(force=False)
        return out

    def _record_path(self) -> None:
        c, run = self.config, self.run
        if c.px and c.py and run is not None:
            net = run.network
            try:
                self.path.append((library.param_value(net, c.px),
                                  library.param_value(net, c.py)))
            except library.ChainruleError:
                pass  # the parameters are not in this network: no path to draw

    # -- what the page sees --------------------------------------------------------

    def _refresh_views(self, force: bool) -> list[Message]:
        now = time.monotonic()
        c, out = self.config, []
        if c.px and c.py and (force or now - self.land_time > LANDSCAPE_EVERY):
            out += self._landscape(c.px, c.py, self.land_half, recentre=False)
        if c.sel and (force or now - self.ledger_time > LEDGER_EVERY):
            out += self._ledger(c.sel, c.ex)
        return out

    def _ledger(self, param: str, example: int) -> list[Message]:
        run = self.run
        assert run is not None
        self.ledger_time = time.monotonic()
        n = run.data.train.size
        if example >= n:
            raise BadMessage(f"example: expected a training example from 0 to {n - 1}, "
                             f"got {example}")
        try:
            return [{"type": "ledger", **library.ledger(run, param, example)}]
        except library.ChainruleError as exc:
            raise BadMessage(f"param: {exc}") from None

    def _landscape(self, px: str, py: str, half: float, recentre: bool = True) -> list[Message]:
        run = self.run
        assert run is not None
        self.land_time = time.monotonic()
        if px == py:
            raise BadMessage("landscape: pick two different parameters")
        try:
            x, y = library.param_value(run.network, px), library.param_value(run.network, py)
        except library.ChainruleError as exc:
            raise BadMessage(f"landscape: {exc}") from None
        centre = (x, y)
        if not recentre and self.path:
            pts = np.asarray(self.path)
            centre = tuple(float(v) for v in (pts.min(axis=0) + pts.max(axis=0)) / 2)
            spread = float(np.max(pts.max(axis=0) - pts.min(axis=0)))
            half = max(half, 0.6 * spread)
        if not self.path:
            self.path.append((x, y))
        land = library.landscape(run, px, py, centre, half, LANDSCAPE_N)
        C = land.pop("C")
        finite = np.isfinite(C)
        lo = float(C[finite].min()) if finite.any() else 0.0
        hi = float(C[finite].max()) if finite.any() else 1.0
        land["C"] = [[None if not math.isfinite(v) else round(float(v), 10) for v in row]
                     for row in C]
        land["min"], land["max"] = lo, hi
        land["path"] = [list(p) for p in self.path]
        self.path_sent = len(self.path)
        return [{"type": "landscape", **land}]

    def frame(self) -> Message:
        """What changed since the last frame: costs, weights, outputs, gradient sizes."""
        run, view = self.run, self.view
        assert run is not None and view is not None
        self.frame_id += 1
        train, test = run.costs
        start = self.sent_epochs
        self.sent_epochs = len(train)
        new_path = self.path[self.path_sent:]
        self.path_sent = len(self.path)
        return {
            "type": "frame", "id": self.frame_id, "epoch": run.epoch,
            "playing": self.playing, "target": self.target_epoch,
            "start": start, "train": _floats(train[start:]), "test": _floats(test[start:]),
            "params": _floats(run.network.params.tolist()),
            "grad": _floats(library.gradient_sizes(run)),
            "path": [list(p) for p in new_path],
            **view.frame(run.network),
        }

    @property
    def frame_wanted(self) -> bool:
        """The page has drawn all but the last frame sent: frames go at the page's pace,
        one ahead so that the page never waits for the next."""
        return self.frame_id - self.acked < FRAMES_AHEAD

    # -- files ---------------------------------------------------------------------

    def upload_csv(self, name: str, blob: bytes) -> Message:
        """Keep an uploaded CSV (its columns are read now, so a bad file is refused now)."""
        columns = library.csv_columns(blob, name)
        self.csv = (name, blob)
        self.csv_version += 1
        return {"columns": columns, "target": columns[-1], "name": name}

    def model_file(self) -> bytes:
        """The run as a model file, the same :class:`~chainrule.Model` file that
        ``chainrule train`` writes, with the page's config in its training summary."""
        run = self.run
        if run is None:
            raise BadMessage("model: nothing to download before the page has sent its config")
        return library.model_bytes(run, self.config.to_dict())

    def load_model(self, name: str, blob: bytes) -> list[Message]:
        """Inspect an uploaded model: its network and weights, on data of its shape."""
        m = library.load_model_bytes(blob, name)
        c = self._config_for_model(m)
        try:
            data = self._data(c)
        except library.ChainruleError as exc:
            raise BadMessage(str(exc)) from None
        _check_fits(m, name, data)
        self.run = None
        out = self.apply_config(c)
        assert self.run is not None
        library.set_params(self.run, m.network.params)
        self.loaded_from = name
        out.append(self._net_message())
        out.append({"type": "config", "config": c.to_dict()})
        return out

    def _config_for_model(self, m: library.Model) -> Config:
        """The page's config for model ``m``: the page it was saved from, else the data
        set it names (or the page's own data) with its network."""
        c = self.config
        saved = (m.training or {}).get("playground")
        if isinstance(saved, dict):
            try:
                c = parse_config({**saved, "epoch": 0}, self.names)
            except BadMessage:
                c = self.config
        sizes = m.network.layer_sizes
        if self.run is None or (self.run.data.X.shape[1], self.run.data.Y.shape[1]) != \
                (sizes[0], sizes[-1]):
            c = _config_for_shape(c, m)
        acts = library.activation_names(m.network)
        return replace(c, hidden=tuple(sizes[1:-1]), act=tuple(acts[:-1]), out=acts[-1],
                       cost=m.cost, epoch=0, px="", py="", sel="")


def _config_for_shape(c: Config, m: library.Model) -> Config:
    """A built-in data set for a model that names one, else the config as it is."""
    for key, entry in CATALOGUE.items():
        if m.dataset in (key, entry.library_name):
            return replace(c, data=key)
    return c


def _check_fits(m: library.Model, name: str, data: library.Data) -> None:
    """The model takes the data's inputs and gives its outputs: as many of each, and the
    same input names where the model has names."""
    sizes = m.network.layer_sizes
    if (data.X.shape[1], data.Y.shape[1]) != (sizes[0], sizes[-1]):
        raise BadMessage(f"model: {name} has {sizes[0]} inputs and {sizes[-1]} outputs; "
                         f"the page's data set has {data.X.shape[1]} and "
                         f"{data.Y.shape[1]}: load the data it was trained on first")
    if m.feature_names is not None and tuple(m.feature_names) != data.feature_names:
        raise BadMessage(f"model: {name} takes the inputs {', '.join(m.feature_names)}; "
                         f"the page's data set has {', '.join(data.feature_names)}: load "
                         "the data it was trained on first")


def _floats(values: list[float]) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in values]
