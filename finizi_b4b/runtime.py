"""What one server connection holds: settings, the session store, and (lazily) the API client and handlers.

The session store is created when the server starts and shared by every
handler. The HTTP client and the handler classes are only needed for tool
calls, so they are imported and built on the first call: the ``initialize``
handshake does not wait for aiohttp or cattrs.

Each handler runs inside :func:`~finizi_b4b.api.headers.tool_call`, so that
every request it makes carries the ``X-Agent-*`` headers of its tool call, and
every :class:`~finizi_b4b.api.errors.ApiError` it lets through becomes the
:class:`~finizi_b4b.errors.ToolError` worded in ``finizi_b4b.tools.messages``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs

from finizi_b4b.config import Settings
from finizi_b4b.session import SessionStore

if TYPE_CHECKING:
    from finizi_b4b.api.transport import Transport
    from finizi_b4b.tools import Call, Services

__all__ = ["Runtime", "TransportFactory"]

TransportFactory = Callable[[Settings], "Transport"]
HandlerMethod = Callable[["Call"], Awaitable[dict[str, Any]]]


def default_transport(settings: Settings) -> Transport:
    from finizi_b4b.api.aiohttp_transport import AiohttpTransport

    return AiohttpTransport(
        settings.api_url, total_timeout=settings.request_timeout, connect_timeout=settings.connect_timeout
    )


def _in_tool_call(method: HandlerMethod) -> HandlerMethod:
    """``method`` run as its tool call: X-Agent context set, API errors worded for the model."""

    async def run(call: Call) -> dict[str, Any]:
        from finizi_b4b.api.errors import ApiError
        from finizi_b4b.api.headers import tool_call
        from finizi_b4b.tools.messages import tool_error

        try:
            with tool_call(call.context):
                return await method(call)
        except ApiError as exc:
            raise tool_error(exc) from None

    return run


@attrs.define
class Runtime:
    settings: Settings = attrs.field(factory=Settings.from_env)
    transport_factory: TransportFactory = default_transport
    session: SessionStore = attrs.field(factory=SessionStore)
    _services: Services | None = attrs.field(default=None, init=False)
    _handlers: dict[str, HandlerMethod] | None = attrs.field(default=None, init=False)

    def secrets(self) -> tuple[str, ...]:
        password = self.settings.password
        return (*self.session.secrets(), *((password,) if password else ()))

    def services(self) -> Services:
        if self._services is None:
            from finizi_b4b.api.client import B4BClient
            from finizi_b4b.tools import Services

            from finizi_b4b.api.client import call_deadline_for

            deadline = getattr(self.settings, "call_deadline", None) or call_deadline_for(
                self.settings.request_timeout
            )
            client = B4BClient(self.transport_factory(self.settings), self.session, call_deadline=deadline)
            self._services = Services(client=client, session=self.session, settings=self.settings)
        return self._services

    def handler(self, name: str) -> HandlerMethod:
        if self._handlers is None:
            from finizi_b4b.tools import registry

            services = self.services()
            instances: dict[type, Any] = {}
            table = {}
            for tool_name, (cls, method) in registry().items():
                instance = instances.setdefault(cls, cls(services))
                table[tool_name] = _in_tool_call(getattr(instance, method))
            self._handlers = table
        try:
            return self._handlers[name]
        except KeyError:
            from finizi_b4b.errors import ErrorCode, ToolError

            raise ToolError(ErrorCode.UNKNOWN_TOOL, f"The tool {name!r} has no implementation.") from None

    def call(self, args: dict[str, Any], ctx: Any, name: str | None = None) -> Call:
        """The handler's view of one tool call; ``name`` and the MCP request id make its X-Agent headers."""
        from finizi_b4b.api.headers import ToolCallContext
        from finizi_b4b.tools import Call

        request_id = getattr(ctx, "request_id", None)
        context = ToolCallContext(
            tool_call_id="" if request_id is None else str(request_id), tool_name=name or "unknown"
        )
        return Call(args, progress=ctx.session.report_progress, context=context)

    async def aclose(self) -> None:
        if self._services is not None:
            await self._services.client.aclose()
