"""The playground's web server: static files, one WebSocket per tab, uploads and downloads.

Starlette routes the requests and uvicorn serves them, on 127.0.0.1 unless told
otherwise.  Every request and WebSocket goes through :class:`Guard` first, which refuses
a Host or Origin that is not this server's own (a page of another site, or a DNS name
rebound to 127.0.0.1, cannot drive the playground).  Sizes are capped: request headers
(uvicorn), WebSocket messages (:data:`MAX_MESSAGE`), uploads (:data:`MAX_UPLOAD`) and
the number of tabs (:data:`MAX_SESSIONS`).  Static files are served from a list made
when the server starts, so no path can reach outside it.

Protocol (JSON text messages over ``/ws``; see :mod:`.protocol` for the page's side):
the server opens with ``hello`` (the session's id, the catalogue, the library's
names), then answers ``config``/``play``/``pause``/``step``/``reset``/``ledger``/
``landscape`` with ``data``, ``net``, ``status``, ``ledger``, ``landscape`` and
``error`` messages, and sends a ``frame`` (costs, weights, outputs, gradient sizes)
whenever something changed and the page has acknowledged the last frame
(``{"type": "ack", "id": n}``), so frames go at the page's drawing pace.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import mimetypes
import re
import socket
import threading
import time
import webbrowser
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from . import library
from .catalogue import CATALOGUE
from .protocol import BadMessage, parse_message
from .session import Session

__all__ = ["MAX_MESSAGE", "MAX_SESSIONS", "MAX_UPLOAD", "create_app", "running", "serve"]

log = logging.getLogger("chainrule.playground")

STATIC = Path(__file__).with_name("static")
MAX_MESSAGE = 64 * 1024  # bytes of one WebSocket message from the page
MAX_UPLOAD = 4 * 1024 * 1024  # bytes of an uploaded CSV or model file
MAX_SESSIONS = 64  # tabs served at once
MAX_HEADER = 16 * 1024
ACK_TIMEOUT = 1.0  # a frame goes out anyway after this long without the page's ack

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


# ---------------------------------------------------------------------------
# Host and Origin
# ---------------------------------------------------------------------------


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The Host headers this server answers: its loopback names and the host it was given."""
    names = {"127.0.0.1", "localhost", "[::1]", host if ":" not in host else f"[{host}]"}
    return frozenset(f"{n}:{port}" for n in names)


class Guard:
    """ASGI middleware: refuse a foreign Host (DNS rebinding) or Origin (another site)."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str]):
        self.app = app
        self.sessions: Sessions | None = None
        self.hosts = hosts
        self.origins = frozenset(f"http://{h}" for h in hosts)

    def _refusal(self, scope: Scope) -> str | None:
        if sum(len(k) + len(v) for k, v in scope["headers"]) > MAX_HEADER:
            return f"refused: request headers over {MAX_HEADER // 1024} kB"
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if host not in self.hosts:
            return f"refused: Host {host!r} is not this playground's address"
        origin = headers.get("origin")
        must = scope["type"] == "websocket" or scope.get("method") not in ("GET", "HEAD")
        if origin is None and must:
            return "refused: a WebSocket or upload must come from the playground's page"
        if origin is not None and origin not in self.origins:
            return f"refused: Origin {origin!r} is not this playground's page"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        reason = self._refusal(scope)
        if reason is None:
            await self.app(scope, receive, send)
            return
        log.warning("%s %s: %s", scope["type"], scope.get("path"), reason)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": reason[:120]})
            return
        status = 431 if "headers over" in reason else 403
        await PlainTextResponse(reason, status_code=status, headers=SECURITY_HEADERS)(
            scope, receive, send)


# ---------------------------------------------------------------------------
# Static files
# ---------------------------------------------------------------------------


def static_files(root: Path = STATIC) -> dict[str, Path]:
    """URL path -> file, for every file under ``root`` (the only paths ever served)."""
    return {"/" + p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.startswith(".") and "__pycache__" not in p.parts}


def _content_type(path: Path) -> str:
    types = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}
    kind = types.get(path.suffix) or mimetypes.guess_type(path.name)[0] or \
        "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") else kind


# ---------------------------------------------------------------------------
# The application
# ---------------------------------------------------------------------------


@dataclass
class Sessions:
    """The tabs being served, by session id."""

    names: dict[str, list[str]]
    live: dict[str, Session] = field(default_factory=dict)
    outboxes: dict[str, tuple[list[dict[str, Any]], asyncio.Event]] = field(
        default_factory=dict)


def _names() -> dict[str, list[str]]:
    names = library.choices()
    names["data"] = [*CATALOGUE, "csv"]
    return names


def _hello(s: Session) -> dict[str, Any]:
    catalogue = {k: {"label": e.label, "task": e.task, "noise": e.takes_noise,
                     "preset": e.preset} for k, e in CATALOGUE.items()}
    return {"type": "hello", "session": s.id, "catalogue": catalogue, "names": s.names,
            "limits": {"message": MAX_MESSAGE, "upload": MAX_UPLOAD}}


def _dumps(msg: dict[str, Any]) -> str:
    return json.dumps(msg, allow_nan=False, separators=(",", ":"))


def _handle(session: Session, text: str | None) -> list[dict[str, Any]]:
    """The replies to one message; a bad one gets an ``error`` and changes nothing."""
    try:
        return session.handle(parse_message(text, session.names))
    except (BadMessage, library.ChainruleError) as exc:
        return [{"type": "error", "message": str(exc)}]
    except Exception as exc:  # a bug must not end the page's session
        log.exception("message failed")
        return [{"type": "error", "message": f"internal error: {type(exc).__name__}: {exc}"}]


def _frame(session: Session) -> dict[str, Any]:
    try:
        return session.frame()
    except Exception as exc:  # a bug must not silence the page
        log.exception("frame failed")
        session.playing = False
        return {"type": "error", "message": f"internal error: {type(exc).__name__}: {exc}"}


async def _pump(ws: WebSocket, session: Session, outbox: list[dict[str, Any]],
                wake: asyncio.Event) -> None:
    """The one sender of a tab: queued replies, training slices and frames."""
    sent_at = 0.0
    dirty = True
    while True:
        while outbox:
            await ws.send_text(_dumps(outbox.pop(0)))
            dirty = True
        stale = time.monotonic() - sent_at > ACK_TIMEOUT
        if dirty and session.run is not None and (session.frame_wanted or stale):
            dirty = False
            sent_at = time.monotonic()
            await ws.send_text(_dumps(_frame(session)))
        if session.busy:
            try:
                outbox += session.train_slice()
            except Exception as exc:
                log.exception("training failed")
                session.playing = False
                outbox.append({"type": "error", "message": f"training failed: {exc}"})
            dirty = True
            await asyncio.sleep(0)  # the tab's messages (its acks) are read between slices
            continue
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), ACK_TIMEOUT if dirty else None)


async def _tab(ws: WebSocket) -> None:
    sessions: Sessions = ws.app.state.sessions
    if len(sessions.live) >= MAX_SESSIONS:
        await ws.close(code=1013, reason="too many playground tabs are open")
        return
    await ws.accept()
    session = Session(sessions.names)
    outbox, wake = [_hello(session)], asyncio.Event()
    sessions.live[session.id] = session
    sessions.outboxes[session.id] = (outbox, wake)
    pump = asyncio.create_task(_pump(ws, session, outbox, wake))
    try:
        while not pump.done():
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            outbox += _handle(session, message.get("text"))
            wake.set()
    except WebSocketDisconnect:
        pass
    finally:
        session.playing = False  # closing the page stops its training
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pump
        sessions.live.pop(session.id, None)
        sessions.outboxes.pop(session.id, None)


def _session_of(request: Request) -> Session:
    sessions: Sessions = request.app.state.sessions
    s = sessions.live.get(request.query_params.get("session", ""))
    if s is None:
        raise BadMessage("session: no such page is open (reload the page)")
    return s


async def _body(request: Request) -> bytes:
    """The request's body, refused past :data:`MAX_UPLOAD` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_UPLOAD):
        raise _TooLarge()
    blob = bytearray()
    async for chunk in request.stream():
        blob += chunk
        if len(blob) > MAX_UPLOAD:
            raise _TooLarge()
    return bytes(blob)


class _TooLarge(Exception):
    pass


def _file_name(request: Request, default: str) -> str:
    name = request.query_params.get("name", default)
    return Path(name.replace("\\", "/")).name[:120] or default


async def _upload(request: Request) -> Response:
    try:
        session = _session_of(request)
        blob = await _body(request)
        kind = request.path_params["kind"]
        if kind == "csv":
            return JSONResponse(session.upload_csv(_file_name(request, "data.csv"), blob),
                                headers=SECURITY_HEADERS)
        if kind != "model":
            return _error("upload: expected csv or model", 404)
        replies = session.load_model(_file_name(request, "model.safetensors"), blob)
        outbox, wake = request.app.state.sessions.outboxes[session.id]
        outbox += replies
        wake.set()
        return JSONResponse({"loaded": True}, headers=SECURITY_HEADERS)
    except _TooLarge:
        return _error(f"upload: the file is larger than {MAX_UPLOAD // 2**20} MB", 413)
    except (BadMessage, library.ChainruleError) as exc:
        return _error(str(exc), 400)


def _error(message: str, status: int) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=SECURITY_HEADERS)


async def _download(request: Request) -> Response:
    try:
        session = _session_of(request)
        blob = session.model_file()
    except (BadMessage, library.ChainruleError) as exc:
        return _error(str(exc), 400)
    assert session.run is not None
    # only plain characters in the header: an uploaded file's name could hold anything
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", session.run.data.name)[:60]
    name = f"{stem}-epoch{session.run.epoch}.safetensors"
    return Response(blob, media_type="application/octet-stream", headers={
        **SECURITY_HEADERS, "content-disposition": f'attachment; filename="{name}"'})


def create_app(host: str, port: int) -> Guard:
    """The playground as an ASGI application answering only at ``host:port``.

    Its tabs are ``create_app(...).sessions``.
    """
    files = static_files()

    async def static(request: Request) -> Response:
        path = request.url.path
        file = files.get("/index.html" if path == "/" else path.removeprefix("/static"))
        if file is None or not (path == "/" or path.startswith("/static/")):
            return PlainTextResponse("not found", status_code=404, headers=SECURITY_HEADERS)
        return Response(file.read_bytes(), media_type=_content_type(file),
                        headers=SECURITY_HEADERS)

    app = Starlette(routes=[
        WebSocketRoute("/ws", _tab),
        Route("/api/upload/{kind}", _upload, methods=["POST"]),
        Route("/api/model", _download, methods=["GET"]),
        Route("/{path:path}", static, methods=["GET", "HEAD"]),
    ])
    app.state.sessions = Sessions(_names())
    guard = Guard(app, allowed_hosts(host, port))
    guard.sessions = app.state.sessions
    return guard


# ---------------------------------------------------------------------------
# Running it
# ---------------------------------------------------------------------------


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        # the port is taken or forbidden: --port; the address unknown or not this
        # machine's (socket.gaierror, EADDRNOTAVAIL, ...): --host
        option = "--port" if exc.errno in (errno.EADDRINUSE, errno.EACCES) else "--host"
        raise library.ConfigError(f"{option}: cannot listen on {host}:{port}: "
                                  f"{exc.strerror}") from None
    sock.listen(64)
    return sock


def _server(app: ASGIApp, quiet: bool) -> Any:
    import uvicorn

    config = uvicorn.Config(app, log_config=None, log_level="warning" if quiet else "info",
                            ws="websockets-sansio", ws_max_size=MAX_MESSAGE,
                            ws_per_message_deflate=False, h11_max_incomplete_event_size=MAX_HEADER,
                            limit_concurrency=4 * MAX_SESSIONS, lifespan="off",
                            timeout_graceful_shutdown=2)
    return uvicorn.Server(config)


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def serve(host: str = "127.0.0.1", port: int = 8765, *, open_browser: bool = True,
          on_start: Any = None) -> None:
    """Serve the playground until Ctrl-C; ``port=0`` picks a free port."""
    sock = _bind(host, port)
    url = url_of(sock)
    port = sock.getsockname()[1]
    server = _server(create_app(host, port), quiet=True)
    if on_start is not None:
        on_start(url)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    server.run(sockets=[sock])


@dataclass(frozen=True)
class Served:
    """A playground running in a thread: its address and its tabs."""

    url: str
    sessions: Sessions


@contextlib.contextmanager
def running(host: str = "127.0.0.1", port: int = 0) -> Iterator[Served]:
    """A playground served from a thread for the ``with`` block.

    For tests and benchmarks: it stops when the block ends (and at most 10 s later).
    """
    sock = _bind(host, port)
    url = url_of(sock)
    app = create_app(host, sock.getsockname()[1])
    server = _server(app, quiet=True)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        assert app.sessions is not None
        yield Served(url, app.sessions)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
