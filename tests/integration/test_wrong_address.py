"""Pointed at the wrong API: the embedded sandbox with real credentials, or an address that is no API at
all. Each says what it is, instead of "try again later" or blaming the credentials alone."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from finizi_b4b.sandbox import DEMO_ACCOUNTANT, DEMO_ADMIN
from tests.conftest import body_of

pytestmark = pytest.mark.anyio

REAL = {"FINIZI_PHONE": "+84912345678", "FINIZI_PASSWORD": "a-real-password-9"}
WHOAMI = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}


def test_the_sandbox_with_real_credentials_says_it_knows_only_its_demo_accounts(raw_server):
    server = raw_server("serve", "--sandbox", env=REAL)
    assert server.initialize() is not None
    answer = server.request(WHOAMI, timeout=15)
    code, stderr = server.finish()
    assert answer is not None and answer["result"]["isError"] is True
    text = answer["result"]["content"][0]["text"]
    body = json.loads(text)
    assert body["code"] == "configured_credentials_refused"
    assert "embedded sandbox (serve --sandbox), which knows only its demo accounts" in body["error"]
    assert DEMO_ADMIN.phone in body["error"] and DEMO_ACCOUNTANT.phone in body["error"]
    assert "Unset both and restart" in body["error"]
    # said at start too, in the client's log
    assert "the embedded sandbox knows only its demo accounts" in stderr
    for secret in (REAL["FINIZI_PASSWORD"], DEMO_ADMIN.password, DEMO_ACCOUNTANT.password):
        assert secret not in text and secret not in stderr
    assert code == 0


def test_the_sandbox_without_credentials_signs_in_as_the_demo_administrator(raw_server):
    server = raw_server("serve", "--sandbox")
    assert server.initialize() is not None
    answer = server.request(WHOAMI, timeout=15)
    _, stderr = server.finish()
    assert answer is not None and answer["result"]["isError"] is False
    assert DEMO_ADMIN.phone in answer["result"]["content"][0]["text"]
    assert "knows only its demo accounts" not in stderr


class _PlainWebServer(http.server.SimpleHTTPRequestHandler):
    """What ``python -m http.server`` answers: files for GET, 501 for any other method."""

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def plain_web_server(tmp_path):
    def handler(*args, **kwargs):
        return _PlainWebServer(*args, directory=str(tmp_path), **kwargs)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


async def test_a_plain_web_server_does_not_look_like_the_finizi_api(connect, plain_web_server, era):
    async with connect(era, api_url=plain_web_server) as client:
        signed = body_of(await client.call_tool("whoami", {}))
        login = body_of(await client.call_tool("login", {}))
    for body in (signed, login):
        assert body["code"] == "backend_error", body
        assert (
            "answered HTTP 501" in body["error"] and "it does not look like the Finizi API" in body["error"]
        )
        assert "Check FINIZI_API_URL" in body["error"] and "Try again later" not in body["error"]
        assert body.get("retryable") is not True
