"""``chainrule playground``: a page where a network learns live, every chain-rule factor in view.

Training runs in the server on chainrule's own engine; the page (plain ES modules and
canvas/SVG, nothing fetched from the network) draws what the server sends over one
WebSocket per tab.  Start it with ``chainrule playground`` or::

    from chainrule.playground import serve
    serve(port=8765)            # http://127.0.0.1:8765/, until Ctrl-C

It needs the ``playground`` extra: ``pip install 'chainrule[playground]'``.
"""

from .server import create_app, running, serve

__all__ = ["create_app", "running", "serve"]
