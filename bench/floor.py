"""The floor: a bare low-level server of the same SDK with trivial tools and no work behind them.

What any MCP server on this SDK pays for starting, handshaking and answering;
the benchmark compares finizi-b4b with it. ``echo`` answers its text back;
``repeat`` answers the last echoed text again (as JSON text plus the same
object as structured content, when the text is a JSON object), so that the
floor can serve a result exactly as large as a real tool's without being sent
that much. With ``FLOOR_FETCH`` set to a URL, the first call also makes one
GET of it with aiohttp and keeps the session: the floor of figure 2's second
reference, a bare server that holds an aiohttp client as this design must.
"""

from __future__ import annotations

import json
import os
from typing import Any

import anyio
import mcp.types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

ECHO = types.Tool(
    name="echo",
    description="Echo a text back.",
    input_schema={
        "type": "object",
        "properties": {"text": {"type": "string"}},
        "additionalProperties": False,
    },
)
REPEAT = types.Tool(
    name="repeat",
    description="Answer the last echoed text again.",
    input_schema={"type": "object", "properties": {}, "additionalProperties": False},
)

_last: dict[str, Any] = {"text": "", "structured": {"text": ""}}


async def list_tools(ctx, params) -> types.ListToolsResult:
    return types.ListToolsResult(tools=[ECHO, REPEAT])


_client: dict[str, Any] = {}


async def _fetch_once(url: str) -> None:
    """With FLOOR_FETCH set: one GET of that URL with aiohttp on the first call, the session kept open,
    so that the floor holds what any aiohttp client of the API holds (figure 2's second reference)."""
    import aiohttp

    session = _client.setdefault("session", aiohttp.ClientSession())
    async with session.get(url) as resp:
        await resp.read()


async def call_tool(ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
    url = os.environ.get("FLOOR_FETCH")
    if url and "session" not in _client:
        await _fetch_once(url)
    if params.name == "repeat":
        return types.CallToolResult(
            content=[types.TextContent(text=_last["text"])], structured_content=_last["structured"]
        )
    text = str((params.arguments or {}).get("text", ""))
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    _last["text"], _last["structured"] = text, parsed if isinstance(parsed, dict) else {"text": text}
    return types.CallToolResult(content=[types.TextContent(text=text)], structured_content={"text": text})


async def main() -> None:
    server = Server("floor", version="1.0.0", on_list_tools=list_tools, on_call_tool=call_tool)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


if __name__ == "__main__":
    anyio.run(main)
