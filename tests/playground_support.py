"""Helpers of the playground's tests: the system Chromium, and reading pages and sockets.

Servers listen on 127.0.0.1 only and stop when their ``with`` block ends; every loop
here is bounded in count and time.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import numpy as np

CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def launch(playwright: Any) -> Any:
    """The system's Chromium (this machine cannot download browser builds)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def receive_until(ws: Any, kind: str, seconds: float = 10.0) -> dict[str, Any]:
    """The next message of type ``kind`` on a websockets client connection."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        msg = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if msg["type"] == kind:
            return msg
    raise AssertionError(f"no {kind!r} message within {seconds} s")


def not_blank(png: bytes | str, min_colours: int = 8) -> tuple[int, float]:
    """(distinct colours, standard deviation) of a screenshot; asserts it shows something."""
    from PIL import Image

    image = np.asarray(Image.open(png).convert("RGB"), dtype=np.float64)
    colours = np.unique(image.reshape(-1, 3), axis=0).shape[0]
    spread = float(image.std())
    assert colours >= min_colours and spread > 5.0, (colours, spread)
    return colours, spread
