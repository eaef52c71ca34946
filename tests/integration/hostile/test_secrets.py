"""No secret goes where it should not: redirects, echoed passwords, 5xx bodies.

The "backend" here is a small loopback aiohttp app; a second one plays the
other origin a redirect points to, and records whatever reaches it.
"""

from __future__ import annotations

import json
import logging

import pytest
from aiohttp import web
from mcp import Client

from finizi_b4b.config import Settings
from finizi_b4b.server import build_server
from tests.conftest import body_of

from .loopback import served

pytestmark = pytest.mark.anyio

PHONE = "+84909495665"
PASSWORD = "long-enough-Pa55"
TOKEN = "tok-access-abcdef"


def other_origin(got: list) -> web.Application:
    async def anything(request: web.Request) -> web.Response:
        got.append((request.method, request.path, dict(request.headers), await request.read()))
        return web.json_response({"access_token": "stolen", "id": "u1"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", anything)
    return app


def backend(*, login_redirect: str | None = None, me_redirect: str | None = None) -> web.Application:
    async def login(request: web.Request) -> web.Response:
        if login_redirect:
            raise web.HTTPTemporaryRedirect(login_redirect)
        return web.json_response({"access_token": TOKEN, "refresh_token": "tok-refresh-abcdef"})

    async def me(request: web.Request) -> web.Response:
        if me_redirect:
            raise web.HTTPTemporaryRedirect(me_redirect)
        return web.json_response({"id": "u1", "email": "admin@finizi.ai"})

    async def me_moved(request: web.Request) -> web.Response:
        assert request.headers.get("Authorization") == f"Bearer {TOKEN}"
        return web.json_response({"id": "u1", "email": "moved@finizi.ai"})

    app = web.Application()
    app.router.add_post("/api/v1/auth/login", login)
    app.router.add_get("/api/v1/users/me", me)
    app.router.add_get("/api/v1/users/me-moved", me_moved)
    return app


async def tool(url: str, name: str, arguments: dict | None = None, *, login: bool = True) -> dict:
    server = build_server(Settings(api_url=url, phone=PHONE, password=PASSWORD))
    async with Client(server) as client:
        if login:
            assert not (await client.call_tool("login", {})).is_error
        return body_of(await client.call_tool(name, arguments or {}))


async def test_a_login_redirect_is_not_followed_even_to_the_same_origin() -> None:
    got: list = []
    async with served(other_origin(got)) as elsewhere:
        async with served(backend(login_redirect=f"{elsewhere}/api/v1/auth/login")) as url:
            body = await tool(url, "login", login=False)
        assert body["code"] == "bad_response" and "redirect" in body["error"]
        assert got == []  # the password never left for the other host
        async with served(backend(login_redirect="/api/v1/auth/login-again")) as url:
            body = await tool(url, "login", login=False)
        assert body["code"] == "bad_response"


async def test_a_redirect_to_another_origin_is_never_followed() -> None:
    got: list = []
    async with (
        served(other_origin(got)) as elsewhere,
        served(backend(me_redirect=f"{elsewhere}/api/v1/users/me")) as url,
    ):
        body = await tool(url, "login", login=False)  # login checks the token with /users/me
    assert body["code"] == "bad_response" and "redirect" in body["error"]
    assert got == []  # not even a request without the token
    # the other origin on another port of the same host is another origin too
    async with (
        served(other_origin(got)) as elsewhere,
        served(backend(me_redirect=elsewhere.replace("127.0.0.1", "localhost") + "/x")) as url,
    ):
        body = await tool(url, "login", login=False)
    assert body["code"] == "bad_response" and got == []


async def test_a_redirect_within_the_origin_is_followed_with_the_session() -> None:
    async with served(backend(me_redirect="/api/v1/users/me-moved")) as url:
        body = await tool(url, "whoami")
    assert body["success"] and body["user"]["email"] == "moved@finizi.ai"


@pytest.mark.parametrize("password", ["q7z", "x", "Ab3!", "12345"])
async def test_a_password_echoed_by_the_backend_is_redacted_whatever_its_length(password) -> None:
    async def login(request: web.Request) -> web.Response:
        sent = (await request.json())["password"]
        return web.json_response({"detail": f"Wrong password {sent} for this phone"}, status=401)

    app = web.Application()
    app.router.add_post("/api/v1/auth/login", login)
    async with served(app) as url:
        body = await tool(url, "login", {"phone": PHONE, "password": password}, login=False)
    assert body["code"] == "invalid_credentials"
    assert "Wrong password" in body["api_detail"] and "for this phone" in body["api_detail"]
    assert password not in body["api_detail"].replace("[REDACTED]", "")
    assert password not in body["error"].replace("[REDACTED]", "")


async def test_a_short_password_does_not_redact_ordinary_words() -> None:
    from finizi_b4b.api.redact import Redactor

    quiet = Redactor(["an"])
    assert quiet.text("an answer and an invoice") == "[REDACTED] answer and [REDACTED] invoice"
    assert json.loads(quiet.text('{"an": "an", "ok": true, "n": "banana"}')) == {
        "an": "[REDACTED]",
        "ok": True,
        "n": "banana",
    }


async def test_a_5xx_body_is_never_shown_and_a_digest_is_logged(caplog) -> None:
    leak = "OperationalError: could not connect to postgresql://b4b:hunter2-prod@10.0.0.7/b4b"

    async def me(request: web.Request) -> web.Response:
        return web.json_response({"detail": leak}, status=500)

    async def login(request: web.Request) -> web.Response:
        return web.json_response({"access_token": TOKEN, "refresh_token": "tok-refresh-abcdef"})

    app = web.Application()
    app.router.add_post("/api/v1/auth/login", login)
    app.router.add_get("/api/v1/users/me", me)
    caplog.set_level(logging.INFO, logger="finizi_b4b")
    async with served(app) as url:
        body = await tool(url, "login", login=False)
    assert body["code"] == "backend_error" and "HTTP 500" in body["error"]
    assert "postgresql" not in body["error"] and "hunter2" not in body["error"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "hunter2" not in logged and "postgresql" not in logged
    digest = [r.getMessage() for r in caplog.records if "sha256" in r.getMessage()]
    assert digest and "HTTP 500" in digest[0] and f"{len(json.dumps({'detail': leak}))} bytes" in digest[0]
