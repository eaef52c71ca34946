"""The retry policy, counted at the sandbox: what is repeated, how often, how long it waits.

The API client is driven against the real sandbox over loopback, with the
policy's ``sleep`` and ``random`` replaced so that the waits it asks for are
recorded instead of slept (``random() == 1`` makes full jitter its upper
bound). The lost-answer test goes through a real MCP session, with real waits.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import time
import uuid
from collections.abc import AsyncIterator

import anyio
import pytest

from finizi_b4b.api.aiohttp_transport import AiohttpTransport
from finizi_b4b.api.client import B4BClient, call_deadline_for
from finizi_b4b.api.errors import ApiError
from finizi_b4b.api.retry import RetryPolicy
from finizi_b4b.config import Settings
from finizi_b4b.errors import ErrorCode
from finizi_b4b.results import failure
from finizi_b4b.sandbox import DEMO_ADMIN
from finizi_b4b.session import SessionStore
from finizi_b4b.tools.messages import tool_error
from tests.conftest import body_of, invoice_xml

pytestmark = pytest.mark.anyio


class Waits:
    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


@contextlib.asynccontextmanager
async def signed_in_client(
    sandbox,
    *,
    total_timeout: float,
    connect_timeout: float,
    call_deadline: float,
    retry: RetryPolicy | None = None,
) -> AsyncIterator[B4BClient]:
    """A client of the sandbox signed in as the demo admin, with nothing in ``seen`` yet."""
    options = {} if retry is None else {"retry": retry}
    transport = AiohttpTransport(
        sandbox.url, total_timeout=total_timeout, connect_timeout=min(total_timeout, 2)
    )
    client = B4BClient(transport, SessionStore(), call_deadline=call_deadline, **options)
    try:
        tokens, _ = await client.login(DEMO_ADMIN.phone, DEMO_ADMIN.password)
        client.session.start(tokens)
        sandbox.clear_seen()
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def api(sandbox):
    waits = Waits()
    retry = RetryPolicy(sleep=waits, random=lambda: 1.0)
    async with signed_in_client(
        sandbox, total_timeout=5, connect_timeout=2, call_deadline=20, retry=retry
    ) as client:
        client.waits = waits
        yield client


def attempts(sandbox, path: str, method: str | None = None) -> int:
    return sum(1 for r in sandbox.seen if r.path.startswith(path) and (method is None or r.method == method))


def error_json(exc: ApiError) -> dict:
    return json.loads(failure(tool_error(exc)).content[0].text)


async def test_two_503s_then_success_take_three_attempts_with_growing_backoff(api, sandbox, world):
    path = f"/api/v1/entities/{world.big}/vendors"
    sandbox.inject_fault(503, count=2, path=path)
    page = await api.list_vendors(world.big, page=1, page_size=5)
    assert page.items
    assert attempts(sandbox, path) == 3
    assert api.waits.asked == [0.25, 0.5]  # full jitter at its bound: base * 2**n


@pytest.mark.parametrize("faults", [3, 6])
async def test_503s_that_last_end_after_three_attempts_and_say_retryable(api, sandbox, world, faults):
    path = f"/api/v1/entities/{world.big}/vendors"
    sandbox.inject_fault(503, count=faults, path=path, body="<html>down</html>", content_type="text/html")
    with pytest.raises(ApiError) as err:
        await api.list_vendors(world.big, page=1, page_size=5)
    assert attempts(sandbox, path) == 3
    body = error_json(err.value)
    assert body["code"] == "backend_unavailable" and body["retryable"] is True
    assert "retry_after_s" not in body and "<html>" not in body["error"]


async def test_a_short_retry_after_is_waited_for(api, sandbox, world):
    path = f"/api/v1/entities/{world.big}/products"
    sandbox.inject_fault(429, count=1, path=path, headers={"Retry-After": "2"})
    await api.list_products(world.big, page=1, per_page=5)
    assert attempts(sandbox, path) == 2
    assert api.waits.asked == [2.0]


async def test_retry_after_as_an_http_date_is_honoured(api, sandbox, world):
    path = f"/api/v1/entities/{world.big}/products"
    when = email.utils.formatdate(time.time() + 6, usegmt=True)
    sandbox.inject_fault(503, count=1, path=path, headers={"Retry-After": when})
    await api.list_products(world.big, page=1, per_page=5)
    assert attempts(sandbox, path) == 2
    assert len(api.waits.asked) == 1 and 3 <= api.waits.asked[0] <= 7


async def test_a_long_retry_after_is_not_waited_for_and_the_error_says_when(api, sandbox, world):
    path = f"/api/v1/entities/{world.big}/products"
    sandbox.inject_fault(429, count=3, path=path, headers={"Retry-After": "45"})
    with pytest.raises(ApiError) as err:
        await api.list_products(world.big, page=1, per_page=5)
    assert attempts(sandbox, path) == 1 and api.waits.asked == []
    body = error_json(err.value)
    assert body["code"] == "rate_limited" and body["retryable"] is True and body["retry_after_s"] == 45
    assert "Retry after 45 seconds" in body["error"]


async def test_a_timeout_then_success(sandbox, world):
    retry = RetryPolicy(sleep=Waits(), random=lambda: 1.0)
    deadline = call_deadline_for(0.5)
    async with signed_in_client(
        sandbox, total_timeout=0.5, connect_timeout=0.5, call_deadline=deadline, retry=retry
    ) as client:
        path = f"/api/v1/entities/{world.big}"
        sandbox.inject_fault(None, delay=2.0, count=1, path=path, method="GET")
        entity = await client.get_entity(world.big)
        assert entity.id == world.big
        assert attempts(sandbox, path) == 2


async def test_the_call_deadline_bounds_all_attempts(sandbox, world):
    async with signed_in_client(sandbox, total_timeout=0.6, connect_timeout=0.5, call_deadline=1.0) as client:
        path = f"/api/v1/entities/{world.big}"
        sandbox.inject_fault(None, delay=3.0, count=5, path=path, method="GET")
        with anyio.fail_after(5), pytest.raises(ApiError) as err:
            await client.get_entity(world.big)
        assert err.value.code == ErrorCode.BACKEND_TIMEOUT and err.value.retryable
        assert attempts(sandbox, path) == 2  # a second attempt fits, a third does not


@pytest.mark.parametrize("status", [400, 404, 409, 422, 500])
async def test_other_statuses_are_never_retried(api, sandbox, world, status):
    path = f"/api/v1/entities/{world.big}/vendors"
    sandbox.inject_fault(status, count=3, path=path)
    with pytest.raises(ApiError):
        await api.list_vendors(world.big, page=1, page_size=5)
    assert attempts(sandbox, path) == 1 and api.waits.asked == []


async def test_a_refused_login_and_a_failed_refresh_are_never_retried(api, sandbox, world):
    with pytest.raises(ApiError) as err:
        await api.login(DEMO_ADMIN.phone, "not-the-password")
    assert err.value.code == ErrorCode.INVALID_CREDENTIALS
    sandbox.inject_fault(503, count=3, path="/api/v1/auth/login")
    with pytest.raises(ApiError):
        await api.login(DEMO_ADMIN.phone, DEMO_ADMIN.password)
    assert attempts(sandbox, "/api/v1/auth/login") == 2
    sandbox.expire_access_tokens()
    sandbox.inject_fault(503, count=3, path="/api/v1/auth/refresh")
    with pytest.raises(ApiError):
        await api.me()
    assert attempts(sandbox, "/api/v1/auth/refresh") == 1
    assert api.waits.asked == []


async def test_a_retried_write_resends_the_same_key(api, sandbox):
    sandbox.inject_fault(503, count=1, path="/api/v1/entities", method="POST")
    tax_id = f"{uuid.uuid4().int % 10**10:010d}"
    entity = await api.create_entity({"name": "Công ty Thử Lại", "tax_id": tax_id})
    posts = [r for r in sandbox.seen if r.method == "POST" and r.path == "/api/v1/entities"]
    assert len(posts) == 2 and entity.id
    assert posts[0].headers["idempotency-key"] == posts[1].headers["idempotency-key"]


async def test_a_write_whose_answer_was_lost_is_retried_and_creates_one_invoice(connect, sandbox, world):
    xml = invoice_xml("C26TLA", world.big_tax_id, seller_tax_id="0305556667").decode()
    path = f"/api/v1/entities/{world.big}/invoices/xml"
    async with connect() as client:
        assert not (await client.call_tool("login", {})).is_error
        before = len(sandbox.state.invoices[world.big])
        sandbox.clear_seen()
        sandbox.inject_fault(kind="lose_answer", path=path, method="POST")
        result = await client.call_tool("import_invoice_xml", {"entity_id": world.big, "xml_content": xml})
        assert not result.is_error, body_of(result)
    posts = [r for r in sandbox.seen if r.method == "POST" and r.path == path]
    assert len(posts) == 2
    assert posts[0].headers["idempotency-key"] == posts[1].headers["idempotency-key"]
    assert len(sandbox.state.invoices[world.big]) == before + 1


def test_the_call_deadline_is_a_setting():
    assert Settings.from_env({"FINIZI_B4B_CALL_DEADLINE": "12.5"}).call_deadline == 12.5
    assert Settings.from_env({}).call_deadline is None
    assert call_deadline_for(30.0) > 3 * 30.0
