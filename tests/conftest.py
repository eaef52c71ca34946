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


@pytest.fixture
def world(sandbox) -> World:
    return World(sandbox)


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
    async def open_client(mode: str = "legacy", **changes):
        server = build_server(settings_for(sandbox, **changes))
        async with Client(server, mode=mode) as client:
            yield client

    return open_client


def invoice_xml(
    series: str, buyer_tax_id: str, *, seller_tax_id: str = "0305556667", number: str | None = None
) -> bytes:
    """A complete national-format e-invoice bought by ``buyer_tax_id``, numbered uniquely unless told."""
    import datetime as dt
    import uuid

    from finizi_b4b.einvoice_xml import build_einvoice_xml

    return build_einvoice_xml(
        series=series,
        number=number or str(uuid.uuid4().int % 10**7),
        issue_date=dt.date(2026, 5, 20),
        seller={
            "name": "Công ty TNHH Giấy Sài Gòn",
            "tax_id": seller_tax_id,
            "address": "Quận 7, TP. Hồ Chí Minh",
        },
        buyer={"name": "Sao Việt", "tax_id": buyer_tax_id},
        lines=[{"name": "Giấy in A4", "unit": "ram", "quantity": 20, "unit_price": 78_000, "vat_rate": 10}],
    )
