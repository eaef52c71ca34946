"""The floor: a bare low-level server of the same SDK with one trivial tool.

What any MCP server on this SDK pays for starting, handshaking and answering;
the benchmark compares finizi-b4b with it.
"""

from __future__ import annotations

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


async def list_tools(ctx, params) -> types.ListToolsResult:
    return types.ListToolsResult(tools=[ECHO])


async def call_tool(ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
    text = str((params.arguments or {}).get("text", ""))
    return types.CallToolResult(content=[types.TextContent(text=text)], structured_content={"text": text})


async def main() -> None:
    server = Server("floor", version="1.0.0", on_list_tools=list_tools, on_call_tool=call_tool)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


if __name__ == "__main__":
    anyio.run(main)
