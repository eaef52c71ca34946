"""Pure functions of the API client: no I/O here, and no words for the model.

``decode`` turns an HTTP answer into JSON or into the one :class:`ApiError`
that status means; it is the only place that maps statuses to errors.

JSON is read strictly: ``NaN``, ``Infinity`` and numbers too large for a
float (``1e999``) are refused as a ``bad_response`` (reason
``"not_strict_json"``) rather than passed on, because no JSON a tool returns
may hold them, and making up a value (``null``, a string) would misstate what
the API said.

The bodies of 5xx answers are never read into an error: they can hold a
backend's internals (stack traces, connection strings). A short digest
(status, length and a SHA-256 prefix) is logged instead, enough to match the
answer with the backend's own logs.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import math
import re
import time
from typing import Any

from pydantic_core import from_json

from finizi_b4b.api.errors import (
    ApiError,
    BackendError,
    BackendTimeout,
    BackendUnavailable,
    BadResponse,
    Conflict,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Reason,
    RequestRefused,
    Subject,
    ValidationFailed,
)
from finizi_b4b.api.transport import MAX_ANSWER_BYTES, ApiResponse, TransportFailure
from finizi_b4b.api.untrusted import clean_json, json_text_is_clean

__all__ = [
    "LONGEST_RETRY_AFTER",
    "TRANSIENT_STATUSES",
    "NotStrictJson",
    "backend_detail",
    "body_digest",
    "decode",
    "error_for",
    "is_strict_json",
    "parse_json",
    "retry_after_seconds",
    "transport_error",
]

log = logging.getLogger("finizi_b4b.http")

_MAX_DETAIL = 300
LONGEST_RETRY_AFTER = 2**31  # seconds
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
_DETAIL_KEYS = ("detail", "message", "error")


class NotStrictJson(ValueError):
    """The body parsed as JSON only with a non-finite number in it."""


def is_strict_json(value: Any) -> bool:
    """Whether ``value`` holds no NaN or infinity anywhere (in its dicts, lists and tuples)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return True


# What a JSON number must hold to overflow a float (over 1.8e308): an exponent of three digits or more, or,
# with an exponent of at most 99, over 200 digits before it. The body is mapped to character classes in
# one C-level pass (digits to 0, value starts to S, exponent letters to e, signs to +, whitespace to a
# space) and searched there, which is several times faster than a regular expression on the body itself
# (a bytes.find of "e000" is slow too, as the class text is full of 0). An exponent found is checked to
# start a value (so that "5e123" in a UUID is not one). Where neither is found, no number in the body can
# have become an infinity; where one is, the walk of the value decides.
_CLASSES = bytes.maketrans(b":,[0123456789eE+-\t\r\n", b"SSS0000000000ee++   ")
_EXPONENT_RE = re.compile(rb"e\+?000")
_LONG_DIGITS = b"0" * 200
_IN_MANTISSA = b"0. +"
_LOOK_BACK = 512  # bytes before an exponent looked at; a longer run of mantissa counts as a value start


def _starts_a_value(classes: bytes, exponent: int) -> bool:
    """Whether the ``e`` at ``exponent`` ends a mantissa that starts a value (after S, or at the start).

    A run of mantissa characters longer than the look-back answers yes: the walk decides then."""
    if classes[exponent - 1] != ord("0"):
        return False
    before = classes[max(0, exponent - _LOOK_BACK) : exponent].rstrip(_IN_MANTISSA)
    return not before or before[-1] == ord("S")


def _may_hold_non_finite(body: bytes) -> bool:
    """A cheap, exact-when-false test on the body as sent; when it is true, the walk of the value decides."""
    classes = body.translate(_CLASSES)
    if _LONG_DIGITS in classes:
        return True
    return any(_starts_a_value(classes, found.start()) for found in _EXPONENT_RE.finditer(classes))


def parse_json(body: bytes) -> Any:
    """Strict JSON: ``ValueError`` for invalid JSON, :class:`NotStrictJson` for NaN or infinities."""
    if not body:
        return None
    try:
        # pydantic-core (which the mcp SDK brings) parses faster than json (see the benchmark).
        value = from_json(body, allow_inf_nan=False)
    except ValueError:
        if b"NaN" in body or b"Infinity" in body:
            try:
                from_json(body)
            except ValueError:
                raise ValueError("not JSON") from None
            raise NotStrictJson("NaN or Infinity") from None
        raise
    # 1e999 parses to inf even with allow_inf_nan=False.
    if _may_hold_non_finite(body) and not is_strict_json(value):
        raise NotStrictJson("a number out of range")
    return value


def _one_line(text: str) -> str | None:
    text = " ".join(text.split())
    return text[: _MAX_DETAIL - 1] + "…" if len(text) > _MAX_DETAIL else text or None


def _detail_text(detail: Any) -> str | None:
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):  # FastAPI's 422 list form
        parts = []
        for item in detail:
            if isinstance(item, str):
                parts.append(item)
                continue
            if not isinstance(item, dict):
                continue
            loc = [str(p) for p in item.get("loc", []) if p not in ("body", "query", "path")]
            msg = str(item.get("msg", "invalid value"))
            parts.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
        return "; ".join(parts)
    if isinstance(detail, dict):
        return next((detail[k] for k in ("message", "msg", "error") if isinstance(detail.get(k), str)), None)
    return None


def backend_detail(resp: ApiResponse) -> str | None:
    """The backend's own words for a 4xx, as one short line: ``detail``, else ``message``, else ``error``.

    ``None`` for 5xx answers (never shown), HTML pages and empty bodies.
    """
    if resp.status >= 500:
        return None
    ctype = resp.header("content-type") or ""
    if "json" not in ctype:
        return None
    try:
        body = parse_json(resp.body)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    for key in _DETAIL_KEYS:
        text = _detail_text(body.get(key))
        if text:
            return _one_line(text)
    return None


def body_digest(body: bytes) -> str:
    return f"{len(body)} bytes, sha256 {hashlib.sha256(body).hexdigest()[:16]}"


def retry_after_seconds(resp: ApiResponse, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds from now (delta-seconds or an HTTP date), or ``None``.

    Delta-seconds are ASCII digits only; a value over :data:`LONGEST_RETRY_AFTER`
    (2**31 seconds, 68 years) is read as that, as RFC 9111 section 1.2.2 says of
    a delta-seconds too large to represent, so that no wait is infinite.
    """
    raw = (resp.header("retry-after") or "").strip()
    if not raw:
        return None
    if raw.isascii() and raw.isdigit():
        digits = raw.lstrip("0") or "0"  # int() of thousands of digits is slow, and refused past 4300
        return float(min(int(digits), LONGEST_RETRY_AFTER) if len(digits) <= 10 else LONGEST_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None or when.tzinfo is None:
        return None
    wait = when.timestamp() - (time.time() if now is None else now)
    return min(max(0.0, wait), float(LONGEST_RETRY_AFTER))


# Statuses the Finizi API never sends (FastAPI answers an unknown method with 405): an address that
# answers them is something else, a plain web server most likely.
NOT_THE_API_STATUSES = frozenset({501, 505})
# What each status means, in the one place it is decided; any other 4xx or 5xx is a BackendError.
_KINDS: dict[int, type[ApiError]] = {
    400: ValidationFailed,
    401: NotAuthenticated,
    403: NotFound,  # the same as 404, so that ids cannot be probed
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: ValidationFailed,
    429: RateLimited,
    502: BackendUnavailable,
    503: BackendUnavailable,
    504: BackendUnavailable,
}


def error_for(resp: ApiResponse, subject: Subject | None = None) -> ApiError:
    """The error a non-2xx answer means."""
    status = resp.status
    if 300 <= status < 400:
        return BadResponse(Reason.REDIRECT, status=status, subject=subject)
    if status in NOT_THE_API_STATUSES:
        return BackendError(Reason.NOT_THE_API, status=status, subject=subject)
    detail = backend_detail(resp)
    if status >= 500:
        log.warning("the B4B API answered HTTP %d: body not shown (%s)", status, body_digest(resp.body))
    kind = _KINDS.get(status, BackendError if status >= 500 else RequestRefused)
    transient = status in TRANSIENT_STATUSES
    return kind(
        Reason.STATUS,
        status=status,
        detail=detail,
        subject=subject,
        retryable=transient,
        retry_after=retry_after_seconds(resp) if transient else None,
    )


def decode(resp: ApiResponse, subject: Subject | None = None) -> Any:
    """The JSON of a 2xx answer, or the error its status means."""
    if not 200 <= resp.status < 300:
        raise error_for(resp, subject)
    if len(resp.body) > MAX_ANSWER_BYTES:  # transports that do not cap (a replayed cassette)
        raise BadResponse(Reason.TOO_LARGE, status=resp.status, subject=subject)
    try:
        value = parse_json(resp.body)
    except NotStrictJson:
        raise BadResponse(Reason.NOT_STRICT_JSON, status=resp.status, subject=subject) from None
    except ValueError:
        raise BadResponse(Reason.NOT_JSON, status=resp.status, subject=subject) from None
    # Text written by others (names, notes, lines) is cleaned where the answer is read: invisible,
    # bidi and control characters and ANSI escapes go, and it is NFC. Clean answers cost one scan.
    return value if json_text_is_clean(resp.body) else clean_json(value)


def transport_error(exc: TransportFailure, subject: Subject | None = None) -> ApiError:
    if exc.kind == "too_large":
        return BadResponse(Reason.TOO_LARGE, subject=subject)
    if exc.kind == "timeout":
        return BackendTimeout(Reason.TIMEOUT, subject=subject)
    return BackendUnavailable(Reason.CONNECT, detail=exc.detail, subject=subject)
