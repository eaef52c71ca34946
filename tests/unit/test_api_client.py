"""The API client's own logic, through a fake of the request seam (no HTTP at all).

What goes out (method, path, query, body, token, API headers) is read from the
requests the fake recorded; what comes back is a canned answer. The aiohttp
transport itself is tested in ``test_aiohttp_transport.py``, and everything
end to end against the sandbox under ``tests/integration/``.
"""

from __future__ import annotations

import anyio
import pytest

from finizi_b4b.api.client import B4BClient
from finizi_b4b.api.errors import ApiError
from finizi_b4b.api.models import TokenPair
from finizi_b4b.api.retry import RetryPolicy
from finizi_b4b.api.transport import ApiRequest, ApiResponse, TransportFailure
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.session import SessionStore
from finizi_b4b.tools.messages import NOT_LOGGED_IN, tool_error
from tests.unit.fakes import FakeTransport, json_response, text_response

pytestmark = pytest.mark.anyio

EID = "3f2b8c1e-9a4d-4e7b-8c21-5d6f7a8b9c0d"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/users/me"
ENTITY = f"/api/v1/entities/{EID}"
EXPIRED = json_response(401, {"detail": "Token has expired"})
NEW_PAIR = json_response(200, {"access_token": "access-new-2", "refresh_token": "refresh-new-2"})


async def _no_wait(seconds: float) -> None:
    return None


@pytest.fixture
def fake() -> FakeTransport:
    return FakeTransport()


@pytest.fixture
def client(fake: FakeTransport) -> B4BClient:
    # Retries happen here as they do on the wire, with no wait and no jitter.
    return B4BClient(fake, SessionStore(), retry=RetryPolicy(sleep=_no_wait, random=lambda: 0.0))


def signed_in(api: B4BClient, access: str = "access-old-1", refresh: str = "refresh-old-1") -> None:
    api.session.start(TokenPair(access_token=access, refresh_token=refresh))


def by_token(good: str, answer: ApiResponse):
    """``answer`` for requests that carry ``good``; the expired-token 401 for any other."""
    return lambda request: answer if request.token == good else EXPIRED


async def failing(call) -> tuple[ApiError, ToolError]:
    """The API error a call ends in, and the tool error a model reads from it."""
    with pytest.raises(ApiError) as err:
        await call
    return err.value, tool_error(err.value)


# -- sign-in ------------------------------------------------------------------------


async def test_a_call_before_login_sends_nothing_and_says_to_log_in(client, fake) -> None:
    _, err = await failing(client.me())
    assert fake.sent == []
    assert err.code == ErrorCode.NOT_AUTHENTICATED
    assert err.message == NOT_LOGGED_IN


async def test_login_posts_the_credentials_then_reads_the_user_with_the_new_token(client, fake) -> None:
    fake.on("POST", LOGIN, json_response(200, {"access_token": "acc-1", "refresh_token": "ref-1"}))
    fake.on("GET", ME, json_response(200, {"id": "u1", "email": "admin@finizi.ai"}))
    tokens, user = await client.login("+84909495665", "s3cret-Pa55")
    login, me = fake.sent
    assert (login.method, login.path, login.json) == (
        "POST",
        LOGIN,
        {"phone": "+84909495665", "password": "s3cret-Pa55"},
    )
    assert login.token is None
    assert login.header("Idempotency-Key") is None  # auth requests carry none
    assert (me.method, me.path, me.token) == ("GET", ME, "acc-1")
    assert (tokens.access_token, tokens.refresh_token, user.id, user.get("email")) == (
        "acc-1",
        "ref-1",
        "u1",
        "admin@finizi.ai",
    )
    assert not client.session.signed_in  # storing is the session store's job


async def test_login_failure_is_clear_and_never_repeats_the_password(client, fake) -> None:
    fake.on("POST", LOGIN, json_response(401, {"detail": "Incorrect phone number or password"}))
    exc, err = await failing(client.login("+84909495665", "s3cret-Pa55"))
    assert (exc.code, exc.reason, exc.status) == (ErrorCode.INVALID_CREDENTIALS, "credentials", 401)
    assert err.message == (
        "Login failed: the phone number or password was refused. The API's own words are in api_detail. "
        "Check the credentials and try again."
    )
    assert err.api_detail == "Incorrect phone number or password"
    assert len(fake.sent) == 1  # a refused login is never retried


async def test_a_backend_that_echoes_the_password_has_it_redacted(client, fake) -> None:
    fake.on("POST", LOGIN, json_response(422, {"detail": "password s3cret-Pa55 is too weak"}))
    exc, err = await failing(client.login("+84909495665", "s3cret-Pa55"))
    assert exc.code == ErrorCode.VALIDATION_FAILED
    assert exc.detail == "password [REDACTED] is too weak"
    assert "s3cret-Pa55" not in err.message


@pytest.mark.parametrize(
    "pair", [{"access_token": ""}, {"access_token": "a b"}, {"access_token": "ok", "refresh_token": "x\ny"}]
)
async def test_an_unusable_token_is_refused_before_anything_is_stored(client, fake, pair) -> None:
    fake.on("POST", LOGIN, json_response(200, pair))
    exc, _ = await failing(client.login("+84909495665", "s3cret-Pa55"))
    assert (exc.code, exc.reason) == (ErrorCode.BAD_RESPONSE, "bad_token")
    assert [r.path for r in fake.sent] == [LOGIN]  # the user is not looked up with a bad token


# -- refresh --------------------------------------------------------------------------


async def test_an_expired_token_is_refreshed_once_and_the_call_retried(client, fake) -> None:
    signed_in(client)
    fake.on("GET", ME, by_token("access-new-2", json_response(200, {"id": "u1", "email": "a@finizi.ai"})))
    fake.on("POST", REFRESH, NEW_PAIR)
    user = await client.me()
    assert user.get("email") == "a@finizi.ai"
    assert [(r.method, r.path, r.token) for r in fake.sent] == [
        ("GET", ME, "access-old-1"),
        ("POST", REFRESH, None),
        ("GET", ME, "access-new-2"),
    ]
    assert fake.sent[1].json == {"refresh_token": "refresh-old-1"}
    assert client.session.secrets() == ("access-new-2", "refresh-new-2")
    assert client.session.refreshes == 1


async def test_a_write_takes_a_new_idempotency_key_after_the_refresh(client, fake) -> None:
    signed_in(client)
    fake.on("PUT", ENTITY, by_token("access-new-2", json_response(200, {"id": EID, "name": "New"})))
    fake.on("POST", REFRESH, NEW_PAIR)
    entity = await client.update_entity(EID, {"name": "New"})
    first, second = fake.requests_to("PUT", ENTITY)
    assert entity.name == "New"
    assert first.header("Idempotency-Key") is not None and second.header("Idempotency-Key") is not None
    # A 401 means nothing was done, and the backend binds a key to its first attempt.
    assert first.header("Idempotency-Key") != second.header("Idempotency-Key")
    assert first.header("X-Entity-Id") == second.header("X-Entity-Id") == EID


async def test_ten_concurrent_calls_after_expiry_make_exactly_one_refresh(client, fake) -> None:
    signed_in(client)

    async def slow_refresh(request: ApiRequest) -> ApiResponse:
        await anyio.sleep(0.05)  # let every other call meet its 401 meanwhile
        return NEW_PAIR

    fake.on("GET", ME, by_token("access-new-2", json_response(200, {"id": "u1"})))
    fake.on("POST", REFRESH, slow_refresh)
    users = []

    async def one() -> None:
        users.append(await client.me())

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(one)
    assert len(fake.requests_to("POST", REFRESH)) == 1
    assert [u.id for u in users] == ["u1"] * 10
    assert client.session.refreshes == 1


async def test_a_rejected_refresh_clears_the_session_and_asks_for_login(client, fake) -> None:
    signed_in(client)
    fake.on("GET", ME, EXPIRED)
    fake.on("POST", REFRESH, json_response(401, {"detail": "Invalid refresh token"}))
    exc, err = await failing(client.me())
    assert (exc.code, exc.reason) == (ErrorCode.SESSION_EXPIRED, "session_expired")
    assert "login" in err.message
    assert not client.session.signed_in
    assert client.session.secrets() == ()


async def test_a_second_401_after_a_good_refresh_ends_the_session(client, fake) -> None:
    signed_in(client)
    fake.on("GET", ME, EXPIRED)
    fake.on("POST", REFRESH, NEW_PAIR)
    exc, _ = await failing(client.me())
    assert exc.code == ErrorCode.SESSION_EXPIRED
    assert len(fake.requests_to("GET", ME)) == 2
    assert not client.session.signed_in


async def test_a_refresh_that_cannot_reach_the_api_keeps_the_session(client, fake) -> None:
    signed_in(client)
    fake.on("GET", ME, EXPIRED)
    fake.on("POST", REFRESH, text_response(503, "<html>busy</html>"))
    exc, _ = await failing(client.me())
    assert exc.code == ErrorCode.BACKEND_UNAVAILABLE
    assert client.session.secrets() == ("access-old-1", "refresh-old-1")  # try again later
    assert len(fake.requests_to("POST", REFRESH)) == 1  # a refresh is never repeated


# -- statuses and bodies ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "code", "words"),
    [
        (
            json_response(404, {"detail": "Invoice not found"}),
            ErrorCode.NOT_FOUND,
            "not found or not accessible",
        ),
        (json_response(403, {"detail": "No access"}), ErrorCode.NOT_FOUND, "not found or not accessible"),
        (
            json_response(409, {"detail": "Entity with this tax ID already exists"}),
            ErrorCode.CONFLICT,
            "already exists",
        ),
        (
            json_response(422, {"detail": [{"loc": ["body", "tax_id"], "msg": "invalid tax id"}]}),
            ErrorCode.VALIDATION_FAILED,
            "tax_id: invalid tax id",
        ),
        (json_response(413, {"detail": "File too large"}), ErrorCode.PAYLOAD_TOO_LARGE, "5 MB"),
        (
            json_response(429, {"detail": "slow down"}, headers={"retry-after": "7"}),
            ErrorCode.RATE_LIMITED,
            "Retry after 7 seconds",
        ),
        (
            text_response(503, "<html><h1>503 Service Unavailable</h1></html>"),
            ErrorCode.BACKEND_UNAVAILABLE,
            "temporarily unavailable",
        ),
        (text_response(502, "<html>Bad gateway</html>"), ErrorCode.BACKEND_UNAVAILABLE, "HTTP 502"),
        (json_response(500, {"detail": "boom at db:5432"}), ErrorCode.BACKEND_ERROR, "HTTP 500"),
    ],
)
async def test_each_status_becomes_one_clear_error(client, fake, answer, code, words) -> None:
    signed_in(client)
    fake.on("GET", ENTITY, answer)
    _, err = await failing(client.get_entity(EID))
    assert err.code is code
    assert words in f"{err.message} {err.api_detail or ''}"
    assert "<html" not in err.message and "<html" not in (err.api_detail or "")
    assert "db:5432" not in (err.api_detail or "")
    assert "db:5432" not in err.message
    assert "access-old-1" not in err.message


async def test_403_and_404_read_the_same_so_ids_cannot_be_probed(client, fake) -> None:
    signed_in(client)
    fake.on(
        "GET", ENTITY, json_response(403, {"detail": "whatever"}), json_response(404, {"detail": "other"})
    )
    forbidden = await failing(client.get_entity(EID))
    missing = await failing(client.get_entity(EID))
    assert (forbidden[1].code, forbidden[1].message) == (missing[1].code, missing[1].message)
    assert forbidden[1].code == ErrorCode.NOT_FOUND


async def test_passing_failures_of_a_read_are_retried_then_it_succeeds(client, fake) -> None:
    signed_in(client)
    busy = text_response(503, "busy")
    fake.on("GET", ENTITY, busy, TransportFailure("connect", "reset"), json_response(200, {"id": EID}))
    entity = await client.get_entity(EID)
    assert entity.id == EID
    assert len(fake.requests_to("GET", ENTITY)) == 3


async def test_a_read_gives_up_after_three_attempts(client, fake) -> None:
    signed_in(client)
    fake.on("GET", ENTITY, text_response(503, "busy"))
    exc, _ = await failing(client.get_entity(EID))
    assert (exc.code, exc.status, exc.retryable) == (ErrorCode.BACKEND_UNAVAILABLE, 503, True)
    assert len(fake.requests_to("GET", ENTITY)) == 3


async def test_a_long_retry_after_ends_the_call_at_once_and_says_when(client, fake) -> None:
    signed_in(client)
    fake.on("GET", ENTITY, json_response(429, {"detail": "slow down"}, headers={"retry-after": "60"}))
    exc, _ = await failing(client.get_entity(EID))
    assert (exc.code, exc.retry_after) == (ErrorCode.RATE_LIMITED, 60.0)
    assert len(fake.requests_to("GET", ENTITY)) == 1


@pytest.mark.parametrize(
    ("failure", "code", "words"),
    [
        (
            TransportFailure("connect", "Cannot connect to host b4b.test:80"),
            ErrorCode.BACKEND_UNAVAILABLE,
            "FINIZI_API_URL",
        ),
        (TransportFailure("timeout", "no answer"), ErrorCode.BACKEND_TIMEOUT, "did not answer in time"),
        (TransportFailure("too_large", "over the cap"), ErrorCode.BAD_RESPONSE, "it was not read"),
    ],
)
async def test_transport_failures_are_reported_as_such(client, fake, failure, code, words) -> None:
    signed_in(client)
    fake.on("GET", ME, failure)
    _, err = await failing(client.me())
    assert err.code is code
    assert words in err.message


async def test_a_body_that_is_not_json_is_a_bad_response(client, fake) -> None:
    signed_in(client)
    fake.on("GET", ME, text_response(200, "<html>login page</html>"))
    exc, _ = await failing(client.me())
    assert (exc.code, exc.reason) == (ErrorCode.BAD_RESPONSE, "not_json")


async def test_records_without_ids_are_bad_responses_but_unknown_fields_are_kept(client, fake) -> None:
    signed_in(client)
    fake.on(
        "GET",
        ME,
        json_response(200, {"email": "no-id@finizi.ai"}),
        json_response(200, {"id": "u1", "email": "a@finizi.ai", "locale": "vi-VN"}),
    )
    exc, _ = await failing(client.me())
    user = await client.me()
    assert exc.code == ErrorCode.BAD_RESPONSE
    assert user.get("locale") == "vi-VN"


# -- requests ---------------------------------------------------------------------------


async def test_paging_parameter_names_follow_each_endpoint(client, fake) -> None:
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
    fake.on("GET", f"{ENTITY}/invoices", json_response(200, page))
    fake.on("GET", f"{ENTITY}/products", json_response(200, page))
    await client.list_invoices(EID, page=2, page_size=50, status="paid", direction=0)
    await client.list_products(EID, page=2, per_page=50, search="cà phê")
    invoices, products = fake.sent
    assert invoices.query == (("page", "2"), ("page_size", "50"), ("status", "paid"), ("direction", "0"))
    assert products.query == (("page", "2"), ("per_page", "50"), ("search", "cà phê"))
    assert invoices.header("X-Entity-Id") == EID


async def test_the_semantic_search_is_scoped_by_its_body(client, fake) -> None:
    signed_in(client)
    fake.on("POST", "/api/v1/semantic-search/products/search", json_response(200, []))
    assert await client.similar_products(EID, query_text="cà phê", top_k=3, min_similarity=0.5) == []
    (search,) = fake.sent
    assert search.json == {"entity_id": EID, "query_text": "cà phê", "top_k": 3, "min_similarity": 0.5}
    assert search.header("X-Entity-Id") == EID
    assert search.header("Idempotency-Key") is not None


async def test_a_request_whose_path_names_no_entity_carries_the_one_it_names():
    from finizi_b4b.api.headers import api_headers

    bare = ApiRequest("GET", "/api/v1/invoices/42/payments")
    named = ApiRequest("GET", "/api/v1/invoices/42/payments", entity_id=EID)
    assert dict(api_headers(bare)).get("X-Entity-Id") is None
    assert dict(api_headers(named))["X-Entity-Id"] == EID


async def test_an_invoices_payments_are_asked_for_with_the_entity_in_the_header(client, fake) -> None:
    signed_in(client)
    body = {
        "items": [{"id": "p1", "invoice_id": "42", "amount": "1250000.50", "status": "posted"}],
        "total": 1,
    }
    fake.on("GET", "/api/v1/invoices/42/payments", json_response(200, body))
    answer = await client.invoice_payments(EID, "42")
    (sent,) = fake.sent
    assert sent.header("X-Entity-Id") == EID and sent.header("Idempotency-Key") is None
    assert [(p.id, p.invoice_id, str(p.paid), p.cancelled) for p in answer.items] == [
        ("p1", "42", "1250000.50", False)
    ]
    assert answer.paid_amount is None  # not sent: never made up


async def test_a_payment_is_a_write_with_one_key_for_its_retries(client, fake) -> None:
    signed_in(client)
    path = f"{ENTITY}/invoices/42/payments"
    fake.on("POST", path, TransportFailure("connect", "reset"), json_response(201, {"queued_jobs": ["j1"]}))
    made = await client.pay_invoice(EID, "42", {"amount": 1000})
    first, second = fake.requests_to("POST", path)
    assert first.header("Idempotency-Key") == second.header("Idempotency-Key") is not None
    assert first.header("X-Entity-Id") == EID and first.json == {"amount": 1000}
    assert made.queued_jobs == ["j1"] and made.invoice_status is None and made.outstanding_amount is None


async def test_the_registry_record_reads_what_it_carries_and_nothing_more(client, fake) -> None:
    signed_in(client)
    fake.on("GET", f"{ENTITY}/companies/0312345678", json_response(200, {"name": " Công ty A ", "x": 1}))
    company = await client.company(EID, "0312345678")
    assert (company.name, company.address, company.is_branch, company.parent_tax_code) == (
        "Công ty A",
        None,
        None,
        None,
    )
    assert company.as_json() == {"name": " Công ty A ", "x": 1}
    fake.on("GET", f"{ENTITY}/companies/0312345679", json_response(404, {"detail": "No company"}))
    error, _ = await failing(client.company(EID, "0312345679"))
    assert error.code == "not_found" and error.status == 404


@pytest.mark.parametrize(
    "body",
    [
        {"success": True, "data": {"vendor": {"id": "v1", "name": "A"}, "matched_by": "parent"}},
        {"vendor": {"id": "v1", "name": "A"}, "matched_by": "parent"},
    ],
)
async def test_vendor_by_tax_id_reads_both_documented_shapes(client, fake, body) -> None:
    signed_in(client)
    fake.on("POST", f"{ENTITY}/vendors/search-by-tax-id", json_response(200, body))
    vendor, rest = await client.vendor_by_tax_id(EID, "0305556667-001")
    assert (vendor.id, vendor.name, rest) == ("v1", "A", {"matched_by": "parent"})
    assert fake.sent[0].json == {"tax_id": "0305556667-001"}


@pytest.mark.parametrize("body", [{"success": True, "data": None}, {"vendor": None}])
async def test_vendor_by_tax_id_without_a_match_is_not_found(client, fake, body) -> None:
    signed_in(client)
    fake.on("POST", f"{ENTITY}/vendors/search-by-tax-id", json_response(200, body))
    exc, _ = await failing(client.vendor_by_tax_id(EID, "0305556667"))
    assert (exc.code, exc.reason) == (ErrorCode.NOT_FOUND, "no_match")


async def test_closing_the_client_closes_its_transport(client, fake) -> None:
    await client.aclose()
    assert fake.closed
