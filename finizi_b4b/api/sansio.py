"""Pure functions of the API client: no I/O here.

``decode`` turns an HTTP answer into JSON or into the one :class:`ToolError`
that status means; it is the only place that maps statuses to errors.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import from_json

from finizi_b4b.api.transport import ApiResponse, TransportFailure
from finizi_b4b.errors import ErrorCode, ToolError

__all__ = ["backend_detail", "decode", "error_for", "transport_error"]

_MAX_DETAIL = 300


def _json_body(resp: ApiResponse) -> Any:
    if not resp.body:
        return None
    # pydantic-core (which the mcp SDK brings) parses a page of invoices in about half json's time.
    return from_json(resp.body)


def backend_detail(resp: ApiResponse) -> str | None:
    """The backend's FastAPI ``detail`` as one short line, or ``None`` (HTML pages, empty bodies)."""
    ctype = resp.header("content-type") or ""
    if "json" not in ctype:
        return None
    try:
        body = _json_body(resp)
    except ValueError:
        return None
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        text = detail
    elif isinstance(detail, list):
        parts = []
        for item in detail:
            if not isinstance(item, dict):
                continue
            loc = [str(p) for p in item.get("loc", []) if p not in ("body", "query", "path")]
            msg = str(item.get("msg", "invalid value"))
            parts.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
        text = "; ".join(parts)
    else:
        return None
    text = " ".join(text.split())
    return text[: _MAX_DETAIL - 1] + "…" if len(text) > _MAX_DETAIL else text or None


def _retry_after(resp: ApiResponse) -> str:
    raw = (resp.header("retry-after") or "").strip()
    return f" Retry after {raw} seconds." if raw.isdigit() else " Wait a moment before retrying."


def error_for(resp: ApiResponse, what: str) -> ToolError:
    """The error a non-2xx answer means. ``what`` names the object asked for, e.g. ``Invoice 1f…``."""
    status = resp.status
    detail = backend_detail(resp)
    said = f" The API said: {detail.rstrip('.')}." if detail else ""
    if status == 401:
        return ToolError(
            ErrorCode.NOT_AUTHENTICATED, "The B4B API rejected the session." + said, status=status
        )
    if status in (403, 404):
        # The same code and words for both, so that ids cannot be probed.
        return ToolError(
            ErrorCode.NOT_FOUND,
            f"{what} was not found or not accessible with your account. "
            "Check the id (list_entities and the list tools show valid ones).",
            status=status,
        )
    if status == 409:
        return ToolError(
            ErrorCode.CONFLICT,
            f"The B4B API refused this as a conflict with existing data.{said} Nothing was changed.",
            status=status,
        )
    if status == 413:
        return ToolError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            "The B4B API refused the upload as too large (limit 5 MB).",
            status=status,
        )
    if status in (400, 422):
        return ToolError(
            ErrorCode.VALIDATION_FAILED,
            f"The B4B API rejected the request as invalid.{said} Correct the input and try again.",
            status=status,
        )
    if status == 429:
        return ToolError(
            ErrorCode.RATE_LIMITED,
            "The B4B API is rate limiting requests." + _retry_after(resp),
            status=status,
        )
    if status in (502, 503, 504):
        return ToolError(
            ErrorCode.BACKEND_UNAVAILABLE,
            f"The Finizi B4B API is temporarily unavailable (HTTP {status}). Try again in a moment.",
            status=status,
        )
    return ToolError(
        ErrorCode.BACKEND_ERROR,
        f"The B4B API failed with HTTP {status} ({what}).{said} Try again later.",
        status=status,
    )


def decode(resp: ApiResponse, what: str) -> Any:
    """The JSON of a 2xx answer, or the error its status means."""
    if not 200 <= resp.status < 300:
        raise error_for(resp, what)
    try:
        return _json_body(resp)
    except ValueError:
        raise ToolError(
            ErrorCode.BAD_RESPONSE,
            f"The B4B API sent an answer that is not JSON ({what}). Check FINIZI_API_URL.",
            status=resp.status,
        ) from None


def transport_error(exc: TransportFailure) -> ToolError:
    if exc.kind == "timeout":
        return ToolError(
            ErrorCode.BACKEND_TIMEOUT, "The Finizi B4B API did not answer in time. Try again in a moment."
        )
    return ToolError(
        ErrorCode.BACKEND_UNAVAILABLE,
        f"Could not reach the Finizi B4B API ({exc.detail}). Check FINIZI_API_URL and your network.",
    )
