"""The wiring: one registration table that matches the schema files, "unknown tool" decided in one place,
a typed request context, and a write retried after a refresh that carries its key and acts once."""

from __future__ import annotations

import inspect
import typing
import uuid
from pathlib import Path

import aiohttp
import pytest
from mcp import Client
from mcp.server import ServerRequestContext

import finizi_b4b.tools.base as base
from finizi_b4b.router import ToolRouter
from finizi_b4b.runtime import Runtime
from finizi_b4b.sandbox import DEMO_ADMIN
from finizi_b4b.schemas import load_definitions
from finizi_b4b.server import build_server
from finizi_b4b.tools import TOOLS, Handler
from tests.conftest import body_of, settings_for

pytestmark = pytest.mark.anyio

PACKAGE = Path(__file__).resolve().parents[2] / "finizi_b4b"
API = "/api/v1"


# -- one table ---------------------------------------------------------------------------------------


def test_the_table_and_the_schema_files_name_the_same_tools():
    assert set(TOOLS) == set(load_definitions())


def test_every_row_names_a_method_of_a_handler_class():
    for name, tool in TOOLS.items():
        cls = tool.handler_class()
        assert issubclass(cls, Handler), name
        assert inspect.iscoroutinefunction(getattr(cls, tool.method)), f"{name}: {cls.__name__}.{tool.method}"


def test_handlers_are_not_found_by_scanning_for_a_marker():
    assert not hasattr(base, "tool") and not hasattr(Handler, "tool_methods")
    for tool in TOOLS.values():
        assert not hasattr(getattr(tool.handler_class(), tool.method), "__tool_name__")
    sources = [path.read_text(encoding="utf-8") for path in (PACKAGE / "tools").glob("*.py")]
    assert not [s for s in sources if "@tool(" in s]


# -- unknown tool --------------------------------------------------------------------------------------


def test_unknown_tool_is_decided_in_one_place():
    users = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if "ErrorCode.UNKNOWN_TOOL" in path.read_text(encoding="utf-8")
    ]
    assert users == ["router.py"]


async def test_an_unknown_tool_is_an_error_result_naming_the_tools(connect, era):
    async with connect(era) as client:
        result = await client.call_tool("no_such_tool", {})
    body = body_of(result)
    assert result.is_error and body["code"] == "unknown_tool"
    assert "'no_such_tool'" in body["error"] and "list_entities" in body["error"]


# -- the typed request context ---------------------------------------------------------------------


def test_the_router_handlers_take_the_typed_request_context():
    for handler in (ToolRouter.call_tool, ToolRouter.list_tools):
        assert typing.get_type_hints(handler)["ctx"] == ServerRequestContext[Runtime]


async def test_each_call_gets_a_request_context_holding_the_connections_runtime(sandbox):
    router = ToolRouter()
    seen: list[object] = []
    routed = router.call_tool

    async def spy(ctx, params):
        seen.append(ctx)
        return await routed(ctx, params)

    router.call_tool = spy  # type: ignore[method-assign]
    async with Client(build_server(settings_for(sandbox), router=router), mode="legacy") as client:
        assert not (await client.call_tool("whoami", {})).is_error
        assert not (await client.call_tool("whoami", {})).is_error
    assert len(seen) == 2 and all(isinstance(ctx, ServerRequestContext) for ctx in seen)
    first, second = (ctx.lifespan_context for ctx in seen)  # type: ignore[attr-defined]
    assert isinstance(first, Runtime) and first is second and first.session.signed_in


# -- Idempotency-Key across a refresh ----------------------------------------------------------------


async def test_a_write_retried_after_a_refresh_takes_a_new_key_and_acts_once(connect, sandbox):
    name = f"Công ty Làm Mới {uuid.uuid4().hex[:6]}"
    tax_id = f"03{uuid.uuid4().int % 10**8:08d}"
    async with connect() as client:
        assert not (await client.call_tool("whoami", {})).is_error
        sandbox.expire_access_tokens()
        sandbox.clear_seen()
        result = await client.call_tool("create_entity", {"name": name, "tax_id": tax_id})
    assert not result.is_error, body_of(result)
    posts = [r for r in sandbox.seen if r.method == "POST" and r.path == f"{API}/entities"]
    assert len(posts) == 2, posts  # the 401, then the retry with the refreshed token
    keys = {r.headers.get("idempotency-key") for r in posts}
    # The backend binds a key to its first attempt (the 401): the retry needs a key of its own.
    assert len(keys) == 2 and None not in keys, keys
    assert [e for e in sandbox.state.entities.values() if e["name"] == name] != []
    assert len([e for e in sandbox.state.entities.values() if e["name"] == name]) == 1


async def test_the_sandbox_binds_a_key_to_its_first_attempt(sandbox):
    body = {"name": f"Công ty Khóa {uuid.uuid4().hex[:6]}", "tax_id": f"03{uuid.uuid4().int % 10**8:08d}"}
    key = str(uuid.uuid4())
    async with aiohttp.ClientSession(base_url=sandbox.url) as http:
        credentials = {"phone": DEMO_ADMIN.phone, "password": DEMO_ADMIN.password}
        async with http.post(f"{API}/auth/login", json=credentials) as signed_in:
            token = (await signed_in.json())["access_token"]

        async def create(bearer: str) -> tuple[int, str | None]:
            headers = {"Idempotency-Key": key, "Authorization": f"Bearer {bearer}"}
            async with http.post(f"{API}/entities", json=body, headers=headers) as answer:
                return answer.status, answer.headers.get("Idempotent-Replayed")

        assert await create("not-a-token") == (401, None)
        # The key is bound to its first attempt: the 401 comes back, and nothing is done.
        assert await create(token) == (401, "true")
        key = str(uuid.uuid4())
        assert await create(token) == (201, None)  # a new key acts
        assert await create(token) == (201, "true")  # and its answer is replayed
    assert len([e for e in sandbox.state.entities.values() if e["name"] == body["name"]]) == 1
