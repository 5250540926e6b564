"""What the page may send, checked field by field before anything acts on it.

A message is one JSON object with a ``type``.  Anything else (not JSON, an unknown
type, a field of the wrong kind or out of range) raises :class:`BadMessage` naming the
field and what was expected; the server answers with an ``error`` message and keeps
the connection open.

The page's whole state is a :class:`Config` (also the URL's hash, see ``static/js/state.js``):

======== ================================================ =================
field    meaning                                          default
======== ================================================ =================
data     a data set of the catalogue, or ``csv``          circle
n        number of points generated                       500
noise    standard deviation of the jitter                 0.05
test     share of the points held out for the test cost   0.3
seed     seed of the data, the split, the weights, order  0
target   the CSV's target column                          (last column)
hidden   units per hidden layer (0–6 layers of 1–16)      8,8
act      σ of each hidden layer                           tanh,tanh
out      σ of the output layer                            softmax
cost     the cost                                         cross_entropy
opt      the optimiser                                    adam
lr       learning rate η                                  0.03
batch    examples per step (0: the whole training set)    10
l2       L2 penalty α                                     0
epoch    epochs to train to when the page opens           0
px, py   the landscape's two parameters                   (none)
sel      the parameter whose ledger is shown              (none)
ex       the training example of the ledger               0
======== ================================================ =================
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

__all__ = ["BadMessage", "Config", "parse_config", "parse_message"]

# limits of the page, checked here so that a hostile message cannot ask for more
MAX_HIDDEN_LAYERS = 6
MAX_UNITS = 16
MAX_POINTS = 2000
MAX_EPOCHS = 1_000_000
MAX_NAME = 64

PARAM = re.compile(r"^[Wb][1-9][0-9]?\[[0-9]{1,3}(,[0-9]{1,3})?\]$")


class BadMessage(ValueError):
    """A message the server cannot act on; its text is shown in the page."""


@dataclass(frozen=True)
class Config:
    """Everything that decides a run: the data, the network, the training, the views."""

    data: str = "circle"
    n: int = 500
    noise: float = 0.05
    test: float = 0.3
    seed: int = 0
    target: str = ""
    hidden: tuple[int, ...] = (8, 8)
    act: tuple[str, ...] = ("tanh", "tanh")
    out: str = "softmax"
    cost: str = "cross_entropy"
    opt: str = "adam"
    lr: float = 0.03
    batch: int = 10
    l2: float = 0.0
    epoch: int = 0
    px: str = ""
    py: str = ""
    sel: str = ""
    ex: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hidden"], d["act"] = list(self.hidden), list(self.act)
        return d

    def run_key(self) -> tuple[Any, ...]:
        """The fields that decide the run: a change to any of them starts it again."""
        return (*self.data_key(), self.hidden, self.act, self.out, self.cost, self.opt,
                self.lr, self.batch, self.l2)

    def data_key(self) -> tuple[Any, ...]:
        """The fields that decide the data: a change to any of them reads or draws it again."""
        return (self.data, self.n, self.noise, self.test, self.seed, self.target)


def _number(raw: Any, name: str, low: float, high: float) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise BadMessage(f"{name}: expected a number, got {_show(raw)}")
    if not low <= raw <= high:
        raise BadMessage(f"{name}: expected a number from {low:g} to {high:g}, got {raw:g}")
    return float(raw)


def _integer(raw: Any, name: str, low: int, high: int) -> int:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise BadMessage(f"{name}: expected a whole number, got {_show(raw)}")
    if not low <= raw <= high:
        raise BadMessage(f"{name}: expected a whole number from {low} to {high}, got {raw}")
    return raw


def _name(raw: Any, name: str, allowed: list[str] | None = None) -> str:
    if not isinstance(raw, str) or len(raw) > MAX_NAME:
        raise BadMessage(f"{name}: expected a name of at most {MAX_NAME} characters, "
                         f"got {_show(raw)}")
    if allowed is not None and raw not in allowed:
        raise BadMessage(f"{name}: expected one of {', '.join(allowed)}, got {_show(raw)}")
    return raw


def _param(raw: Any, name: str) -> str:
    text = _name(raw, name)
    if text and not PARAM.match(text):
        raise BadMessage(f"{name}: expected a parameter such as W1[0,1] or b2[3], "
                         f"got {_show(raw)}")
    return text


def _show(raw: Any) -> str:
    text = json.dumps(raw) if not isinstance(raw, str) else repr(raw)
    return text if len(text) <= 40 else text[:39] + "…"


def _list(raw: Any, name: str, limit: int) -> list[Any]:
    if not isinstance(raw, list) or len(raw) > limit:
        raise BadMessage(f"{name}: expected a list of at most {limit} entries, got {_show(raw)}")
    return raw


def parse_config(raw: Any, names: dict[str, list[str]]) -> Config:
    """A :class:`Config` from the page's JSON object; missing fields take their defaults.

    ``names`` holds the allowed names: ``data``, ``hidden_activations``,
    ``output_activations``, ``costs`` and ``optimizers``.
    """
    if not isinstance(raw, dict):
        raise BadMessage(f"config: expected an object, got {_show(raw)}")
    known = {f.name for f in fields(Config)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise BadMessage(f"config: unknown field {unknown[0]!r}; the fields are "
                         f"{', '.join(sorted(known))}")
    c = Config()
    get = raw.get
    hidden = tuple(_integer(u, "hidden", 1, MAX_UNITS)
                   for u in _list(get("hidden", list(c.hidden)), "hidden", MAX_HIDDEN_LAYERS))
    act = tuple(_name(a, "act", names["hidden_activations"])
                for a in _list(get("act", list(c.act)), "act", MAX_HIDDEN_LAYERS))
    if len(act) != len(hidden):
        raise BadMessage(f"act: expected one activation per hidden layer ({len(hidden)}), "
                         f"got {len(act)}")
    return replace(
        c,
        data=_name(get("data", c.data), "data", names["data"]),
        n=_integer(get("n", c.n), "n", 10, MAX_POINTS),
        noise=_number(get("noise", c.noise), "noise", 0.0, 1.0),
        test=_number(get("test", c.test), "test", 0.0, 0.9),
        seed=_integer(get("seed", c.seed), "seed", 0, 2**31 - 1),
        target=_name(get("target", c.target), "target"),
        hidden=hidden,
        act=act,
        out=_name(get("out", c.out), "out", names["output_activations"]),
        cost=_name(get("cost", c.cost), "cost", names["costs"]),
        opt=_name(get("opt", c.opt), "opt", names["optimizers"]),
        lr=_number(get("lr", c.lr), "lr", 1e-6, 10.0),
        batch=_integer(get("batch", c.batch), "batch", 0, MAX_POINTS),
        l2=_number(get("l2", c.l2), "l2", 0.0, 100.0),
        epoch=_integer(get("epoch", c.epoch), "epoch", 0, MAX_EPOCHS),
        px=_param(get("px", c.px), "px"),
        py=_param(get("py", c.py), "py"),
        sel=_param(get("sel", c.sel), "sel"),
        ex=_integer(get("ex", c.ex), "ex", 0, MAX_POINTS),
    )


# message type -> its fields and their checks
def _fields_of(msg: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(msg) - allowed - {"type"})
    if extra:
        raise BadMessage(f"{msg['type']}: unknown field {extra[0]!r}")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


TYPES = ("config", "play", "pause", "step", "reset", "ack", "ledger", "landscape")


def parse_message(text: str | bytes | None, names: dict[str, list[str]]) -> dict[str, Any]:
    """Check one message from the page; returns it with its fields validated."""
    if not isinstance(text, str):
        raise BadMessage("message: expected a JSON text message, got binary data")
    try:
        msg = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise BadMessage("message: nested too deeply") from None
    except ValueError as exc:
        where = f" at character {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
        raise BadMessage(f"message: not JSON ({getattr(exc, 'msg', exc)}{where})") from None
    if not isinstance(msg, dict):
        raise BadMessage(f"message: expected a JSON object, got {_show(msg)}")
    kind = msg.get("type")
    if kind not in TYPES:
        raise BadMessage(f"type: expected one of {', '.join(TYPES)}, got {_show(kind)}")
    if kind == "config":
        _fields_of(msg, {"config"})
        return {"type": kind, "config": parse_config(msg.get("config"), names)}
    if kind == "ack":
        _fields_of(msg, {"id"})
        return {"type": kind, "id": _integer(msg.get("id"), "id", 0, 2**53)}
    if kind == "ledger":
        _fields_of(msg, {"param", "example"})
        return {"type": kind, "param": _param(msg.get("param", ""), "param"),
                "example": _integer(msg.get("example", 0), "example", 0, MAX_POINTS)}
    if kind == "landscape":
        _fields_of(msg, {"px", "py", "half"})
        return {"type": kind, "px": _param(msg.get("px", ""), "px"),
                "py": _param(msg.get("py", ""), "py"),
                "half": _number(msg.get("half", 3.0), "half", 0.01, 100.0)}
    _fields_of(msg, set())
    return {"type": kind}
