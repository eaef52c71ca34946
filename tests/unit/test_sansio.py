"""The pure functions of the API client: statuses to errors, the backend's words, strict JSON."""

from __future__ import annotations

import email.utils
import json
import logging

import pytest

from finizi_b4b.api import sansio
from finizi_b4b.api.errors import ApiError, Subject
from finizi_b4b.api.transport import MAX_ANSWER_BYTES, ApiResponse, TransportFailure
from finizi_b4b.errors import ErrorCode

JSON = {"content-type": "application/json"}
INVOICE = Subject("invoice", ("i1", "e1"))


def answer(status: int, body: object = None, **headers: str) -> ApiResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ApiResponse(status, {**JSON, **{k.replace("_", "-"): v for k, v in headers.items()}}, raw)


# -- statuses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (400, ErrorCode.VALIDATION_FAILED, False),
        (401, ErrorCode.NOT_AUTHENTICATED, False),
        (403, ErrorCode.NOT_FOUND, False),
        (404, ErrorCode.NOT_FOUND, False),
        (409, ErrorCode.CONFLICT, False),
        (413, ErrorCode.PAYLOAD_TOO_LARGE, False),
        (418, ErrorCode.BACKEND_ERROR, False),
        (422, ErrorCode.VALIDATION_FAILED, False),
        (429, ErrorCode.RATE_LIMITED, True),
        (500, ErrorCode.BACKEND_ERROR, False),
        (502, ErrorCode.BACKEND_UNAVAILABLE, True),
        (503, ErrorCode.BACKEND_UNAVAILABLE, True),
        (504, ErrorCode.BACKEND_UNAVAILABLE, True),
    ],
)
def test_each_status_maps_to_one_error(status, code, retryable) -> None:
    err = sansio.error_for(answer(status, {"detail": "x"}), INVOICE)
    assert (err.code, err.reason, err.status, err.retryable, err.subject) == (
        code,
        "status",
        status,
        retryable,
        INVOICE,
    )


def test_403_and_404_are_the_same_error_so_ids_cannot_be_probed() -> None:
    forbidden = sansio.error_for(answer(403, {"detail": "same words"}))
    missing = sansio.error_for(answer(404, {"detail": "same words"}))
    assert (forbidden.code, forbidden.reason, forbidden.detail) == (
        missing.code,
        missing.reason,
        missing.detail,
    )
    assert forbidden.code == ErrorCode.NOT_FOUND


def test_a_redirect_is_a_bad_response() -> None:
    err = sansio.error_for(ApiResponse(302, {"location": "http://elsewhere.test/"}))
    assert (err.code, err.reason, err.status) == (ErrorCode.BAD_RESPONSE, "redirect", 302)


@pytest.mark.parametrize("status", [200, 201, 204])
def test_a_2xx_answer_decodes_to_its_json(status) -> None:
    assert sansio.decode(answer(status, {"id": "i1", "tags": ["a"]})) == {"id": "i1", "tags": ["a"]}


def test_an_empty_2xx_body_is_none() -> None:
    assert sansio.decode(ApiResponse(204, {}, b"")) is None


def test_decode_raises_the_status_error() -> None:
    with pytest.raises(ApiError) as err:
        sansio.decode(answer(409, {"detail": "exists"}), INVOICE)
    assert (err.value.code, err.value.detail, err.value.subject) == (ErrorCode.CONFLICT, "exists", INVOICE)


# -- the backend's words ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"detail": "Invoice not found"}, "Invoice not found"),
        ({"message": "Entity is locked"}, "Entity is locked"),
        ({"error": "quota exceeded"}, "quota exceeded"),
        ({"detail": "first", "message": "second", "error": "third"}, "first"),
        ({"detail": "", "message": "the message"}, "the message"),
        ({"detail": {"message": "nested words"}}, "nested words"),
        ({"detail": {"msg": "nested msg"}}, "nested msg"),
        (
            {
                "detail": [
                    {"loc": ["body", "tax_id"], "msg": "invalid tax id"},
                    {"loc": ["query"], "msg": "bad"},
                ]
            },
            "tax_id: invalid tax id; bad",
        ),
        ({"detail": ["plain", {"loc": ["body", "a", 0], "msg": "too short"}]}, "plain; a.0: too short"),
        ({"detail": "  spread \n over\tlines  "}, "spread over lines"),
    ],
)
def test_the_backend_detail_is_read_from_detail_message_or_error(body, words) -> None:
    assert sansio.backend_detail(answer(422, body)) == words
    assert sansio.error_for(answer(422, body)).detail == words


def test_a_long_detail_is_cut_to_one_short_line() -> None:
    detail = sansio.backend_detail(answer(400, {"detail": "word " * 200}))
    assert detail is not None
    assert len(detail) == 300
    assert detail.endswith("…")


@pytest.mark.parametrize(
    "resp",
    [
        ApiResponse(404, {"content-type": "text/html"}, b"<html>Not here</html>"),
        ApiResponse(404, JSON, b""),
        ApiResponse(404, JSON, b"{not json"),
        ApiResponse(404, JSON, b'["a list"]'),
        ApiResponse(404, JSON, b'{"detail": 42}'),
    ],
)
def test_no_detail_without_a_json_object_that_says_something(resp) -> None:
    assert sansio.backend_detail(resp) is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_body_never_reaches_the_error(status, caplog) -> None:
    body = {"detail": "Traceback: password=hunter2 at postgres://db:5432"}
    raw = json.dumps(body).encode()
    with caplog.at_level(logging.WARNING, logger="finizi_b4b.http"):
        err = sansio.error_for(ApiResponse(status, JSON, raw))
    assert err.detail is None
    assert sansio.backend_detail(ApiResponse(status, JSON, raw)) is None
    assert "hunter2" not in caplog.text
    assert sansio.body_digest(raw) in caplog.text  # enough to find the answer in the backend's logs


def test_the_body_digest_is_length_and_a_hash_prefix() -> None:
    assert sansio.body_digest(b"abc") == "3 bytes, sha256 ba7816bf8f01cfea"


# -- Retry-After ----------------------------------------------------------------------


def test_retry_after_in_seconds() -> None:
    err = sansio.error_for(answer(429, {"detail": "slow"}, retry_after="7"))
    assert (err.retry_after, err.retryable) == (7.0, True)


def test_retry_after_as_an_http_date() -> None:
    now = 1_700_000_000.0
    when = email.utils.formatdate(now + 30, usegmt=True)
    assert sansio.retry_after_seconds(answer(503, None, retry_after=when), now=now) == 30.0


def test_a_retry_after_date_in_the_past_is_zero() -> None:
    when = email.utils.formatdate(1_700_000_000.0 - 60, usegmt=True)
    assert sansio.retry_after_seconds(answer(503, None, retry_after=when), now=1_700_000_000.0) == 0.0


@pytest.mark.parametrize("raw", ["", "soon", "-5", "1.5", "Sun, 99 Foo 2024 99:99:99"])
def test_an_unreadable_retry_after_is_none(raw) -> None:
    assert sansio.retry_after_seconds(answer(429, None, retry_after=raw)) is None


@pytest.mark.parametrize("raw", ["\u00b2", "\u0663", "\uff17", "7\u00b2"])
def test_a_retry_after_in_other_digits_than_ascii_is_unreadable(raw) -> None:
    assert sansio.retry_after_seconds(answer(429, None, retry_after=raw)) is None


@pytest.mark.parametrize("raw", ["9" * 400, "9" * 20, "2147483649", "0" * 30 + "2147483649"])
def test_a_retry_after_too_long_to_mean_anything_is_two_to_the_31_seconds(raw) -> None:
    # As RFC 9111 section 1.2.2 says of a delta-seconds too large to represent.
    assert sansio.retry_after_seconds(answer(429, None, retry_after=raw)) == 2.0**31


def test_a_long_retry_after_written_with_leading_zeros_is_read_as_its_value() -> None:
    assert sansio.retry_after_seconds(answer(429, None, retry_after="0" * 30 + "45")) == 45.0


def test_retry_after_is_read_only_for_passing_failures() -> None:
    assert sansio.error_for(answer(400, {"detail": "no"}, retry_after="7")).retry_after is None
    assert sansio.error_for(answer(503, None, retry_after="7")).retry_after == 7.0


# -- strict JSON ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b"[-Infinity]",
        b'{"a": 1e999}',
        b'{"a": [1, -2.5E+400]}',
        b"1e999",
        b'{"a": ' + b"9" * 250 + b"e99}",  # a two-digit exponent on a long mantissa
        b'{"a": ' + b"9" * 210 + b".5e99}",
        b'{"a": -' + b"9" * 320 + b".0}",  # no exponent at all
    ],
)
def test_non_finite_numbers_are_refused(body) -> None:
    with pytest.raises(sansio.NotStrictJson):
        sansio.parse_json(body)
    with pytest.raises(ApiError) as err:
        sansio.decode(ApiResponse(200, JSON, body))
    assert (err.value.code, err.value.reason) == (ErrorCode.BAD_RESPONSE, "not_strict_json")


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (b'{"id": "5e123abc-0000", "amount": 1e300}', {"id": "5e123abc-0000", "amount": 1e300}),
        (b'{"text": "NaN and Infinity are words"}', {"text": "NaN and Infinity are words"}),
        (b'{"n": 12345678901234567890}', {"n": 12345678901234567890}),
        (b'{"a": ' + b"9" * 199 + b"e99}", {"a": float("9" * 199 + "e99")}),  # 1e298: large, finite
    ],
)
def test_finite_json_that_looks_odd_is_read_as_it_is(body, value) -> None:
    assert sansio.parse_json(body) == value


@pytest.mark.parametrize("body", [b"{not json", b'{"a": 1,}', b"<html>", b'{"a": NaN'])
def test_invalid_json_is_not_json(body) -> None:
    try:
        sansio.parse_json(body)
    except sansio.NotStrictJson:
        pytest.fail("invalid JSON read as JSON with a non-finite number")
    except ValueError:
        pass
    else:
        pytest.fail("invalid JSON parsed")
    with pytest.raises(ApiError) as api_err:
        sansio.decode(ApiResponse(200, JSON, body))
    assert api_err.value.reason == "not_json"


def test_is_strict_json_walks_every_container() -> None:
    assert sansio.is_strict_json({"a": [1, {"b": (2.5, "inf")}]})
    assert not sansio.is_strict_json({"a": [1, {"b": (2.5, float("inf"))}]})
    assert not sansio.is_strict_json([float("nan")])


def test_an_answer_over_the_size_cap_is_refused() -> None:
    body = b'"' + b"x" * MAX_ANSWER_BYTES + b'"'
    with pytest.raises(ApiError) as err:
        sansio.decode(ApiResponse(200, JSON, body))
    assert (err.value.code, err.value.reason) == (ErrorCode.BAD_RESPONSE, "too_large")


def test_an_answer_at_the_size_cap_is_read() -> None:
    body = b'"' + b"x" * (MAX_ANSWER_BYTES - 2) + b'"'
    assert len(sansio.decode(ApiResponse(200, JSON, body))) == MAX_ANSWER_BYTES - 2


# -- transport failures -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "code", "reason", "retryable"),
    [
        ("timeout", ErrorCode.BACKEND_TIMEOUT, "timeout", True),
        ("connect", ErrorCode.BACKEND_UNAVAILABLE, "connect", True),
        ("too_large", ErrorCode.BAD_RESPONSE, "too_large", False),
    ],
)
def test_transport_failures_map_to_errors(kind, code, reason, retryable) -> None:
    err = sansio.transport_error(TransportFailure(kind, "what happened"), INVOICE)
    assert (err.code, err.reason, err.retryable, err.subject) == (code, reason, retryable, INVOICE)


@pytest.mark.parametrize(
    "body",
    [
        b'{"a":\n\t -1.5e999}',  # whitespace of every kind before the value
        b"[\r\n1E+309]",
        b'{"id": "5e123abc", "n": 2e400}',  # a UUID-like string first, then the real one
        b'{"a":' + b" " * 2000 + b"1e999}",  # more whitespace than the look-back before the value
        b"[" + b"1" * 199 + b".5e999]",  # a long mantissa, under the 200 digits that count alone
    ],
)
def test_the_quick_test_never_misses_an_infinity(body) -> None:
    with pytest.raises(sansio.NotStrictJson):
        sansio.parse_json(body)


def test_exponent_like_text_in_strings_is_read_as_it_is() -> None:
    body = b'{"ids": ["ab5e123-0000", "5e1234"], "note": "1e999 is text here", "x": [1.5e300]}'
    assert sansio.parse_json(body) == {
        "ids": ["ab5e123-0000", "5e1234"],
        "note": "1e999 is text here",
        "x": [1.5e300],
    }
