"""The session is one state machine: login, logout and refresh cannot interleave into a wrong state.

The backend here is a scripted transport (the request seam every transport
implements), so that a test can hold a refresh at exactly the moment it wants.
Each wait is bounded.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable

import anyio
import anyio.lowlevel
import pytest
from mcp import Client

from finizi_b4b.api.client import B4BClient
from finizi_b4b.api.errors import ApiError
from finizi_b4b.api.models import TokenPair
from finizi_b4b.api.transport import ApiRequest, ApiResponse
from finizi_b4b.config import Settings
from finizi_b4b.errors import ErrorCode
from finizi_b4b.server import build_server
from finizi_b4b.session import SessionStore
from finizi_b4b.tools.messages import NOT_LOGGED_IN
from tests.conftest import body_of

pytestmark = pytest.mark.anyio

Handler = Callable[[ApiRequest], Awaitable[ApiResponse]]
USERS = {"+84900000001": ("pw-alice-123", "alice"), "+84900000002": ("pw-bob-4567", "bob")}


def answer(status: int, payload) -> ApiResponse:
    return ApiResponse(status, {"content-type": "application/json"}, json.dumps(payload).encode())


class Backend:
    """Tokens ``<user>-<n>``; ``refresh`` (replaceable) answers /auth/refresh."""

    def __init__(self) -> None:
        self.requests: list[ApiRequest] = []
        self.valid: dict[str, str] = {}  # access token -> user
        self.refresh_owner: dict[str, str] = {}
        self.issued = 0
        self.refresh: Handler = self.rotate
        self.me_status = 200

    def issue(self, user: str) -> dict:
        self.issued += 1
        access, refresh = f"{user}-access-{self.issued}", f"{user}-refresh-{self.issued}"
        self.valid[access] = user
        self.refresh_owner[refresh] = user
        return {"access_token": access, "refresh_token": refresh, "token_type": "bearer"}

    async def rotate(self, request: ApiRequest) -> ApiResponse:
        user = self.refresh_owner.pop(request.json["refresh_token"], None)
        if user is None:
            return answer(401, {"detail": "Invalid refresh token"})
        return answer(200, self.issue(user))

    def expire(self) -> None:
        self.valid.clear()

    def refreshes(self) -> int:
        return sum(1 for r in self.requests if r.path == "/api/v1/auth/refresh")

    async def send(self, request: ApiRequest) -> ApiResponse:
        self.requests.append(request)
        await anyio.lowlevel.checkpoint()
        if request.path == "/api/v1/auth/login":
            password, user = USERS.get(request.json["phone"], (None, None))
            if password != request.json["password"]:
                return answer(401, {"detail": "Incorrect phone number or password"})
            return answer(200, self.issue(user))
        if request.path == "/api/v1/auth/refresh":
            return await self.refresh(request)
        user = self.valid.get(request.token or "")
        if user is None:
            return answer(401, {"detail": "Token has expired"})
        if request.path == "/api/v1/auth/logout":
            self.valid.pop(request.token, None)
            return answer(200, {"message": "Logged out"})
        if request.path == "/api/v1/users/me":
            if self.me_status != 200:
                return answer(self.me_status, {"detail": "database unavailable"})
            return answer(200, {"id": user, "full_name": user.title(), "phone": "+849"})
        if request.path == "/api/v1/users/me/entities":
            return answer(200, [{"id": "e1", "name": "Sao Việt"}])
        return answer(404, {"detail": "Not found"})

    async def aclose(self) -> None:
        return None


async def until(condition: Callable[[], bool], seconds: float = 5.0, step: float = 0.01) -> None:
    """Return once ``condition()`` holds; raise :class:`TimeoutError` after ``seconds``."""
    for _ in range(math.ceil(seconds / step)):
        if condition():
            return
        await anyio.sleep(step)
    if not condition():
        raise TimeoutError(f"condition still false after {seconds} s")


def server_for(backend: Backend):
    settings = Settings(api_url="http://b4b.test", phone="+84900000001", password="pw-alice-123")
    return build_server(settings, transport_factory=lambda _: backend)


def held_refresh(backend: Backend, release: anyio.Event) -> None:
    async def refresh(request: ApiRequest) -> ApiResponse:
        await release.wait()
        return await backend.rotate(request)

    backend.refresh = refresh


async def failures_of_concurrent_calls(client: B4BClient, count: int) -> list[ApiError]:
    """Run ``count`` calls of ``/users/me`` at once; the errors they ended in."""
    failures: list[ApiError] = []

    async def one() -> None:
        try:
            await client.me()
        except ApiError as exc:
            failures.append(exc)

    async with anyio.create_task_group() as tg:
        for _ in range(count):
            tg.start_soon(one)
    return failures


def expired_alice(call_deadline: float) -> tuple[Backend, SessionStore, B4BClient]:
    """alice signed in on an access token that has just expired."""
    backend = Backend()
    store = SessionStore()
    client = B4BClient(backend, store, call_deadline=call_deadline)
    store.start(TokenPair.of(backend.issue("alice")))
    backend.expire()
    return backend, store, client


def expired_with_a_held_refresh(
    call_deadline: float,
) -> tuple[Backend, anyio.Event, SessionStore, B4BClient]:
    """alice signed in on an expired token, with the backend's refresh held until ``release`` is set."""
    backend, store, client = expired_alice(call_deadline)
    release = anyio.Event()
    held_refresh(backend, release)
    return backend, release, store, client


async def test_a_refresh_begun_before_a_logout_does_not_sign_back_in() -> None:
    backend, release = Backend(), anyio.Event()
    async with Client(server_for(backend)) as client:
        assert not (await client.call_tool("login", {})).is_error
        backend.expire()
        held_refresh(backend, release)
        results = {}

        async def run(tool: str) -> None:
            results[tool] = await client.call_tool(tool, {})

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(run, "list_entities")
                await until(lambda: backend.refreshes() == 1)
                tg.start_soon(run, "logout")
                await anyio.sleep(0.1)  # the logout is under way while the refresh is held
                release.set()
        assert not results["logout"].is_error
        after = body_of(await client.call_tool("whoami", {}))
    assert after["code"] == "not_authenticated" and after["error"] == NOT_LOGGED_IN


async def test_a_refresh_begun_before_a_login_never_overwrites_the_new_user() -> None:
    backend, release = Backend(), anyio.Event()
    async with Client(server_for(backend)) as client:
        assert not (await client.call_tool("login", {})).is_error  # alice
        backend.expire()
        held_refresh(backend, release)
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(client.call_tool, "list_entities", {})
                await until(lambda: backend.refreshes() == 1)
                tg.start_soon(client.call_tool, "login", {"phone": "+84900000002", "password": "pw-bob-4567"})
                await anyio.sleep(0.1)
                release.set()
        user = body_of(await client.call_tool("whoami", {}))["user"]
    assert user["id"] == "bob"


async def test_the_generation_counter_keeps_a_late_refresh_out() -> None:
    backend, release, store, client = expired_with_a_held_refresh(call_deadline=5)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.me)
            await until(lambda: backend.refreshes() == 1)
            store.start(TokenPair.of(backend.issue("bob")), {"id": "bob"})  # a newer session, meanwhile
            release.set()
    assert store.secrets() == ("bob-access-2", "bob-refresh-2")  # not alice-3, refreshed meanwhile
    assert backend.refreshes() == 1
    assert store.user == {"id": "bob"}


async def test_fifty_waiters_share_one_failed_refresh() -> None:
    backend, store, client = expired_alice(call_deadline=10)

    async def down(request: ApiRequest) -> ApiResponse:
        await anyio.sleep(0.2)
        return ApiResponse(503, {"content-type": "text/html"}, b"<html>down</html>")

    backend.refresh = down
    with anyio.fail_after(10):
        failures = await failures_of_concurrent_calls(client, 50)
    assert backend.refreshes() == 1
    assert len(failures) == 50 and {f.code for f in failures} == {ErrorCode.BACKEND_UNAVAILABLE}
    assert store.signed_in  # the refresh token may still be good


async def test_a_hanging_refresh_does_not_queue_the_waiters_timeouts() -> None:
    backend, release, _store, client = expired_with_a_held_refresh(call_deadline=0.5)
    try:
        with anyio.fail_after(3):  # ten 0.5 s deadlines one after another would take 5 s
            failures = await failures_of_concurrent_calls(client, 10)
    finally:
        release.set()
    assert len(failures) == 10 and {f.code for f in failures} == {ErrorCode.BACKEND_TIMEOUT}
    assert backend.refreshes() == 1


async def test_cancelling_the_call_that_started_a_refresh_keeps_the_rotated_token() -> None:
    backend, release, store, client = expired_with_a_held_refresh(call_deadline=5)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            scope = anyio.CancelScope()

            async def cancellable() -> None:
                with scope:
                    await client.me()

            tg.start_soon(cancellable)
            await until(lambda: backend.refreshes() == 1)
            scope.cancel()
            await anyio.sleep(0.05)
            release.set()  # the backend rotates the refresh token now
        await until(lambda: store.secrets() == ("alice-access-2", "alice-refresh-2"))
    assert (await client.me()).id == "alice"
    assert backend.refreshes() == 1


async def test_a_login_whose_user_lookup_fails_leaves_no_half_session() -> None:
    backend = Backend()
    backend.me_status = 500
    async with Client(server_for(backend)) as client:
        assert body_of(await client.call_tool("login", {}))["code"] == "backend_error"
        sent = len(backend.requests)
        after = body_of(await client.call_tool("whoami", {}))
        # The configured credentials are still armed: whoami signs in again and fails the same way,
        # and never asks for the user with a token kept from the failed login.
        assert after["code"] == "backend_error"
        assert [r.path for r in backend.requests[sent:]] == ["/api/v1/auth/login", "/api/v1/users/me"]
        # Signed in as alice, a failed switch to bob leaves alice fully signed in.
        backend.me_status = 200
        assert not (await client.call_tool("login", {})).is_error
        backend.me_status = 500
        failed = await client.call_tool("login", {"phone": "+84900000002", "password": "pw-bob-4567"})
        assert body_of(failed)["code"] == "backend_error"
        backend.me_status = 200
        assert body_of(await client.call_tool("whoami", {}))["user"]["id"] == "alice"


@pytest.mark.parametrize("token", ["", "abc\r\nX-Injected: 1", "abc\ndef", "tok en"])
async def test_an_unusable_token_is_a_bad_response_at_login(token) -> None:
    backend = Backend()

    async def send(request: ApiRequest, _send=backend.send) -> ApiResponse:
        if request.path == "/api/v1/auth/login":
            backend.requests.append(request)
            return answer(200, {"access_token": token, "refresh_token": "fine-refresh-token"})
        return await _send(request)

    backend.send = send  # type: ignore[method-assign]
    async with Client(server_for(backend)) as client:
        body = body_of(await client.call_tool("login", {}))
        assert body["code"] == "bad_response", body
        # The configured credentials are still armed: whoami logs in again, and gets the same token.
        assert body_of(await client.call_tool("whoami", {}))["code"] == "bad_response"
    assert [r.path for r in backend.requests] == ["/api/v1/auth/login"] * 2  # the token was never sent


@pytest.mark.parametrize("token", ["", "abc\r\nX-Injected: 1"])
async def test_an_unusable_token_is_a_bad_response_at_refresh(token) -> None:
    backend, store, client = expired_alice(call_deadline=5)

    async def refresh(request: ApiRequest) -> ApiResponse:
        return answer(200, {"access_token": token})

    backend.refresh = refresh
    with pytest.raises(ApiError) as err:
        await client.me()
    assert err.value.code == ErrorCode.BAD_RESPONSE
    assert all("\n" not in (r.token or "") for r in backend.requests)
    assert store.secrets() == ("alice-access-1", "alice-refresh-1")  # nothing unusable was stored
