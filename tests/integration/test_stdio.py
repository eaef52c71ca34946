"""The installed ``finizi-b4b`` command, spawned over stdio the way desktop clients do.

One process, one login, then every other tool; token expiry mid-session;
concurrent calls after expiry; logout. At the end every result and the
server's whole stderr (at DEBUG) are searched for tokens and the password.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from finizi_b4b.config import DEFAULT_TOOLSETS
from finizi_b4b.sandbox import DEMO_ADMIN
from finizi_b4b.tools import TOOLS
from finizi_b4b.tools.messages import NOT_LOGGED_IN
from tests.conftest import body_of, invoice_xml

pytestmark = pytest.mark.anyio

COMMAND = Path(sys.executable).with_name("finizi-b4b")


def server_params(env: dict[str, str], *args: str) -> StdioServerParameters:
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "SYSTEMROOT") if key in os.environ}
    return StdioServerParameters(command=str(COMMAND), args=list(args), env={**base, **env})


def sandbox_env(box) -> dict[str, str]:
    return {
        "FINIZI_API_URL": box.url,
        "FINIZI_PHONE": DEMO_ADMIN.phone,
        "FINIZI_PASSWORD": DEMO_ADMIN.password,
        "FINIZI_B4B_LOG_LEVEL": "DEBUG",
    }


def test_the_command_is_installed():
    assert COMMAND.exists(), f"{COMMAND} is missing: install the project (make test does)"


async def test_one_process_every_tool_expiry_concurrency_logout_and_no_secret_anywhere(
    sandbox, world, tmp_path, era
):
    xml_path = tmp_path / "C26TST.xml"
    xml_path.write_bytes(invoice_xml("C26TST", world.big_tax_id))
    stderr_path = tmp_path / "server.stderr"
    results = []

    async def call(client, tool, arguments=None, *, expect_error: str | None = None):
        result = await client.call_tool(tool, arguments or {})
        results.append(result)
        body = body_of(result)
        if expect_error:
            assert result.is_error and body["code"] == expect_error, body
        else:
            assert not result.is_error, body
        return body

    with stderr_path.open("w") as errlog, anyio.fail_after(60):
        async with Client(
            stdio_client(server_params(sandbox_env(sandbox)), errlog=errlog), mode=era
        ) as client:
            listed = await client.list_tools()
            served = {name for name, tool in TOOLS.items() if tool.toolset in DEFAULT_TOOLSETS}
            assert {tool.name for tool in listed.tools} == served
            await call(client, "whoami")  # signs in by itself with the configured credentials
            await call(client, "login")
            await call(client, "whoami")
            await call(client, "list_entities", {"detailed": True})
            await call(client, "get_entity", {"entity_id": world.big})
            created = await call(
                client,
                "create_entity",
                {"name": "Công ty TNHH Stdio", "tax_id": f"07{uuid.uuid4().int % 10**8:08d}"},
            )
            await call(client, "update_entity", {"entity_id": created["data"]["id"], "address": "Huế"})
            page = await call(client, "list_invoices", {"entity_id": world.big, "page_size": 50})
            await call(
                client, "get_invoice", {"entity_id": world.big, "invoice_id": page["data"]["items"][0]["id"]}
            )
            await call(client, "get_invoice_statistics", {"entity_id": world.big})
            sandbox.expire_access_tokens()  # mid-session: the user must not notice
            refreshes = sandbox.counts["auth.refresh"]
            await call(client, "import_invoice_xml", {"entity_id": world.big, "file_path": str(xml_path)})
            assert sandbox.counts["auth.refresh"] == refreshes + 1
            await call(client, "list_vendors", {"entity_id": world.big})
            await call(client, "get_vendor", {"entity_id": world.big, "tax_id": world.branch["tax_id"]})
            await call(client, "list_products", {"entity_id": world.big, "page_size": 5})
            await call(client, "search_similar_products", {"entity_id": world.big, "query": "mực in"})

            sandbox.expire_access_tokens()
            refreshes = sandbox.counts["auth.refresh"]
            async with anyio.create_task_group() as tg:
                for number in range(1, 11):
                    tg.start_soon(call, client, "list_invoices", {"entity_id": world.big, "page": number})
            assert sandbox.counts["auth.refresh"] == refreshes + 1

            await call(client, "logout")
            after = await call(client, "list_entities", expect_error="not_authenticated")
            assert after["error"] == NOT_LOGGED_IN

    stderr = stderr_path.read_text()
    # the server did log calls and requests, so the search below means something
    assert "tool login: ok" in stderr and "POST /api/v1/auth/refresh -> 200" in stderr
    assert "tool list_entities: not_authenticated" in stderr
    secrets = [DEMO_ADMIN.password, *sandbox.issued_tokens]
    assert len(secrets) > 4
    for result in results:
        text = json.dumps(result.model_dump(mode="json"), ensure_ascii=False)
        for secret in secrets:
            assert secret not in text
    for secret in secrets:
        assert secret not in stderr


async def test_serve_with_the_embedded_sandbox(tmp_path):
    with (tmp_path / "stderr").open("w") as errlog, anyio.fail_after(60):
        params = server_params({}, "serve", "--sandbox")
        async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
            login = body_of(await client.call_tool("login", {}))
            assert login["success"] and login["user"]["email"] == DEMO_ADMIN.email
            entities = body_of(await client.call_tool("list_entities", {}))
            assert entities["data"]["total"] >= 3
    assert "embedded sandbox API at http://127.0.0.1:" in (tmp_path / "stderr").read_text()


async def test_the_protocol_stream_stays_clean_when_the_api_is_down(tmp_path):
    """Nothing but JSON-RPC on stdout, even when every call fails."""
    env = {
        "FINIZI_API_URL": "http://127.0.0.1:9",
        "FINIZI_PHONE": "0909000000",
        "FINIZI_PASSWORD": "Pw12345@",
    }
    with (tmp_path / "stderr").open("w") as errlog, anyio.fail_after(60):
        async with Client(stdio_client(server_params(env), errlog=errlog), mode="legacy") as client:
            body = body_of(await client.call_tool("login", {}))
            assert body["code"] == "backend_unavailable"
    assert "Pw12345@" not in (tmp_path / "stderr").read_text()


STRAY_SERVER = """
import os, sys
import anyio
import mcp.types as types
from mcp.server.lowlevel import Server
from finizi_b4b.stdio import serve_stdio

async def list_tools(ctx, params):
    return types.ListToolsResult(tools=[types.Tool(name="noisy", input_schema={"type": "object"})])

async def call_tool(ctx, params):
    print("stray print")
    sys.stdout.flush()
    os.write(1, b"stray write\\n")
    return types.CallToolResult(content=[types.TextContent(text="x" * 300_000)])

anyio.run(serve_stdio, Server("noisy", on_list_tools=list_tools, on_call_tool=call_tool))
"""


async def test_stray_output_misses_the_wire_and_large_messages_arrive_whole(tmp_path):
    """While serving, fd 1 points at stderr: a print() or a write to fd 1 in a library cannot tear a
    message; the wire is a private descriptor, written one whole message at a time."""
    script = tmp_path / "noisy.py"
    script.write_text(STRAY_SERVER)
    errors = tmp_path / "stderr.txt"
    params = StdioServerParameters(command=sys.executable, args=[str(script)], env=dict(os.environ))
    with errors.open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
            for _ in range(3):
                result = await client.call_tool("noisy", {})
                assert result.content[0].text == "x" * 300_000
    assert errors.read_text().count("stray print") == 3
    assert errors.read_text().count("stray write") == 3
