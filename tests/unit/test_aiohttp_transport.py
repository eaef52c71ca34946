"""The aiohttp transport on its own, with answers faked at the aiohttp boundary (aioresponses).

These cover what only the wire does: the bearer token and the API headers as
HTTP headers, the query and the body as aiohttp sends them, the kept response
headers, the answer size cap, redirects, and aiohttp's own failures turned into
:class:`TransportFailure`. The client logic above the seam is tested with a
fake transport in ``test_api_client.py``; redirects and caps against a real
server in ``tests/integration/hostile/``.
"""

from __future__ import annotations

import re

import aiohttp
import pytest
from yarl import URL

from finizi_b4b.api.aiohttp_transport import AiohttpTransport
from finizi_b4b.api.client import B4BClient
from finizi_b4b.api.errors import ApiError
from finizi_b4b.api.models import TokenPair
from finizi_b4b.api.retry import RetryPolicy
from finizi_b4b.api.transport import ApiRequest, TransportFailure, Upload
from finizi_b4b.errors import ErrorCode
from finizi_b4b.session import SessionStore
from finizi_b4b.tools.messages import tool_error

pytestmark = pytest.mark.anyio

BASE = "http://b4b.test"
ME = "/api/v1/users/me"


async def _no_wait(seconds: float) -> None:
    return None


@pytest.fixture
async def transport():
    wire = AiohttpTransport(
        BASE, total_timeout=2, connect_timeout=1, max_answer_bytes=1000, user_agent="finizi-b4b/9.9"
    )
    try:
        yield wire
    finally:
        await wire.aclose()


def only_call(mock) -> tuple[str, str, dict]:
    """The method, URL and keyword arguments of the one request aioresponses saw."""
    ((method, url), calls), *others = mock.requests.items()
    assert not others and len(calls) == 1
    return method, str(url), calls[0].kwargs


async def test_the_token_and_the_api_headers_go_out_as_http_headers(transport, http_mock) -> None:
    http_mock.get(f"{BASE}{ME}", payload={"id": "u1"})
    request = ApiRequest("GET", ME, token="tok-1", headers=(("X-Entity-Id", "e1"),))
    answer = await transport.send(request)
    _, _, kwargs = only_call(http_mock)
    assert kwargs["headers"]["Authorization"] == "Bearer tok-1"
    assert kwargs["headers"]["X-Entity-Id"] == "e1"
    assert kwargs["headers"]["Accept"] == "application/json"
    assert kwargs["headers"]["User-Agent"] == "finizi-b4b/9.9"
    assert kwargs["allow_redirects"] is False
    assert (answer.status, answer.body) == (200, b'{"id": "u1"}')


async def test_no_token_no_authorization_header(transport, http_mock) -> None:
    http_mock.post(f"{BASE}/api/v1/auth/login", payload={"access_token": "a"})
    await transport.send(ApiRequest("POST", "/api/v1/auth/login", json={"phone": "p", "password": "pw"}))
    _, _, kwargs = only_call(http_mock)
    assert "Authorization" not in kwargs["headers"]
    assert kwargs["json"] == {"phone": "p", "password": "pw"}
    assert kwargs["data"] is None


async def test_the_query_pairs_are_sent_in_order_and_encoded(transport, http_mock) -> None:
    http_mock.get(re.compile(rf"{BASE}/api/v1/entities/e1/products\?.*"), payload={})
    query = (("page", "2"), ("per_page", "50"), ("search", "cà phê"))
    await transport.send(ApiRequest("GET", "/api/v1/entities/e1/products", query))
    _, url, kwargs = only_call(http_mock)
    assert kwargs["params"] == list(query)
    assert url == f"{BASE}/api/v1/entities/e1/products?page=2&per_page=50&search=c%C3%A0+ph%C3%AA"


async def test_an_upload_goes_out_as_a_multipart_form_and_no_json(transport, http_mock) -> None:
    http_mock.post(re.compile(rf"{BASE}/api/v1/entities/e1/invoices/xml.*"), payload={"id": "i1"})
    upload = Upload("file", "a.xml", b"<HDon/>")
    await transport.send(ApiRequest("POST", "/api/v1/entities/e1/invoices/xml", upload=upload))
    _, _, kwargs = only_call(http_mock)
    assert kwargs["json"] is None
    assert isinstance(kwargs["data"], aiohttp.FormData)


async def test_only_the_headers_that_matter_are_kept(transport, http_mock) -> None:
    headers = {"Retry-After": "7", "WWW-Authenticate": "Bearer", "Set-Cookie": "s=1", "X-Debug": "db:5432"}
    http_mock.get(f"{BASE}{ME}", status=429, payload={"detail": "slow"}, headers=headers)
    answer = await transport.send(ApiRequest("GET", ME))
    assert answer.status == 429
    assert answer.headers == {
        "content-type": "application/json",
        "retry-after": "7",
        "www-authenticate": "Bearer",
    }
    assert answer.header("Retry-After") == "7"


async def test_an_answer_over_the_cap_is_refused_not_held(transport, http_mock) -> None:
    http_mock.get(f"{BASE}{ME}", body=b"x" * 1001, content_type="application/json")
    with pytest.raises(TransportFailure) as failure:
        await transport.send(ApiRequest("GET", ME))
    assert failure.value.kind == "too_large"


async def test_an_answer_at_the_cap_is_read_whole(transport, http_mock) -> None:
    http_mock.get(f"{BASE}{ME}", body=b"x" * 1000, content_type="application/json")
    assert len((await transport.send(ApiRequest("GET", ME))).body) == 1000


async def test_a_redirect_to_another_origin_is_not_followed(transport, http_mock) -> None:
    http_mock.get(f"{BASE}{ME}", status=302, headers={"Location": "http://elsewhere.test/steal"})
    answer = await transport.send(ApiRequest("GET", ME, token="tok-1"))
    (method, url), *others = http_mock.requests
    assert (answer.status, answer.body) == (302, b"")
    assert (method, str(url), others) == ("GET", f"{BASE}{ME}", [])


async def test_a_redirect_of_an_auth_request_is_not_followed_even_to_the_same_origin(
    transport, http_mock
) -> None:
    http_mock.post(f"{BASE}/api/v1/auth/login", status=307, headers={"Location": f"{BASE}/api/v1/auth/x"})
    answer = await transport.send(ApiRequest("POST", "/api/v1/auth/login", json={"password": "pw"}))
    assert answer.status == 307
    assert len(http_mock.requests) == 1


async def test_a_redirect_to_the_same_origin_is_followed(transport, http_mock) -> None:
    http_mock.get(f"{BASE}/api/v1/old", status=308, headers={"Location": "/api/v1/new"})
    http_mock.get(f"{BASE}/api/v1/new", payload={"moved": True})
    answer = await transport.send(ApiRequest("GET", "/api/v1/old", token="tok-1"))
    assert (answer.status, answer.body) == (200, b'{"moved": true}')
    followed = http_mock.requests[("GET", URL(f"{BASE}/api/v1/new"))]
    assert followed[0].kwargs["headers"]["Authorization"] == "Bearer tok-1"


@pytest.mark.parametrize(
    ("raised", "kind"),
    [
        (aiohttp.ClientConnectionError("Cannot connect to host b4b.test:80"), "connect"),
        (TimeoutError(), "timeout"),
    ],
)
async def test_aiohttp_failures_become_transport_failures(transport, http_mock, raised, kind) -> None:
    http_mock.get(f"{BASE}{ME}", exception=raised)
    with pytest.raises(TransportFailure) as failure:
        await transport.send(ApiRequest("GET", ME, token="tok-secret-1"))
    assert failure.value.kind == kind
    assert "tok-secret-1" not in str(failure.value)


async def test_refused_connection_and_timeout_reach_the_model_as_such(http_mock) -> None:
    wire = AiohttpTransport(BASE, total_timeout=2, connect_timeout=1)
    api = B4BClient(wire, SessionStore(), retry=RetryPolicy(sleep=_no_wait))
    api.session.start(TokenPair(access_token="access-old-1", refresh_token="refresh-old-1"))
    try:
        http_mock.get(f"{BASE}{ME}", exception=aiohttp.ClientConnectionError("Cannot connect"), repeat=True)
        with pytest.raises(ApiError) as refused:
            await api.me()
        http_mock.clear()
        http_mock.get(f"{BASE}{ME}", exception=TimeoutError(), repeat=True)
        with pytest.raises(ApiError) as slow:
            await api.me()
    finally:
        await api.aclose()
    assert tool_error(refused.value).code == ErrorCode.BACKEND_UNAVAILABLE
    assert "FINIZI_API_URL" in tool_error(refused.value).message
    assert tool_error(slow.value).code == ErrorCode.BACKEND_TIMEOUT
