"""Builds the low-level MCP server and runs it over stdio."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server import Server

from finizi_b4b import __version__
from finizi_b4b.config import Settings
from finizi_b4b.router import ToolRouter
from finizi_b4b.runtime import Runtime, TransportFactory, default_transport

__all__ = ["INSTRUCTIONS", "build_server", "serve_stdio"]

log = logging.getLogger("finizi_b4b")

INSTRUCTIONS = (
    "Finizi B4B: Vietnamese e-invoices and accounting. Call login first (with no arguments it uses the "
    "credentials configured for the server). Then list_entities gives the entity ids that the invoice, "
    "vendor and product tools need. The session lasts for the whole conversation."
)


def build_server(
    settings: Settings | None = None,
    *,
    transport_factory: TransportFactory = default_transport,
    router: ToolRouter | None = None,
) -> Server[Runtime]:
    """The finizi-b4b server; each connection gets one :class:`Runtime` (one session store)."""
    router = router or ToolRouter()

    @asynccontextmanager
    async def lifespan(_: Server[Runtime]) -> AsyncIterator[Runtime]:
        runtime = Runtime(settings or Settings.from_env(), transport_factory)
        try:
            yield runtime
        finally:
            await runtime.aclose()

    server: Server[Runtime] = Server(
        "finizi-b4b",
        version=__version__,
        title="Finizi B4B",
        description="Vietnamese e-invoicing and accounting on the Finizi B4B platform",
        instructions=INSTRUCTIONS,
        website_url="https://admin.finizi.ai",
        lifespan=lifespan,
        on_list_tools=router.list_tools,
        on_call_tool=router.call_tool,
    )
    return server


async def serve_stdio(server: Server[Runtime]) -> None:
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
