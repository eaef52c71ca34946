"""The one place that turns handler output and errors into MCP tool results.

Success: ``{"success": true, ...}``, sent as JSON text (UTF-8, Vietnamese
unescaped, for clients that ignore structured output) and as
``structuredContent`` (matching the tool's ``outputSchema``). Failure:
``isError`` with the JSON text ``{"success": false, "error": ..., "code": ...}``,
plus ``"retryable": true`` (and ``"retry_after_s"`` when the backend said)
for a failure that may pass.

Results are strict JSON. The API client already refuses answers holding NaN
or infinities (as ``bad_response``); should a non-finite number reach a result
anyway, the call fails with ``bad_response`` rather than send ``NaN``,
``Infinity`` or a made-up value.
"""

from __future__ import annotations

import math
from typing import Any

import mcp.types as types
from pydantic_core import to_json

from finizi_b4b.api.sansio import is_strict_json
from finizi_b4b.errors import ErrorCode, ToolError

__all__ = ["dumps", "failure", "is_strict_json", "success"]


def dumps(payload: Any) -> str:
    """Compact JSON with non-ASCII text kept as is (pydantic-core's encoder, faster than json's)."""
    return to_json(payload).decode()


def success(payload: dict[str, Any]) -> types.CallToolResult:
    body = {"success": True, **payload}
    encoded = to_json(body)
    # The encoder writes a non-finite float as a bare NaN or Infinity; only when one of those words
    # appears at all (it may be inside a string) is the value walked to tell. Searched in the bytes,
    # many times faster than in the text of a result with Vietnamese in it.
    if (b"NaN" in encoded or b"Infinity" in encoded) and not is_strict_json(body):
        from finizi_b4b.tools.messages import NOT_STRICT_RESULT

        raise ToolError(ErrorCode.BAD_RESPONSE, NOT_STRICT_RESULT)
    return types.CallToolResult(content=[types.TextContent(text=encoded.decode())], structured_content=body)


def failure(error: ToolError) -> types.CallToolResult:
    """An ``isError`` result whose text is the JSON body; no ``structuredContent``.

    A tool's ``outputSchema`` describes its successful result, and clients (the
    MCP Inspector among them) validate any ``structuredContent`` against it even
    on errors, so an error body there would be reported as a broken result.
    """
    body: dict[str, Any] = {"success": False, "error": error.message, "code": error.code.value}
    if error.api_detail:
        body["api_detail"] = error.api_detail
    if getattr(error, "retryable", False):
        body["retryable"] = True
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None and math.isfinite(retry_after):
            body["retry_after_s"] = max(1, math.ceil(retry_after))
    return types.CallToolResult(content=[types.TextContent(text=dumps(body))], is_error=True)
