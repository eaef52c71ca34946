"""The one place that turns handler output and errors into MCP tool results.

Success: ``{"success": true, ...}``, sent as JSON text (UTF-8, Vietnamese
unescaped, for clients that ignore structured output) and as
``structuredContent`` (matching the tool's ``outputSchema``). Failure:
``isError`` with the JSON text ``{"success": false, "error": ..., "code": ...}``.
"""

from __future__ import annotations

from typing import Any

import mcp.types as types
from pydantic_core import to_json

from finizi_b4b.errors import ToolError

__all__ = ["dumps", "failure", "success"]


def dumps(payload: Any) -> str:
    """Compact JSON with non-ASCII text kept as is (pydantic-core's encoder: json's, four times faster)."""
    return to_json(payload).decode()


def success(payload: dict[str, Any]) -> types.CallToolResult:
    body = {"success": True, **payload}
    return types.CallToolResult(content=[types.TextContent(text=dumps(body))], structured_content=body)


def failure(error: ToolError) -> types.CallToolResult:
    """An ``isError`` result whose text is the JSON body; no ``structuredContent``.

    A tool's ``outputSchema`` describes its successful result, and clients (the
    MCP Inspector among them) validate any ``structuredContent`` against it even
    on errors, so an error body there would be reported as a broken result.
    """
    body = {"success": False, "error": error.message, "code": error.code.value}
    return types.CallToolResult(content=[types.TextContent(text=dumps(body))], is_error=True)
