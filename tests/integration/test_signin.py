"""Signing in by itself: with credentials configured, the first call that needs a session signs in.

Counted at the sandbox (``box.counts["auth.login"]``): ten concurrent first calls
make one login request, whatever it answers. ``logout`` turns it off until
``login``; configured credentials the API refuses are reported as the client's
configuration, never as something to type into the chat.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from finizi_b4b.api.retry import RetryPolicy
from finizi_b4b.config import Settings
from finizi_b4b.sandbox import DEMO_ACCOUNTANT, DEMO_ADMIN
from finizi_b4b.tools.messages import NOT_LOGGED_IN
from tests.conftest import body_of

pytestmark = pytest.mark.anyio

LOGIN = "/api/v1/auth/login"
WRONG = "Not-the-Password-7"


def logins(box) -> int:
    return box.counts["auth.login"]


async def test_the_first_call_signs_in_with_the_configured_credentials(connect, sandbox, era):
    before = logins(sandbox)
    async with connect(era) as client:
        result = await client.call_tool("whoami", {})
        assert not result.is_error, body_of(result)
        assert body_of(result)["user"]["phone"] == DEMO_ADMIN.phone
        assert not (await client.call_tool("list_entities", {})).is_error
    assert logins(sandbox) == before + 1


async def test_ten_concurrent_first_calls_make_one_login_request(connect, sandbox, era):
    results = []

    async def one(client) -> None:
        results.append(await client.call_tool("list_entities", {}))

    async with connect(era) as client:
        before = logins(sandbox)
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                for _ in range(10):
                    tg.start_soon(one, client)
    assert len(results) == 10
    assert all(not r.is_error for r in results), [body_of(r) for r in results if r.is_error]
    assert logins(sandbox) == before + 1


async def test_after_logout_nothing_signs_in_until_login(connect, sandbox, era):
    async with connect(era) as client:
        assert not (await client.call_tool("whoami", {})).is_error
        assert body_of(await client.call_tool("logout", {}))["message"] == "Logged out."
        before = logins(sandbox)
        for tool in ("whoami", "list_entities"):
            after = body_of(await client.call_tool(tool, {}))
            assert after["code"] == "not_authenticated" and after["error"] == NOT_LOGGED_IN
        assert logins(sandbox) == before  # not even tried
        assert not (await client.call_tool("login", {})).is_error
        assert not (await client.call_tool("whoami", {})).is_error


async def test_logout_before_any_session_turns_the_sign_in_off(connect, sandbox):
    async with connect() as client:
        before = logins(sandbox)
        body = body_of(await client.call_tool("logout", {}))
        assert body["success"] and "until login is called" in body["message"]
        after = body_of(await client.call_tool("whoami", {}))
        assert after["code"] == "not_authenticated" and after["error"] == NOT_LOGGED_IN
    assert logins(sandbox) == before


async def test_login_switches_user_and_a_later_end_does_not_sign_the_configured_one_back_in(connect, sandbox):
    async with connect() as client:
        switched = await client.call_tool(
            "login", {"phone": DEMO_ACCOUNTANT.phone, "password": DEMO_ACCOUNTANT.password}
        )
        assert not switched.is_error, body_of(switched)
        assert body_of(await client.call_tool("whoami", {}))["user"]["phone"] == DEMO_ACCOUNTANT.phone
        await client.call_tool("logout", {})
        assert body_of(await client.call_tool("whoami", {}))["code"] == "not_authenticated"


async def test_with_no_credentials_configured_the_message_stays_word_for_word(connect, sandbox, era):
    before = logins(sandbox)
    async with connect(era, phone=None, password=None) as client:
        body = body_of(await client.call_tool("list_entities", {}))
    assert body["code"] == "not_authenticated"
    assert body["error"] == "Authentication token is missing. Please login first using the 'login' tool."
    assert logins(sandbox) == before


def assert_names_the_configuration(body: dict) -> None:
    assert body["code"] == "configured_credentials_refused", body
    words = body["error"]
    assert "MCP client's configuration" in words
    assert "FINIZI_PHONE" in words and "FINIZI_PASSWORD" in words
    assert "fix them there and restart the client" in words
    assert "Never type the password into the chat" in words
    assert WRONG not in words


async def test_refused_configured_credentials_say_where_they_come_from_and_are_not_retried(
    connect, sandbox, era
):
    results = []

    async def one(client) -> None:
        results.append(await client.call_tool("list_entities", {}))

    async with connect(era, password=WRONG) as client:
        before = logins(sandbox)
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                for _ in range(10):
                    tg.start_soon(one, client)
        assert logins(sandbox) == before + 1
        for result in results:
            assert result.is_error
            assert_names_the_configuration(body_of(result))
        again = body_of(await client.call_tool("whoami", {}))
        assert_names_the_configuration(again)
        assert logins(sandbox) == before + 1  # the same refusal, without asking again
        # login with no arguments uses the same credentials, and says the same
        assert_names_the_configuration(body_of(await client.call_tool("login", {})))
        # typed-in credentials are still the user's own: the usual words
        typed = body_of(await client.call_tool("login", {"phone": DEMO_ADMIN.phone, "password": WRONG}))
        assert typed["code"] == "invalid_credentials"


async def test_a_passing_failure_of_the_sign_in_is_tried_again_on_the_next_call(connect, sandbox):
    async with connect() as client:
        before = logins(sandbox)
        sandbox.inject_fault(503, count=RetryPolicy().attempts, path=LOGIN, method="POST")
        failed = body_of(await client.call_tool("whoami", {}))
        assert failed["code"] == "backend_unavailable", failed
        sandbox.clear_faults()
        result = await client.call_tool("whoami", {})
        assert not result.is_error, body_of(result)
    assert logins(sandbox) >= before + 2


async def test_the_instructions_say_how_the_server_signs_in(connect, era):
    async with connect(era) as client:
        configured = client.instructions or ""
    async with connect(era, phone=None, password=None) as client:
        bare = client.instructions or ""
    assert "signs in by itself" in configured and "no need to call login" in configured
    assert "Call login first" not in configured and "call login with" not in configured
    assert "Never ask the user for the password" in configured
    assert "call login with the user's Finizi phone number and password" in bare
    for words in (configured, bare):
        assert "Start with list_entities: it gives the entity ids" in words


def test_a_configured_phone_number_is_normalised():
    settings = Settings.from_env({"FINIZI_PHONE": " +84 909.495-665 ", "FINIZI_PASSWORD": "x"})
    assert settings.phone == "+84909495665" and settings.signs_in


async def test_a_phone_number_written_with_separators_signs_in(connect, sandbox):
    async with connect(phone="+84 909.495-665") as client:
        result = await client.call_tool("whoami", {})
    assert not result.is_error, body_of(result)


async def test_logout_with_an_expired_access_token_revokes_the_refresh_token_too(connect, sandbox):
    async with connect() as client:
        assert not (await client.call_tool("whoami", {})).is_error
        issued = len(sandbox.issued_tokens)
        refreshes = sandbox.counts["auth.refresh"]
        sandbox.expire_access_tokens()
        body = body_of(await client.call_tool("logout", {}))
        assert body == {"success": True, "message": "Logged out."}, body
        assert sandbox.counts["auth.refresh"] == refreshes + 1  # refreshed, so that logout could act
        assert sandbox.counts["auth.logout"] >= 2
        ours = sandbox.issued_tokens[issued - 2 :]
        assert len(ours) == 4  # the login's pair, then the refreshed pair
        assert not set(ours) & set(sandbox.state.refresh_tokens)  # neither refresh token works any more
        assert ours[2] not in sandbox.state.access_tokens  # the fresh access token was revoked too
        assert body_of(await client.call_tool("whoami", {}))["code"] == "not_authenticated"


async def test_serve_sandbox_signs_in_by_itself(tmp_path):
    command = Path(sys.executable).with_name("finizi-b4b")
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    params = StdioServerParameters(command=str(command), args=["serve", "--sandbox"], env=env)
    log = tmp_path / "stderr"
    with log.open("w") as errlog, anyio.fail_after(60):
        async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
            assert "signs in by itself" in (client.instructions or "")
            result = await client.call_tool("whoami", {})
    assert not result.is_error, (body_of(result), log.read_text())
    assert body_of(result)["user"]["phone"] == DEMO_ADMIN.phone
    assert DEMO_ADMIN.password not in log.read_text()


async def test_a_failed_login_with_made_up_credentials_leaves_the_configured_ones_armed(
    connect, sandbox, era
):
    async with connect(era) as client:
        before = logins(sandbox)
        made_up = {"phone": "+84900000001", "password": "Made-up-Pa55"}
        failed = body_of(await client.call_tool("login", made_up))
        result = await client.call_tool("list_entities", {})  # signs in with the configured credentials
        assert not result.is_error, body_of(result)
        assert body_of(await client.call_tool("whoami", {}))["user"]["phone"] == DEMO_ADMIN.phone
    assert logins(sandbox) == before + 2
    assert failed["code"] == "invalid_credentials", failed
    assert "call login with no arguments" in failed["error"]
    assert "Never ask the user for the password" in failed["error"]


async def test_a_failed_login_while_signed_in_keeps_the_session(connect, sandbox):
    async with connect() as client:
        assert not (await client.call_tool("whoami", {})).is_error
        failed = body_of(await client.call_tool("login", {"phone": DEMO_ADMIN.phone, "password": WRONG}))
        assert failed["code"] == "invalid_credentials"
        assert "The session that was open stays as it was" in failed["error"]
        assert body_of(await client.call_tool("whoami", {}))["user"]["phone"] == DEMO_ADMIN.phone


async def test_after_logout_a_failed_login_points_to_the_configured_credentials(connect, sandbox):
    async with connect() as client:
        await client.call_tool("logout", {})
        failed = body_of(await client.call_tool("login", {"phone": DEMO_ADMIN.phone, "password": WRONG}))
        assert "call login with no arguments to sign in with them" in failed["error"]
        assert body_of(await client.call_tool("whoami", {}))["code"] == "not_authenticated"  # still off
        assert not (await client.call_tool("login", {})).is_error


async def test_a_session_the_api_refuses_right_after_login_is_not_signed_in_again_and_again(
    connect, sandbox, era
):
    import mcp.types as types

    sandbox.inject_fault(401, count=1000, path="/api/v1/users/me", method="GET")
    ref = types.PromptReference(name="monthly_vat_review")
    async with connect(era) as client:
        before = logins(sandbox)
        bodies = []
        for number in range(30):
            bodies.append(body_of(await client.call_tool("list_entities" if number % 2 else "whoami", {})))
            offered = await client.complete(ref, {"name": "company", "value": str(number)})
            assert offered.completion.values == []
        made = logins(sandbox) - before
    assert made <= 3, f"{made} logins for 30 calls and 30 completions"
    for body in bodies:
        assert body["code"] == "session_check_failed", body
        assert body["retryable"] is True and body["retry_after_s"] >= 1, body
        assert (
            "not the credentials" in body["error"] and "Never ask the user for the password" in body["error"]
        )
