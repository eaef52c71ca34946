"""The session state machine: SessionStore with B4BClient over a fake of the request seam.

Single-flight refresh, the generation counter, sign-in all or nothing,
automatic sign-in, sign-out and the cleared state. Races through whole MCP
servers are in ``tests/integration/hostile/test_session_races.py``.
"""

from __future__ import annotations

import anyio
import pytest

from finizi_b4b.api import errors
from finizi_b4b.api.client import B4BClient
from finizi_b4b.api.errors import ApiError
from finizi_b4b.api.models import TokenPair
from finizi_b4b.api.retry import RetryPolicy
from finizi_b4b.api.transport import ApiRequest, ApiResponse
from finizi_b4b.errors import ErrorCode
from finizi_b4b.session import CHECK_BACKOFF_FIRST, SHARE_FAILURE_FOR, RefreshRejected, SessionStore
from tests.unit.fakes import FakeTransport, json_response, text_response

pytestmark = pytest.mark.anyio

LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/users/me"
OLD = TokenPair(access_token="access-old-1", refresh_token="refresh-old-1")
EXPIRED = json_response(401, {"detail": "Token has expired"})
NEW_PAIR = json_response(200, {"access_token": "access-new-2", "refresh_token": "refresh-new-2"})


@pytest.fixture
def fake() -> FakeTransport:
    return FakeTransport()


@pytest.fixture
def store() -> SessionStore:
    return SessionStore()


@pytest.fixture
def client(fake: FakeTransport, store: SessionStore) -> B4BClient:
    return B4BClient(fake, store, retry=RetryPolicy.never(), call_deadline=5)


def cleared(store: SessionStore) -> bool:
    """Every part of the session is gone, and calls are told to log in."""
    try:
        store.access_token()
    except ApiError as exc:
        told = (exc.code, exc.reason) == (ErrorCode.NOT_AUTHENTICATED, "not_logged_in")
    else:
        told = False
    return told and not store.signed_in and store.secrets() == () and store.user is None


# -- the cleared state and the generation counter ---------------------------------


def test_a_new_store_is_cleared(store) -> None:
    assert cleared(store)
    assert (store.generation, store.refreshes) == (0, 0)


def test_every_change_of_user_bumps_the_generation(store) -> None:
    store.start(OLD, {"id": "u1"})
    assert (store.generation, store.secrets(), store.user) == (
        1,
        ("access-old-1", "refresh-old-1"),
        {"id": "u1"},
    )
    store.start(TokenPair(access_token="a2", refresh_token="r2"), {"id": "u2"})
    assert store.generation == 2
    store.clear()
    assert store.generation == 3
    assert cleared(store)


def test_clear_if_current_leaves_a_newer_session_alone(store) -> None:
    store.start(OLD)
    store.clear_if_current("some-older-token")
    assert store.signed_in and store.generation == 1
    store.clear_if_current("access-old-1")
    assert cleared(store) and store.generation == 2


def test_no_token_in_the_repr(store) -> None:
    store.start(OLD, {"id": "u1", "email": "a@finizi.ai"})
    text = repr(store)
    assert text == "SessionStore(signed_in=True, user='a@finizi.ai', refreshes=0)"
    assert "access-old-1" not in text and "refresh-old-1" not in text


# -- sign-in --------------------------------------------------------------------------


async def test_sign_in_installs_the_login_outcome(client, fake, store) -> None:
    fake.on("POST", LOGIN, json_response(200, {"access_token": "acc-1", "refresh_token": "ref-1"}))
    fake.on("GET", ME, json_response(200, {"id": "u1"}))

    async def attempt():
        tokens, user = await client.login("+84909495665", "pw-123456")
        return tokens, {"id": user.id}

    assert await store.sign_in(attempt) == {"id": "u1"}
    assert (store.secrets(), store.user, store.generation) == (("acc-1", "ref-1"), {"id": "u1"}, 1)


async def test_a_failed_sign_in_leaves_the_previous_session_as_it_was(client, fake, store) -> None:
    store.start(OLD, {"id": "alice"})
    fake.on("POST", LOGIN, json_response(401, {"detail": "Incorrect phone number or password"}))

    async def attempt():
        tokens, user = await client.login("+84900000002", "wrong-pw")
        return tokens, {"id": user.id}

    with pytest.raises(ApiError) as err:
        await store.sign_in(attempt)
    assert err.value.code == ErrorCode.INVALID_CREDENTIALS
    assert (store.secrets(), store.user, store.generation) == (
        ("access-old-1", "refresh-old-1"),
        {"id": "alice"},
        1,
    )


async def test_concurrent_first_calls_make_one_automatic_sign_in(store) -> None:
    attempts = 0

    async def attempt():
        nonlocal attempts
        attempts += 1
        await anyio.sleep(0.05)
        return TokenPair(access_token="auto-1", refresh_token="auto-r1"), {"id": "u1"}

    store.arm(attempt)
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(store.sign_in_automatically)
    assert attempts == 1
    assert store.secrets() == ("auto-1", "auto-r1")
    assert not store.signs_in_automatically  # used once, then disarmed


async def test_refused_configured_credentials_are_never_tried_again(store) -> None:
    attempts = 0

    async def attempt():
        nonlocal attempts
        attempts += 1
        raise errors.ConfiguredCredentialsRefused(errors.Reason.CONFIGURED_CREDENTIALS, status=401)

    store.arm(attempt)
    for _ in range(3):
        with pytest.raises(ApiError) as err:
            await store.sign_in_automatically()
        assert err.value.code == ErrorCode.CONFIGURED_CREDENTIALS_REFUSED
    assert attempts == 1
    assert cleared(store)


async def test_a_failure_that_may_pass_leaves_automatic_sign_in_armed(store) -> None:
    outcomes = [errors.BackendUnavailable(errors.Reason.CONNECT, retryable=True), None]

    async def attempt():
        failure = outcomes.pop(0)
        if failure is not None:
            raise failure
        return TokenPair(access_token="auto-2", refresh_token=None), {"id": "u1"}

    store.arm(attempt)
    with pytest.raises(ApiError):
        await store.sign_in_automatically()
    assert store.signs_in_automatically
    await store.sign_in_automatically()
    assert store.secrets() == ("auto-2",)


async def test_a_failed_sign_in_by_hand_leaves_automatic_sign_in_armed(store) -> None:
    async def configured():
        return TokenPair(access_token="auto-3", refresh_token=None), {"id": "u1"}

    async def made_up():
        raise errors.InvalidCredentials(errors.Reason.CREDENTIALS, status=401)

    store.arm(configured)
    with pytest.raises(ApiError):
        await store.sign_in(made_up)
    assert store.signs_in_automatically
    await store.sign_in_automatically()
    assert store.secrets() == ("auto-3",)


async def test_after_a_failed_session_check_the_next_attempts_wait(store) -> None:
    attempts = 0

    async def attempt():
        nonlocal attempts
        attempts += 1
        raise errors.SessionCheckFailed(
            errors.Reason.SESSION_CHECK,
            status=401,
            retryable=True,
            facts={"after_login": True},
        )

    store.arm(attempt)
    waits = []
    for _ in range(20):
        with pytest.raises(ApiError) as err:
            await store.sign_in_automatically()
        assert err.value.code == ErrorCode.SESSION_CHECK_FAILED and err.value.retryable
        waits.append(err.value.retry_after)
    assert attempts == 1
    assert waits[0] == CHECK_BACKOFF_FIRST
    assert all(0 < wait <= CHECK_BACKOFF_FIRST for wait in waits)
    assert store.signs_in_automatically  # still armed: tried again once the wait is over


async def test_any_failure_after_the_login_was_accepted_waits_and_keeps_its_own_code(store) -> None:
    attempts = 0

    async def attempt():
        nonlocal attempts
        attempts += 1
        raise errors.BadResponse(errors.Reason.REDIRECT, status=307, facts={"after_login": True})

    store.arm(attempt)
    for _ in range(5):
        with pytest.raises(ApiError) as err:
            await store.sign_in_automatically()
        assert (err.value.code, err.value.reason) == (ErrorCode.BAD_RESPONSE, "redirect")
        assert not err.value.retryable and err.value.retry_after is None  # a wrong address will not pass
    assert attempts == 1


async def test_a_failure_at_the_login_itself_does_not_wait(store) -> None:
    attempts = 0

    async def attempt():
        nonlocal attempts
        attempts += 1
        raise errors.BackendUnavailable(errors.Reason.CONNECT, retryable=True)

    store.arm(attempt)
    for _ in range(3):
        with pytest.raises(ApiError):
            await store.sign_in_automatically()
    assert attempts == 3


async def test_the_wait_doubles_up_to_its_longest_and_a_success_ends_it(store, monkeypatch) -> None:
    monkeypatch.setattr("finizi_b4b.session.CHECK_BACKOFF_FIRST", 0.05)
    monkeypatch.setattr("finizi_b4b.session.CHECK_BACKOFF_LONGEST", 0.2)
    outcomes = [False, False, False, False, True]

    async def attempt():
        if not outcomes.pop(0):
            raise errors.SessionCheckFailed(
                errors.Reason.SESSION_CHECK,
                status=401,
                retryable=True,
                facts={"after_login": True},
            )
        return TokenPair(access_token="auto-4", refresh_token=None), {"id": "u1"}

    store.arm(attempt)
    waits = []
    for _ in range(4):
        with pytest.raises(ApiError) as err:
            await store.sign_in_automatically()
        waits.append(err.value.retry_after)
        await anyio.sleep(err.value.retry_after + 0.01)  # the wait is over: the next call tries again
    assert waits == [0.05, 0.1, 0.2, 0.2]
    await store.sign_in_automatically()
    assert store.secrets() == ("auto-4",) and not store.signs_in_automatically


# -- refresh ----------------------------------------------------------------------------


async def test_ten_calls_failing_with_one_token_share_one_refresh(client, fake, store) -> None:
    store.start(OLD)

    async def slow_refresh(request: ApiRequest) -> ApiResponse:
        await anyio.sleep(0.05)
        return NEW_PAIR

    fake.on("POST", REFRESH, slow_refresh)
    with anyio.fail_after(5):
        tokens = []

        async def one() -> None:
            tokens.append(await store.refresh_after("access-old-1", client.refresh, wait_s=5))

        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(one)
    assert tokens == ["access-new-2"] * 10
    assert len(fake.requests_to("POST", REFRESH)) == 1
    assert fake.sent[0].json == {"refresh_token": "refresh-old-1"}
    assert (store.secrets(), store.refreshes) == (("access-new-2", "refresh-new-2"), 1)


async def test_a_refresh_keeps_the_refresh_token_when_the_backend_does_not_rotate_it(
    client, fake, store
) -> None:
    store.start(OLD)
    fake.on("POST", REFRESH, json_response(200, {"access_token": "access-new-2"}))
    assert await store.refresh_after("access-old-1", client.refresh, wait_s=5) == "access-new-2"
    assert store.secrets() == ("access-new-2", "refresh-old-1")


async def test_a_stale_token_gets_the_current_one_without_a_refresh(client, fake, store) -> None:
    store.start(OLD)
    assert await store.refresh_after("an-older-token", client.refresh, wait_s=5) == "access-old-1"
    assert fake.sent == []


async def test_a_rejected_refresh_is_session_expired_and_clears_everything(client, fake, store) -> None:
    store.start(OLD, {"id": "u1"})
    fake.on("POST", REFRESH, json_response(401, {"detail": "Invalid refresh token"}))
    with pytest.raises(ApiError) as err:
        await store.refresh_after("access-old-1", client.refresh, wait_s=5)
    assert (err.value.code, err.value.reason, err.value.status) == (
        ErrorCode.SESSION_EXPIRED,
        "session_expired",
        401,
    )
    assert cleared(store)
    assert store.generation == 2


async def test_without_a_refresh_token_the_session_expires_without_a_request(client, fake, store) -> None:
    store.start(TokenPair(access_token="access-only", refresh_token=None))
    with pytest.raises(ApiError) as err:
        await store.refresh_after("access-only", client.refresh, wait_s=5)
    assert err.value.code == ErrorCode.SESSION_EXPIRED
    assert fake.sent == []
    assert cleared(store)


async def test_a_failed_refresh_is_shared_for_a_moment_then_tried_again(client, fake, store) -> None:
    store.start(OLD)
    fake.on("POST", REFRESH, text_response(503, "down"), NEW_PAIR)
    for _ in range(2):  # the second call comes right after the first failed: it shares that failure
        with pytest.raises(ApiError) as err:
            await store.refresh_after("access-old-1", client.refresh, wait_s=5)
        assert err.value.code == ErrorCode.BACKEND_UNAVAILABLE
    assert len(fake.requests_to("POST", REFRESH)) == 1
    assert store.secrets() == ("access-old-1", "refresh-old-1")
    await anyio.sleep(SHARE_FAILURE_FOR + 0.1)
    assert await store.refresh_after("access-old-1", client.refresh, wait_s=5) == "access-new-2"
    assert len(fake.requests_to("POST", REFRESH)) == 2


async def test_a_refresh_begun_before_a_new_session_never_overwrites_it(store) -> None:
    store.start(OLD, {"id": "alice"})
    started, release = anyio.Event(), anyio.Event()

    async def refresher(refresh_token: str) -> TokenPair:
        started.set()
        await release.wait()
        return TokenPair(access_token="alice-access-2", refresh_token="alice-refresh-2")

    outcome: list[str] = []

    async def call() -> None:
        outcome.append(await store.refresh_after("access-old-1", refresher, wait_s=5))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await started.wait()
            store.start(TokenPair(access_token="bob-access-1", refresh_token="bob-refresh-1"), {"id": "bob"})
            release.set()
    assert outcome == ["bob-access-1"]
    assert (store.secrets(), store.user, store.refreshes) == (
        ("bob-access-1", "bob-refresh-1"),
        {"id": "bob"},
        0,
    )


async def test_a_refresh_waiter_gives_up_at_its_own_deadline(store) -> None:
    store.start(OLD)
    release = anyio.Event()

    async def hanging(refresh_token: str) -> TokenPair:
        await release.wait()
        raise RefreshRejected

    try:
        with anyio.fail_after(5), pytest.raises(ApiError) as err:
            await store.refresh_after("access-old-1", hanging, wait_s=0.1)
    finally:
        release.set()
    assert (err.value.code, err.value.reason) == (ErrorCode.BACKEND_TIMEOUT, "refresh_timeout")


async def test_the_client_retries_with_the_refreshed_token(client, fake, store) -> None:
    store.start(OLD)
    fake.on("GET", ME, lambda r: json_response(200, {"id": "u1"}) if r.token == "access-new-2" else EXPIRED)
    fake.on("POST", REFRESH, NEW_PAIR)
    assert (await client.me()).id == "u1"
    assert [r.token for r in fake.requests_to("GET", ME)] == ["access-old-1", "access-new-2"]


# -- sign-out -------------------------------------------------------------------------


async def test_sign_out_tells_the_backend_then_clears(client, fake, store) -> None:
    store.start(OLD, {"id": "u1"})
    fake.on("POST", LOGOUT, json_response(200, {"ok": True}))
    assert await store.sign_out(client.logout, client.refresh) is True
    assert [(r.path, r.token) for r in fake.sent] == [(LOGOUT, "access-old-1")]
    assert cleared(store)


async def test_sign_out_with_an_expired_token_refreshes_and_says_farewell_again(client, fake, store) -> None:
    store.start(OLD)
    fake.on("POST", LOGOUT, lambda r: json_response(200, {}) if r.token == "access-new-2" else EXPIRED)
    fake.on("POST", REFRESH, NEW_PAIR)
    assert await store.sign_out(client.logout, client.refresh) is True
    assert [(r.path, r.token) for r in fake.sent] == [
        (LOGOUT, "access-old-1"),
        (REFRESH, None),
        (LOGOUT, "access-new-2"),
    ]
    assert cleared(store)


async def test_sign_out_clears_even_when_the_backend_fails(client, fake, store) -> None:
    store.start(OLD)
    fake.on("POST", LOGOUT, text_response(500, "boom"))
    with pytest.raises(ApiError) as err:
        await store.sign_out(client.logout, client.refresh)
    assert err.value.code == ErrorCode.BACKEND_ERROR
    assert cleared(store)


async def test_sign_out_without_a_session_says_to_log_in(client, fake, store) -> None:
    with pytest.raises(ApiError) as err:
        await store.sign_out(client.logout, client.refresh)
    assert err.value.reason == "not_logged_in"
    assert fake.sent == []
