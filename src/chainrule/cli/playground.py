"""``chainrule playground``: serve the browser playground until Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer

from .options import Debug
from .reporting import EXIT_USAGE, Stop, reporting, say

EXTRA = "pip install 'chainrule[playground]'"


def playground(
    port: Annotated[int, typer.Option("--port", min=0, max=65535,
                                      help="Port to listen on (0: any free port).")] = 8765,
    host: Annotated[str, typer.Option(
        "--host", help="Address to listen on; the default keeps the playground to this "
                       "machine.")] = "127.0.0.1",
    no_browser: Annotated[bool, typer.Option("--no-browser",
                                             help="Do not open a browser tab.")] = False,
    debug: Debug = False,
) -> None:
    """A page where a network learns live: data, chain rule, landscape, gradient sizes.

    Training runs here, on chainrule's engine; the page draws it. Ctrl-C stops it.
    """
    with reporting(debug) as signals:
        try:
            from ..playground import serve
        except ImportError as exc:
            package = (exc.name or "starlette").split(".")[0]  # the distribution, not a module
            raise Stop(f"the playground needs {package}: {EXTRA}", EXIT_USAGE) from None
        try:
            serve(host, port, open_browser=not no_browser,
                  on_start=lambda url: say(f"chainrule playground at {url} (Ctrl-C stops it)"))
        except KeyboardInterrupt:
            raise Stop(f"playground {signals.stopped}", signals.exit_code) from None
        # uvicorn catches Ctrl-C and SIGTERM, shuts down, then raises them again here:
        # Ctrl-C as KeyboardInterrupt (exit 130), SIGTERM through Signals (exit 143)
        if signals.terminated:  # a SIGTERM that ended the serving without an exception
            raise Stop("playground terminated", signals.exit_code)
