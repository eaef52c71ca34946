"""Ctrl-C, a closed stdout and a terminal on stdin, with the installed command as a subprocess.

The SDK read stdin in a worker thread that cannot be interrupted, so the
server ignored SIGINT until the next line came (``make serve`` looked stuck),
and a closed stdout left it waiting the same way.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import selectors
import signal
import socket
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from finizi_b4b.sandbox import DEMO_ADMIN

COMMAND = Path(sys.executable).with_name("finizi-b4b")


def assert_clean(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert "Exception ignored" not in stderr, stderr


def test_sigint_while_idle_ends_the_server_at_once(raw_server):
    server = raw_server("serve")
    assert server.initialize() is not None
    server.proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    code = server.proc.wait(10)
    assert time.monotonic() - started < 5, "SIGINT was not acted on at once"
    assert code == 130
    assert_clean(server.finish()[1])


def test_sigint_during_a_call_ends_the_server_at_once(raw_server):
    """The call waits on an API that accepted the connection and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        env = {
            "FINIZI_API_URL": f"http://127.0.0.1:{port}",
            "FINIZI_PHONE": DEMO_ADMIN.phone,
            "FINIZI_PASSWORD": DEMO_ADMIN.password,
        }
        server = raw_server("serve", env=env)
        assert server.initialize() is not None
        server.send('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"login","arguments":{}}}')
        silent.settimeout(20)
        connection, _ = silent.accept()  # the call is now in flight
        with connection:
            server.proc.send_signal(signal.SIGINT)
            started = time.monotonic()
            code = server.proc.wait(10)
            assert time.monotonic() - started < 5, "SIGINT was not acted on at once"
    assert code == 130
    stderr = server.finish()[1]
    assert_clean(stderr)
    assert DEMO_ADMIN.password not in stderr


def test_a_closed_stdout_ends_the_server_without_a_traceback(raw_server):
    server = raw_server("serve")
    assert server.initialize() is not None
    server.proc.stdout.close()  # the client stops reading
    with contextlib.suppress(BrokenPipeError):
        server.send('{"jsonrpc": "2.0", "id": 1, "method": "ping"}')
    code = server.proc.wait(10)
    assert code == 0
    stderr = server.finish()[1]
    assert_clean(stderr)
    assert "closed the server's stdout" in stderr


def read_until(fd: int, wanted: str, timeout: float) -> str:
    """What ``fd`` gives until ``wanted`` appears, or ``timeout`` seconds have passed."""
    seen = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while wanted.encode() not in seen and time.monotonic() < deadline:
            if selector.select(max(0.0, deadline - time.monotonic())):
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                seen += chunk
    return seen.decode("utf-8", "replace")


@pytest.mark.parametrize("args", [["serve"], ["serve", "--sandbox"]], ids=["serve", "make-serve"])
def test_in_a_terminal_it_says_what_it_is_for_and_ctrl_c_stops_it(args):
    """stdin is a terminal that the server controls, as in `make serve`; Ctrl-C is typed on it."""
    controller, terminal = pty.openpty()

    def own_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    proc = subprocess.Popen(
        [str(COMMAND), *args],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**env, "FINIZI_API_URL": "http://127.0.0.1:9"},
        preexec_fn=own_terminal,  # a controlling terminal can only be taken in the child
    )
    os.close(terminal)
    try:
        stderr = read_until(proc.stderr.fileno(), "serving on stdio", timeout=30)
        assert "meant to be started by an MCP client" in stderr, stderr
        assert "finizi-b4b demo" in stderr
        assert "npx @modelcontextprotocol/inspector finizi-b4b serve --sandbox" in stderr
        os.write(controller, b"\x03")  # Ctrl-C, as typed
        started = time.monotonic()
        code = proc.wait(10)
        assert time.monotonic() - started < 5, "Ctrl-C was not acted on at once"
        assert code == 130
        assert_clean(stderr + proc.stderr.read().decode("utf-8", "replace"))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        os.close(controller)
        proc.stdout.close()
        proc.stderr.close()
