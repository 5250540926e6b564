"""The playground's server against hostile requests: foreign Host or Origin, oversize
bodies and messages, paths out of its folder, malformed messages, many connections.

Each test talks to a real server on 127.0.0.1 (a random free port) over TCP.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import time
from urllib.parse import urlsplit

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from chainrule.playground.server import MAX_MESSAGE, MAX_UPLOAD, running
from playground_support import receive_until


@pytest.fixture(scope="module")
def served():
    with running() as s:
        yield s


def address(served):
    parts = urlsplit(served.url)
    return parts.hostname, parts.port


def request(served, method, path, *, host=None, origin=None, body=None, headers=()):
    h, port = address(served)
    conn = http.client.HTTPConnection(h, port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", f"{h}:{port}" if host is None else host)
        if origin is not None:
            conn.putheader("Origin", origin)
        for k, v in headers:
            conn.putheader(k, v)
        if body is not None and not any(k.lower() == "transfer-encoding" for k, _ in headers):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if body is not None:
            conn.send(body)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def own_origin(served):
    return served.url.rstrip("/")


def open_tab(served, **kw):
    ws_url = served.url.replace("http://", "ws://") + "ws"
    return connect(ws_url, origin=kw.pop("origin", own_origin(served)), proxy=None,
                   open_timeout=10, close_timeout=2, **kw)


def test_the_page_is_served_with_a_strict_policy(served):
    status, body = request(served, "GET", "/")
    assert status == 200 and b"chainrule" in body
    h, port = address(served)
    conn = http.client.HTTPConnection(h, port, timeout=10)
    conn.request("GET", "/static/js/main.js")
    r = conn.getresponse()
    assert r.status == 200 and r.getheader("content-type").startswith("text/javascript")
    assert "default-src 'none'" in r.getheader("content-security-policy")
    assert r.getheader("x-content-type-options") == "nosniff"
    conn.close()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1:1",
                                  "localhost.evil.example", "", "127.0.0.1"])
def test_a_foreign_host_is_refused(served, host):
    _, port = address(served)
    host = host if host != "evil.example:80" else f"evil.example:{port}"
    status, body = request(served, "GET", "/", host=host)
    assert status == 403 and b"refused: Host" in body


def test_the_loopback_names_are_accepted(served):
    _, port = address(served)
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        assert request(served, "GET", "/", host=host)[0] == 200


def test_a_websocket_with_a_foreign_host_is_refused(served):
    """A raw handshake: a page on a rebound DNS name would send its own name as Host."""
    h, port = address(served)
    with socket.create_connection((h, port), timeout=10) as s:
        s.sendall((f"GET /ws HTTP/1.1\r\nHost: rebind.example:{port}\r\n"
                   f"Origin: http://rebind.example:{port}\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        reply = s.recv(4096)
    assert reply.startswith(b"HTTP/1.1 403")


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "https://127.0.0.1",
                                    "http://127.0.0.1:1", None])
def test_a_websocket_from_another_origin_is_refused(served, origin):
    with pytest.raises(InvalidStatus) as info:
        open_tab(served, origin=origin)
    assert info.value.response.status_code == 403


def test_an_upload_from_another_origin_is_refused(served):
    status, body = request(served, "POST", "/api/upload/csv?session=x", body=b"a,b\n1,2\n",
                           origin="http://evil.example")
    assert status == 403 and b"refused: Origin" in body
    status, body = request(served, "POST", "/api/upload/csv?session=x", body=b"a,b\n1,2\n")
    assert status == 403  # no Origin: not from the page


def test_an_oversize_upload_is_refused(served):
    with open_tab(served) as ws:
        session = receive_until(ws, "hello")["session"]
        big = b"a,b\n" + b"1,2\n" * (MAX_UPLOAD // 4 + 1)
        status, body = request(served, "POST", f"/api/upload/csv?session={session}", body=big,
                               origin=own_origin(served))
        assert status == 413 and b"larger than" in body
        # streamed without a length: cut off at the cap all the same
        chunk = b"1,2\n" * 65536
        h, port = address(served)
        conn = http.client.HTTPConnection(h, port, timeout=20)
        conn.putrequest("POST", f"/api/upload/csv?session={session}")
        conn.putheader("Origin", own_origin(served))
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        try:
            for _ in range(MAX_UPLOAD // len(chunk) + 2):
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may stop reading once the cap is passed
        assert conn.getresponse().status == 413
        conn.close()
        # a normal upload still works
        status, body = request(served, "POST", f"/api/upload/csv?session={session}",
                               body=b"a,b,label\n1,2,x\n3,4,y\n", origin=own_origin(served))
        assert status == 200 and json.loads(body)["columns"] == ["a", "b", "label"]


def test_a_hostile_file_name_stays_out_of_the_headers(served):
    with open_tab(served) as ws:
        session = receive_until(ws, "hello")["session"]
        name = "evil%22%0D%0ASet-Cookie:%20x=1%0D%0A.csv"
        status, _ = request(served, "POST", f"/api/upload/csv?session={session}&name={name}",
                            body=b"a,b,label\n1,2,x\n3,4,y\n", origin=own_origin(served))
        assert status == 200
        ws.send(json.dumps({"type": "config", "config": {"data": "csv", "hidden": [2],
                                                         "act": ["tanh"]}}))
        receive_until(ws, "net")
        h, port = address(served)
        conn = http.client.HTTPConnection(h, port, timeout=10)
        conn.request("GET", f"/api/model?session={session}")
        r = conn.getresponse()
        assert r.status == 200 and r.getheader("set-cookie") is None
        disposition = r.getheader("content-disposition")
        assert re.fullmatch(r'attachment; filename="[A-Za-z0-9._-]+"', disposition)
        r.read()
        conn.close()


def test_oversize_request_headers_are_refused(served):
    h, port = address(served)
    with socket.create_connection((h, port), timeout=10) as s:
        s.sendall((f"GET / HTTP/1.1\r\nHost: {h}:{port}\r\nConnection: close\r\n"
                   f"X-Pad: {'x' * 70_000}\r\n\r\n").encode())
        reply = b""
        try:
            while chunk := s.recv(4096):
                reply += chunk
        except ConnectionResetError:
            pass
    assert reply.startswith(b"HTTP/1.1 431") and b"headers over 16 kB" in reply
    assert request(served, "GET", "/")[0] == 200


def test_an_upload_to_no_session_is_refused(served):
    status, body = request(served, "POST", "/api/upload/csv?session=nope", body=b"a\n1\n",
                           origin=own_origin(served))
    assert status == 400 and b"no such page" in body
    status, _ = request(served, "GET", "/api/model?session=nope")
    assert status == 400


@pytest.mark.parametrize("path", [
    "/static/../server.py", "/static/%2e%2e/server.py", "/static/..%2fserver.py",
    "/static/js/../../server.py", "/../../../../etc/passwd", "/static//etc/passwd",
    "/static/%2e%2e/%2e%2e/__init__.py", "/%2e%2e/%2e%2e/pyproject.toml", "/static/",
    "/static/vendor/../../protocol.py", "/index.html/../server.py", "/static/\\..\\server.py",
])
def test_no_path_leaves_the_static_folder(served, path):
    status, body = request(served, "GET", path)
    assert status in (400, 404)
    assert b"import" not in body and b"root:" not in body


def test_an_oversize_message_closes_only_its_socket(served):
    with open_tab(served) as ws:
        receive_until(ws, "hello")
        ws.send(json.dumps({"type": "play", "pad": "x" * (MAX_MESSAGE + 10)}))
        with pytest.raises(ConnectionClosed) as info:
            for _ in range(100):
                ws.recv(timeout=5)
        assert info.value.rcvd is not None and info.value.rcvd.code == 1009
    with open_tab(served) as ws:  # the server goes on
        assert receive_until(ws, "hello")["session"]


MALFORMED = [
    "not json", "[1, 2, 3]", "{}", '{"type": "explode"}', '{"type": "config", "config": 5}',
    '{"type": "config", "config": {"hidden": [1e308]}}', '{"type": "ack", "id": "x"}',
    '{"type": "ledger", "param": "W9[99,99]"}', '{"type": "landscape", "px": "W1[0,0]"}',
    '{"type": "play", "x": NaN}', "[" * 20000 + "]" * 20000, '{"type": "step"}',
    '"\\ud800"', "\x00",
]


def test_malformed_messages_get_an_error_and_the_tab_goes_on(served):
    with open_tab(served) as ws:
        receive_until(ws, "hello")
        for text in MALFORMED:
            ws.send(text)
            error = receive_until(ws, "error")
            assert error["message"] and "internal error" not in error["message"], text
        ws.send(b"\x01\x02binary")
        assert "binary" in receive_until(ws, "error")["message"]
        # the same socket still trains
        ws.send(json.dumps({"type": "config", "config": {"data": "xor", "n": 40}}))
        assert receive_until(ws, "net")["sizes"][0] == 2
        ws.send(json.dumps({"type": "ledger", "param": "W9[0,0]", "example": 0}))
        assert "layer 9" in receive_until(ws, "error")["message"]
        ws.send(json.dumps({"type": "step"}))
        assert receive_until(ws, "status")["epoch"] == 1


def test_fifty_connections_opened_and_closed(served):
    with contextlib.ExitStack() as stack:  # fifty at once
        tabs = [stack.enter_context(open_tab(served)) for _ in range(50)]
        ids = {receive_until(ws, "hello")["session"] for ws in tabs}
        assert len(ids) == 50 and len(served.sessions.live) >= 50
    for _ in range(50):  # opened and closed one after the other
        with open_tab(served) as ws:
            receive_until(ws, "hello")
    deadline = time.monotonic() + 10
    while served.sessions.live and time.monotonic() < deadline:
        time.sleep(0.05)
    assert served.sessions.live == {}
    assert request(served, "GET", "/")[0] == 200
    with open_tab(served) as ws:
        ws.send(json.dumps({"type": "config", "config": {"data": "not"}}))
        assert "softmax needs at least 2 outputs" in receive_until(ws, "error")["message"]
        ws.send(json.dumps({"type": "config", "config": {
            "data": "not", "hidden": [], "act": [], "out": "tanh", "cost": "squared_error"}}))
        assert receive_until(ws, "data")["name"] == "not_gate"
