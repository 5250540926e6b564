"""``chainrule playground``: serve the browser playground until Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer

from .options import Debug
from .reporting import reporting, say

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
    with reporting(debug):
        try:
            from ..playground import serve
        except ImportError as exc:
            raise ImportError(f"the playground needs {exc.name}: {EXTRA}") from None
        try:
            serve(host, port, open_browser=not no_browser,
                  on_start=lambda url: say(f"chainrule playground at {url} (Ctrl-C stops it)"))
        except KeyboardInterrupt:
            say("playground stopped")
