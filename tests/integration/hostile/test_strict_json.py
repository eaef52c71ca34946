"""Strict JSON out: NaN, Infinity and 1e999 from the backend never reach a result.

The choice (see ``finizi_b4b.api.sansio``): an answer holding a non-finite
number is refused as ``bad_response``; no value is made up in its place.
"""

from __future__ import annotations

import json

import pytest
from aiohttp import web
from mcp import Client

from finizi_b4b.config import Settings
from finizi_b4b.errors import ToolError
from finizi_b4b.results import success
from finizi_b4b.server import build_server
from tests.conftest import body_of

from .loopback import served

pytestmark = pytest.mark.anyio

EID = "3f2b8c1e-9a4d-4e7b-8c21-5d6f7a8b9c0d"
INVOICE = "0b6c2d1e-4f5a-4b7c-8d9e-0f1a2b3c4d5e"


def _refuse(constant: str):
    raise ValueError(f"{constant} in a result")


def strict_loads(text: str):
    return json.loads(text, parse_constant=_refuse)


def backend(total: str) -> web.Application:
    async def login(request: web.Request) -> web.Response:
        return web.json_response({"access_token": "tok-access-abcdef", "refresh_token": "tok-refresh-abcdef"})

    async def me(request: web.Request) -> web.Response:
        return web.json_response({"id": "u1", "email": "admin@finizi.ai"})

    async def invoice(request: web.Request) -> web.Response:
        text = f'{{"id": "{INVOICE}", "invoice_series": "C26TAA", "total_amount": {total}}}'
        return web.Response(text=text, content_type="application/json")

    app = web.Application()
    app.router.add_post("/api/v1/auth/login", login)
    app.router.add_get("/api/v1/users/me", me)
    app.router.add_get(f"/api/v1/entities/{EID}/invoices/{INVOICE}", invoice)
    return app


@pytest.mark.parametrize("total", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" + "0" * 400 + ".0"])
async def test_a_non_finite_number_from_the_backend_is_a_bad_response(total) -> None:
    async with served(backend(total)) as url:
        server = build_server(Settings(api_url=url, phone="+84909495665", password="long-enough-Pa55"))
        async with Client(server) as client:
            assert not (await client.call_tool("login", {})).is_error
            result = await client.call_tool("get_invoice", {"entity_id": EID, "invoice_id": INVOICE})
    text = result.content[0].text
    strict_loads(text)
    body = body_of(result)
    assert body["code"] == "bad_response" and "not finite" in body["error"]


async def test_ordinary_numbers_still_pass() -> None:
    async with served(backend("12345678.5")) as url:
        server = build_server(Settings(api_url=url, phone="+84909495665", password="long-enough-Pa55"))
        async with Client(server) as client:
            await client.call_tool("login", {})
            result = await client.call_tool("get_invoice", {"entity_id": EID, "invoice_id": INVOICE})
    assert strict_loads(result.content[0].text)["data"]["total_amount"] == 12345678.5


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_a_result_holding_a_non_finite_number_is_refused(value) -> None:
    with pytest.raises(ToolError) as err:
        success({"data": {"items": [{"amount": value}]}})
    assert err.value.code.value == "bad_response"
