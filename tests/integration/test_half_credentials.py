"""Only one of FINIZI_PHONE and FINIZI_PASSWORD set: every tool that needs a session says which setting
is missing and where it goes, rather than inviting the model to ask for a password in the chat."""

from __future__ import annotations

import json

import pytest

from finizi_b4b.sandbox import DEMO_ADMIN
from tests.conftest import body_of

pytestmark = pytest.mark.anyio

HALVES = [
    pytest.param({"phone": None}, "FINIZI_PHONE", id="only-the-password"),
    pytest.param({"password": None}, "FINIZI_PASSWORD", id="only-the-phone"),
]


@pytest.mark.parametrize(("change", "missing"), HALVES)
async def test_tools_name_the_missing_setting(connect, sandbox, world, era, change, missing):
    before = sandbox.counts.get("auth.login", 0)
    async with connect(era, **change) as client:
        bodies = [
            body_of(await client.call_tool("whoami", {})),
            body_of(await client.call_tool("list_invoices", {"entity_id": world.big})),
            body_of(await client.call_tool("login", {})),
        ]
        signed = body_of(
            await client.call_tool("login", {"phone": DEMO_ADMIN.phone, "password": DEMO_ADMIN.password})
        )
    for body in bodies:
        assert body["code"] == "missing_credentials", body
        assert f"but {missing} is not, so the server cannot sign in" in body["error"]
        assert "Never ask the user for the password in the chat" in body["error"]
        assert "Please login first" not in body["error"]
        assert DEMO_ADMIN.password not in json.dumps(body)
    assert signed["success"] is True  # login with both in its arguments still works
    assert sandbox.counts.get("auth.login", 0) == before + 1  # no sign-in was tried with half


async def test_with_neither_set_the_usual_words_stay(connect, era):
    async with connect(era, phone=None, password=None) as client:
        body = body_of(await client.call_tool("whoami", {}))
    assert body["code"] == "not_authenticated" and "Please login first" in body["error"]


def test_over_stdio_only_the_password_names_the_phone(raw_server):
    server = raw_server("serve", env={"FINIZI_PASSWORD": "only-this-half"})
    assert server.initialize() is not None
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}
    answer = server.request(call, timeout=10)
    assert answer is not None and answer["result"]["isError"] is True
    body = json.loads(answer["result"]["content"][0]["text"])
    assert body["code"] == "missing_credentials"
    assert "FINIZI_PASSWORD is set in this server's configuration but FINIZI_PHONE is not" in body["error"]
    assert "only-this-half" not in answer["result"]["content"][0]["text"]
