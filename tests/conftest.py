"""Shared pytest configuration."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    # anyio's plugin otherwise parametrises every async test over every installed backend;
    # aiohttp runs on asyncio only.
    return "asyncio"


class _SentRequestWriter:
    """What a sent request's writer reports; aioresponses builds responses for requests never sent."""

    output_size = 0


@pytest.fixture
def http_mock(monkeypatch: pytest.MonkeyPatch):
    """``aioresponses`` working with aiohttp 3.14.

    aiohttp 3.14 added a required ``stream_writer`` argument to ``ClientResponse``
    and aioresponses 0.7.9 does not pass it (pnuckowski/aioresponses#289, open).
    Until a release fixes it, responses are built from a subclass that supplies it.
    Remove this shim once aioresponses does.
    """
    import aiohttp
    import aioresponses.core
    from aioresponses import aioresponses as mocker

    class CompatClientResponse(aiohttp.ClientResponse):
        def __init__(self, method, url, **kwargs):
            kwargs.setdefault("stream_writer", _SentRequestWriter())
            super().__init__(method, url, **kwargs)

    monkeypatch.setattr(aioresponses.core, "ClientResponse", CompatClientResponse)
    with mocker() as mock:
        yield mock


# -- the sandbox and servers connected to it ----------------------------------


@pytest.fixture(scope="session")
def shared_sandbox():
    """One sandbox for the read-mostly tests (each test logs in on its own)."""
    from finizi_b4b.sandbox import Sandbox

    with Sandbox.in_thread(seed=0) as box:
        yield box


@pytest.fixture
def sandbox(shared_sandbox):
    shared_sandbox.clear_faults()
    yield shared_sandbox
    shared_sandbox.clear_faults()


def settings_for(box, **changes):
    from finizi_b4b.config import Settings
    from finizi_b4b.sandbox import DEMO_ADMIN

    values = {"api_url": box.url, "phone": DEMO_ADMIN.phone, "password": DEMO_ADMIN.password, **changes}
    return Settings(**values)


# -- MCP clients connected to the sandbox ---------------------------------------


@pytest.fixture(params=["legacy", "auto"])
def era(request) -> str:
    """Both protocol eras: 2025-11-25 (``initialize`` handshake) and 2026-07-28."""
    return request.param


class World:
    """Ids from the sandbox's demo data that the tests refer to."""

    def __init__(self, box) -> None:
        entities = list(box.state.entities.values())
        self.big, self.accountants, self.third = (e["id"] for e in entities[:3])
        self.big_tax_id = entities[0]["tax_id"]
        self.invoices = box.state.invoices[self.big]
        self.vendors = box.state.vendors[self.big]
        self.branch = next(v for v in self.vendors if v["tax_id"].endswith("-001"))
        self.parent = next(v for v in self.vendors if v["tax_id"] == self.branch["parent_tax_id"])
        self.products = box.state.products[self.big]


@pytest.fixture(scope="module")
def box():
    """A sandbox for one test module, for modules whose tests only read or check their own writes."""
    from finizi_b4b.sandbox import Sandbox

    with Sandbox.in_thread(seed=0) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def lean():
    """The same in minimal mode: only the answers the company's own client is seen to read."""
    from finizi_b4b.sandbox import Sandbox

    with Sandbox.in_thread(seed=0, minimal=True) as sandbox:
        yield sandbox


@pytest.fixture
def world(sandbox) -> World:
    return World(sandbox)


class User:
    """An elicitation callback that answers as told and remembers what it was asked."""

    def __init__(self, action: str) -> None:
        self.action = action
        self.asked: list[str] = []

    async def __call__(self, context, params):
        import mcp.types as types

        self.asked.append(params.message)
        return types.ElicitResult(action=self.action, content={} if self.action == "accept" else None)


def body_of(result) -> dict:
    """The JSON body of a tool result.

    A success carries it twice, as text and as ``structuredContent``, and they must agree;
    an error carries it as text only (its ``outputSchema`` describes successes).
    """
    import json

    text = json.loads(result.content[0].text)
    if result.is_error:
        assert result.structured_content is None
        assert text["success"] is False
        return text
    assert result.structured_content is not None
    assert text == result.structured_content
    return text


@pytest.fixture
def connect(sandbox):
    """``async with connect(mode, **settings) as client`` : an in-process client of a fresh server."""
    import contextlib

    from mcp import Client

    from finizi_b4b.server import build_server

    @contextlib.asynccontextmanager
    async def open_client(mode: str = "legacy", *, elicitation_callback=None, **changes):
        server = build_server(settings_for(sandbox, **changes))
        options = {"elicitation_callback": elicitation_callback} if elicitation_callback else {}
        async with Client(server, mode=mode, **options) as client:
            yield client

    return open_client


def invoice_xml(
    series: str, buyer_tax_id: str, *, seller_tax_id: str = "0305556667", number: str | None = None
) -> bytes:
    """A complete national-format e-invoice bought by ``buyer_tax_id``, numbered uniquely unless told."""
    from finizi_b4b.devtools.samples import sample_invoice_xml

    return sample_invoice_xml(series, buyer_tax_id, seller_tax_id=seller_tax_id, number=number)


# -- the installed command over raw stdio (for what an SDK client cannot send) -----


class RawServer:
    """``finizi-b4b`` as a subprocess spoken to line by line; every wait is bounded."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, stdin=None) -> None:
        import os
        import subprocess
        import sys
        from pathlib import Path

        command = Path(sys.executable).with_name("finizi-b4b")
        base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
        self.proc = subprocess.Popen(
            [str(command), *args],
            stdin=subprocess.PIPE if stdin is None else stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**base, "FINIZI_API_URL": "http://127.0.0.1:9", **(env or {})},
        )

    def send(self, line: str | bytes) -> None:
        data = line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass")
        self.proc.stdin.write(data + b"\n")
        self.proc.stdin.flush()

    def receive(self, timeout: float = 5.0) -> dict | None:
        """The next message the server writes, or None if none comes within ``timeout`` seconds."""
        import json
        import selectors

        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                return None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else None

    def request(self, message: dict, timeout: float = 5.0) -> dict | None:
        import json

        self.send(json.dumps(message))
        return self.receive(timeout)

    def initialize(self) -> dict | None:
        answer = self.request(
            {
                "jsonrpc": "2.0",
                "id": 0,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "raw", "version": "0"},
                },
            },
            timeout=30,
        )
        self.send('{"jsonrpc": "2.0", "method": "notifications/initialized"}')
        return answer

    def finish(self, timeout: float = 10.0) -> tuple[int | None, str]:
        """Close stdin if open, wait for the exit (killing after ``timeout``); the exit code and stderr."""
        import contextlib
        import subprocess

        with contextlib.suppress(OSError, ValueError):
            self.proc.stdin.close()
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            code = None
        return code, self.proc.stderr.read().decode("utf-8", "replace")


@pytest.fixture
def raw_server():
    """``raw_server(*args, env=...)`` starts one; all are ended after the test."""
    started: list[RawServer] = []

    def start(*args: str, **kwargs) -> RawServer:
        started.append(RawServer(*args, **kwargs))
        return started[-1]

    yield start
    for server in started:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(5)
        for stream in (server.proc.stdin, server.proc.stdout, server.proc.stderr):
            if stream is not None:
                stream.close()


# -- scanning recorded text for secrets ------------------------------------------


def string_leaves(value):
    """Every string in a JSON-like value, keys included."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from string_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from string_leaves(item)
    elif isinstance(value, str):
        yield value


def holds_secret(text: str, secret: str) -> bool:
    """``secret`` in ``text``: anywhere when long, as a whole word when short (as the redactor matches)."""
    import re

    if len(secret) >= 6:
        return secret in text
    return re.search(r"(?<!\w)" + re.escape(secret) + r"(?!\w)", text) is not None
