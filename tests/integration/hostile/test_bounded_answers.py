"""API answers are bounded: over 20 MB is a bad_response, never unbounded memory.

A loopback backend streams a body past the cap (chunked, no length given), or
announces a length past it and then stalls: the announced length alone must
end the call, without waiting for a body that never comes.
"""

from __future__ import annotations

import anyio
import pytest
from aiohttp import web
from mcp import Client

from finizi_b4b.api.aiohttp_transport import AiohttpTransport
from finizi_b4b.api.client import B4BClient
from finizi_b4b.api.errors import ApiError
from finizi_b4b.api.models import TokenPair
from finizi_b4b.api.sansio import decode
from finizi_b4b.api.transport import MAX_ANSWER_BYTES, ApiResponse
from finizi_b4b.config import Settings
from finizi_b4b.errors import ErrorCode
from finizi_b4b.server import build_server
from finizi_b4b.session import SessionStore
from tests.conftest import body_of

from .loopback import served

pytestmark = pytest.mark.anyio

CHUNK = b"[" + b"0," * (512 * 1024 - 1)  # 1 MB of a JSON array that never ends


def huge_backend(sent: list[int], stall: anyio.Event | None = None) -> web.Application:
    async def login(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for _ in range(64):  # up to 64 MB, if the client kept reading
            await resp.write(CHUNK)
            sent[0] += len(CHUNK)
        return resp

    async def me(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        resp.content_length = 25 * 1024 * 1024
        await resp.prepare(request)
        await resp.write(b"{")
        if stall is not None:
            with anyio.move_on_after(30):
                await stall.wait()  # the rest never comes (until the test ends)
        return resp

    app = web.Application()
    app.router.add_post("/api/v1/auth/login", login)
    app.router.add_get("/api/v1/users/me", me)
    return app


async def test_a_streamed_answer_over_the_cap_is_a_bad_response() -> None:
    sent = [0]
    async with served(huge_backend(sent)) as url:
        server = build_server(Settings(api_url=url, phone="+84909495665", password="long-enough-Pa55"))
        async with Client(server) as client:
            with anyio.fail_after(20):
                body = body_of(await client.call_tool("login", {}))
    assert body["code"] == "bad_response" and "20 MB" in body["error"]
    assert sent[0] < 40 * 1024 * 1024  # reading stopped soon after the cap


async def test_an_announced_length_over_the_cap_is_refused_before_reading() -> None:
    stall = anyio.Event()
    async with served(huge_backend([0], stall)) as url:
        client = B4BClient(AiohttpTransport(url, total_timeout=20), SessionStore())
        client.session.start(TokenPair("tok-access-abcdef"))
        try:
            with anyio.fail_after(5), pytest.raises(ApiError) as err:  # far less than the stall
                await client.me()
        finally:
            stall.set()
            await client.aclose()
    assert err.value.code == ErrorCode.BAD_RESPONSE and err.value.reason == "too_large"


def test_an_oversized_body_from_any_transport_is_refused() -> None:
    # A replayed cassette does not go through the aiohttp cap; decode checks too.
    body = b" " * (MAX_ANSWER_BYTES + 1)
    with pytest.raises(ApiError) as err:
        decode(ApiResponse(200, {"content-type": "application/json"}, body))
    assert err.value.reason == "too_large"
