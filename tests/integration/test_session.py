"""One session for the life of the server: it survives calls, expiry and concurrency."""

from __future__ import annotations

import anyio
import pytest

from finizi_b4b.tools.messages import NOT_LOGGED_IN
from tests.conftest import body_of

pytestmark = pytest.mark.anyio


async def test_the_session_survives_every_later_call(connect, era, world):
    # The old bug: a new context per call lost the token after login.
    async with connect(era) as client:
        assert body_of(await client.call_tool("login", {}))["success"]
        for _ in range(5):
            for tool, arguments in (
                ("whoami", {}),
                ("list_entities", {}),
                ("list_invoices", {"entity_id": world.big, "page_size": 5}),
            ):
                result = await client.call_tool(tool, arguments)
                assert not result.is_error, body_of(result)


async def test_token_expiry_is_invisible(connect, era, sandbox, world):
    async with connect(era) as client:
        await client.call_tool("login", {})
        refreshes = sandbox.counts["auth.refresh"]
        sandbox.expire_access_tokens()
        result = await client.call_tool("get_entity", {"entity_id": world.big})
        assert not result.is_error, body_of(result)
        assert sandbox.counts["auth.refresh"] == refreshes + 1
        # the refreshed token keeps working without another refresh
        assert not (await client.call_tool("whoami", {})).is_error
        assert sandbox.counts["auth.refresh"] == refreshes + 1


async def test_ten_concurrent_calls_after_expiry_make_one_refresh(connect, era, sandbox, world):
    async with connect(era) as client:
        await client.call_tool("login", {})
        sandbox.expire_access_tokens()
        refreshes = sandbox.counts["auth.refresh"]
        results = []

        async def one(page: int) -> None:
            results.append(await client.call_tool("list_invoices", {"entity_id": world.big, "page": page}))

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for page in range(1, 11):
                    tg.start_soon(one, page)
        assert len(results) == 10
        assert all(not r.is_error for r in results), [body_of(r) for r in results if r.is_error]
        assert sandbox.counts["auth.refresh"] == refreshes + 1


async def test_a_rejected_refresh_ends_the_session_and_says_log_in_again(connect, sandbox, world):
    async with connect() as client:
        await client.call_tool("login", {})
        sandbox.expire_access_tokens()
        sandbox.state.refresh_tokens.clear()  # as if the refresh token expired too
        result = await client.call_tool("list_vendors", {"entity_id": world.big})
        body = body_of(result)
        assert result.is_error and body["code"] == "session_expired"
        assert "log in again" in body["error"].lower()
        after = body_of(await client.call_tool("whoami", {}))
        assert after["code"] == "not_authenticated" and after["error"] == NOT_LOGGED_IN
        assert body_of(await client.call_tool("login", {}))["success"]


async def test_each_server_has_its_own_session(connect):
    async with connect() as first, connect(phone=None, password=None) as second:
        await first.call_tool("login", {})
        assert not (await first.call_tool("whoami", {})).is_error
        assert body_of(await second.call_tool("whoami", {}))["code"] == "not_authenticated"


async def test_logging_in_again_replaces_the_session(connect, sandbox):
    from finizi_b4b.sandbox import DEMO_ACCOUNTANT

    async with connect() as client:
        await client.call_tool("login", {})
        await client.call_tool(
            "login", {"phone": DEMO_ACCOUNTANT.phone, "password": DEMO_ACCOUNTANT.password}
        )
        user = body_of(await client.call_tool("whoami", {}))["user"]
        assert user["phone"] == DEMO_ACCOUNTANT.phone
