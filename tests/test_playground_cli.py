"""``chainrule playground`` as a user starts it: a URL on stderr, the page served, Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest


def test_the_command_serves_the_page_and_stops_on_ctrl_c():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "chainrule", "playground", "--no-browser",
                             "--port", "0"], stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stderr.readline()  # the first line says where; bounded by the timeout below
        match = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert match, line
        with urllib.request.urlopen(match.group(0), timeout=10) as r:
            assert r.status == 200 and b"chainrule" in r.read()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 130  # as every command on Ctrl-C
        assert "error: playground interrupted" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stderr.close()


def test_a_busy_port_is_an_error_naming_it():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "chainrule", "playground", "--no-browser",
                               "--port", str(port)], capture_output=True, text=True, timeout=60)
        assert time.monotonic() - start < 60
    assert done.returncode == 2
    assert f"--port: cannot listen on 127.0.0.1:{port}" in done.stderr


@pytest.mark.parametrize("args", [["--port", "70000"], ["--port", "x"]])
def test_bad_options_are_usage_errors(args):
    done = subprocess.run([sys.executable, "-m", "chainrule", "playground", "--no-browser",
                           *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--port" in done.stderr
