"""The API client against aiohttp answers faked at the aiohttp boundary (aioresponses).

These cover what the sandbox cannot easily produce: timeouts, refused
connections, odd bodies. End-to-end behaviour is tested through real MCP
client sessions against the sandbox elsewhere.
"""

from __future__ import annotations

import re

import aiohttp
import anyio
import pytest
from aioresponses import CallbackResult

from finizi_b4b.api.aiohttp_transport import AiohttpTransport
from finizi_b4b.api.client import B4BClient
from finizi_b4b.api.errors import ApiError
from finizi_b4b.api.models import TokenPair
from finizi_b4b.api.retry import RetryPolicy
from finizi_b4b.errors import NOT_LOGGED_IN, ErrorCode, ToolError
from finizi_b4b.session import SessionStore
from finizi_b4b.tools.messages import tool_error

pytestmark = pytest.mark.anyio

BASE = "http://b4b.test"
EID = "3f2b8c1e-9a4d-4e7b-8c21-5d6f7a8b9c0d"
LOGIN = f"{BASE}/api/v1/auth/login"
REFRESH = f"{BASE}/api/v1/auth/refresh"
ME = f"{BASE}/api/v1/users/me"


async def _no_wait(seconds: float) -> None:
    return None


async def failing(call) -> ToolError:
    """The tool error (as the model reads it) that an API call ends in."""
    with pytest.raises(ApiError) as err:
        await call
    return tool_error(err.value)


@pytest.fixture
async def client():
    store = SessionStore()
    # Retries happen (see tests/fidelity/test_retries.py) but need not wait here.
    api = B4BClient(
        AiohttpTransport(BASE, total_timeout=2, connect_timeout=1), store, retry=RetryPolicy(sleep=_no_wait)
    )
    try:
        yield api
    finally:
        await api.aclose()


def signed_in(api: B4BClient, access: str = "access-old-1", refresh: str = "refresh-old-1") -> None:
    api.session.start(TokenPair(access_token=access, refresh_token=refresh))


def bearer(kwargs: dict) -> str | None:
    return (kwargs.get("headers") or {}).get("Authorization")


async def test_a_call_before_login_sends_nothing_and_says_to_log_in(client: B4BClient, http_mock) -> None:
    m = http_mock
    err = await failing(client.me())
    assert not m.requests
    assert err.code is ErrorCode.NOT_AUTHENTICATED
    assert err.message == NOT_LOGGED_IN


async def test_login_failure_is_clear_and_never_repeats_the_password(client: B4BClient, http_mock) -> None:
    m = http_mock
    m.post(LOGIN, status=401, payload={"detail": "Incorrect phone number or password"})
    err = await failing(client.login("+84909495665", "s3cret-Pa55"))
    assert err.code is ErrorCode.INVALID_CREDENTIALS
    assert "Incorrect phone number or password" in err.message
    assert "s3cret-Pa55" not in err.message


async def test_an_expired_token_is_refreshed_once_and_the_call_retried(client: B4BClient, http_mock) -> None:
    signed_in(client)

    def me(url, **kwargs):
        if bearer(kwargs) == "Bearer access-new-2":
            return CallbackResult(payload={"id": "u1", "email": "admin@finizi.ai"})
        return CallbackResult(status=401, payload={"detail": "Token has expired"})

    m = http_mock
    m.get(ME, callback=me, repeat=True)
    m.post(REFRESH, payload={"access_token": "access-new-2", "refresh_token": "refresh-new-2"})
    user = await client.me()
    sent = {key[0]: len(calls) for key, calls in m.requests.items()}
    assert user.email == "admin@finizi.ai"
    assert sent == {"GET": 2, "POST": 1}
    assert client.session.secrets() == ("access-new-2", "refresh-new-2")
    assert client.session.refreshes == 1


async def test_ten_concurrent_calls_after_expiry_make_exactly_one_refresh(
    client: B4BClient, http_mock
) -> None:
    signed_in(client)
    refreshes = 0

    def me(url, **kwargs):
        if bearer(kwargs) == "Bearer access-new-2":
            return CallbackResult(payload={"id": "u1"})
        return CallbackResult(status=401, payload={"detail": "Token has expired"})

    async def refresh(url, **kwargs):
        nonlocal refreshes
        refreshes += 1
        await anyio.sleep(0.05)  # let every other call hit its 401 meanwhile
        return CallbackResult(payload={"access_token": "access-new-2", "refresh_token": "refresh-new-2"})

    results = []
    m = http_mock
    m.get(ME, callback=me, repeat=True)
    m.post(REFRESH, callback=refresh, repeat=True)

    async def one() -> None:
        results.append(await client.me())

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(one)
    assert refreshes == 1
    assert [u.id for u in results] == ["u1"] * 10


async def test_a_rejected_refresh_clears_the_session_and_asks_for_login(client: B4BClient, http_mock) -> None:
    signed_in(client)
    m = http_mock
    m.get(ME, status=401, payload={"detail": "Token has expired"})
    m.post(REFRESH, status=401, payload={"detail": "Invalid refresh token"})
    err = await failing(client.me())
    assert err.code is ErrorCode.SESSION_EXPIRED
    assert "login" in err.message
    assert not client.session.signed_in


async def test_a_refresh_that_cannot_reach_the_api_keeps_the_session(client: B4BClient, http_mock) -> None:
    signed_in(client)
    m = http_mock
    m.get(ME, status=401, payload={"detail": "Token has expired"})
    m.post(REFRESH, status=503, body="<html>busy</html>", content_type="text/html")
    err = await failing(client.me())
    assert err.code is ErrorCode.BACKEND_UNAVAILABLE
    assert client.session.signed_in  # the refresh token may still be good: try again later


@pytest.mark.parametrize(
    ("status", "body", "ctype", "headers", "code", "words"),
    [
        (
            404,
            '{"detail": "Invoice not found"}',
            "application/json",
            None,
            ErrorCode.NOT_FOUND,
            "not found or not accessible",
        ),
        (
            403,
            '{"detail": "You do not have access to this entity"}',
            "application/json",
            None,
            ErrorCode.NOT_FOUND,
            "not found or not accessible",
        ),
        (
            409,
            '{"detail": "Entity with this tax ID already exists"}',
            "application/json",
            None,
            ErrorCode.CONFLICT,
            "already exists",
        ),
        (
            422,
            '{"detail": [{"loc": ["body", "tax_id"], "msg": "invalid tax id", "type": "value_error"}]}',
            "application/json",
            None,
            ErrorCode.VALIDATION_FAILED,
            "tax_id: invalid tax id",
        ),
        (413, '{"detail": "File too large"}', "application/json", None, ErrorCode.PAYLOAD_TOO_LARGE, "5 MB"),
        (
            429,
            '{"detail": "slow down"}',
            "application/json",
            {"Retry-After": "7"},
            ErrorCode.RATE_LIMITED,
            "Retry after 7 seconds",
        ),
        (
            503,
            "<html><body><h1>503 Service Unavailable</h1></body></html>",
            "text/html",
            None,
            ErrorCode.BACKEND_UNAVAILABLE,
            "temporarily unavailable",
        ),
        (502, "<html>Bad gateway</html>", "text/html", None, ErrorCode.BACKEND_UNAVAILABLE, "HTTP 502"),
        (500, '{"detail": "boom"}', "application/json", None, ErrorCode.BACKEND_ERROR, "HTTP 500"),
    ],
)
async def test_each_status_becomes_one_clear_error(
    client, http_mock, status, body, ctype, headers, code, words
) -> None:
    signed_in(client)
    url = f"{BASE}/api/v1/entities/{EID}"
    m = http_mock
    # repeat: the transient statuses are retried (with no wait here) before the error
    m.get(url, status=status, body=body, content_type=ctype, headers=headers, repeat=True)
    err = await failing(client.get_entity(EID))
    assert err.code is code
    assert words in err.message
    assert "<html" not in err.message
    assert "access-old-1" not in err.message


async def test_403_and_404_read_the_same_so_ids_cannot_be_probed(client: B4BClient, http_mock) -> None:
    signed_in(client)
    url = f"{BASE}/api/v1/entities/{EID}"
    messages = []
    for status in (403, 404):
        http_mock.get(url, status=status, payload={"detail": "whatever"})
        err = await failing(client.get_entity(EID))
        messages.append((err.code, err.message))
    assert messages[0] == messages[1]


async def test_refused_connection_and_timeout_are_reported_as_such(client: B4BClient, http_mock) -> None:
    signed_in(client)
    m = http_mock
    m.get(ME, exception=aiohttp.ClientConnectionError("Cannot connect to host b4b.test:80"), repeat=True)
    refused = await failing(client.me())
    m.clear()
    m.get(ME, exception=TimeoutError(), repeat=True)
    slow = await failing(client.me())
    assert refused.code is ErrorCode.BACKEND_UNAVAILABLE
    assert "FINIZI_API_URL" in refused.message
    assert slow.code is ErrorCode.BACKEND_TIMEOUT


async def test_a_body_that_is_not_json_is_a_bad_response(client: B4BClient, http_mock) -> None:
    signed_in(client)
    m = http_mock
    m.get(ME, status=200, body="<html>login page</html>", content_type="text/html")
    err = await failing(client.me())
    assert err.code is ErrorCode.BAD_RESPONSE


async def test_records_without_ids_are_bad_responses_but_unknown_fields_are_kept(
    client: B4BClient, http_mock
) -> None:
    signed_in(client)
    m = http_mock
    m.get(ME, payload={"email": "no-id@finizi.ai"})
    err = await failing(client.me())
    m.get(ME, payload={"id": "u1", "email": "a@finizi.ai", "locale": "vi-VN"})
    user = await client.me()
    assert err.code is ErrorCode.BAD_RESPONSE
    assert user.extra == {"locale": "vi-VN"}


async def test_paging_parameter_names_follow_each_endpoint(client: B4BClient, http_mock) -> None:
    signed_in(client)
    page = {
        "items": [],
        "total": 0,
        "page": 2,
        "per_page": 50,
        "pages": 0,
        "has_next": False,
        "has_prev": True,
    }
    m = http_mock
    m.get(re.compile(rf"{BASE}/api/v1/entities/{EID}/invoices\?.*"), payload=page)
    m.get(re.compile(rf"{BASE}/api/v1/entities/{EID}/products\?.*"), payload=page)
    await client.list_invoices(EID, page=2, page_size=50, status="paid", direction=0)
    await client.list_products(EID, page=2, per_page=50, search="cà phê")
    urls = sorted(str(key[1]) for key in m.requests)
    assert "page_size=50" in urls[0]
    assert "status=paid" in urls[0]
    assert "direction=0" in urls[0]
    assert "per_page=50" in urls[1]
    assert "page_size" not in urls[1]
