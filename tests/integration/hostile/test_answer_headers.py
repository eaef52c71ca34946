"""Answer headers no backend should send: a Retry-After out of range, a Location that is no place.

Each ends the call with the stable code its status means (``rate_limited``,
``backend_unavailable``, ``bad_response`` for a redirect that is not followed),
never ``internal_error``, and a redirect that is refused sends nothing more.
"""

from __future__ import annotations

import pytest

from tests.conftest import body_of

pytestmark = pytest.mark.anyio

ENTITIES = "/api/v1/users/me/entities"


@pytest.mark.parametrize(
    ("status", "code"), [(429, "rate_limited"), (503, "backend_unavailable")], ids=["429", "503"]
)
@pytest.mark.parametrize(
    "retry_after", ["9" * 400, "9" * 20, "\u00b2", "\u0663", "Fri, 31 Dec 9999 23:59:59 GMT"],
    ids=["400 digits", "20 digits", "superscript two", "arabic-indic three", "year 9999"],
)  # fmt: skip
async def test_a_retry_after_out_of_range_keeps_the_stable_code(connect, sandbox, status, code, retry_after):
    async with connect() as client:
        assert not (await client.call_tool("whoami", {})).is_error
        sandbox.inject_fault(status, count=10, path=ENTITIES, headers={"Retry-After": retry_after})
        result = await client.call_tool("list_entities", {})
    body = body_of(result)
    assert result.is_error and body["code"] == code, body
    assert body["retryable"] is True
    wait = body.get("retry_after_s")
    assert wait is None or (isinstance(wait, int) and wait >= 1), body


@pytest.mark.parametrize(
    "location",
    [
        "http://user:pass@127.0.0.1:{port}/api/v1/users/me/entities",
        "http://user@127.0.0.1:{port}/api/v1/users/me/entities",
        "data:application/json,%7B%7D",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "http://[::1",
        "http://127.0.0.1:99999/x",
    ],
    ids=["user and password", "user", "data", "javascript", "file", "broken IPv6", "port out of range"],
)
async def test_a_redirect_to_no_usable_place_is_refused_with_bad_response(connect, sandbox, location):
    async with connect() as client:
        assert not (await client.call_tool("whoami", {})).is_error
        sandbox.clear_seen()
        sandbox.inject_fault(
            302, count=5, path=ENTITIES, headers={"Location": location.format(port=sandbox.port)}
        )
        result = await client.call_tool("list_entities", {})
    body = body_of(result)
    assert result.is_error and body["code"] == "bad_response", body
    assert "redirect (HTTP 302) that was not followed" in body["error"]
    assert [request.path for request in sandbox.seen] == [ENTITIES]  # nothing followed, nothing resent
