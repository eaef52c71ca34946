"""What one server connection holds: its settings, its session, and its handlers once a call needs them.

A :class:`Runtime` is made by :func:`finizi_b4b.server.build_server` when a
connection starts (the lifespan) and is the ``lifespan_context`` of every
request. It holds state only; what goes into it is decided in ``server.py``.
The handlers are opened on the first tool call (``open_handlers``, also given
by ``server.py``), so that the ``initialize`` handshake does not wait for
aiohttp or cattrs to be imported.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from finizi_b4b.config import Settings
from finizi_b4b.confirm import Confirmer
from finizi_b4b.session import SessionStore

if TYPE_CHECKING:
    from finizi_b4b.api.transport import Transport
    from finizi_b4b.tools import Call

__all__ = ["HandlerMethod", "Handlers", "Runtime", "TransportFactory", "default_transport"]

TransportFactory = Callable[[Settings], "Transport"]
HandlerMethod = Callable[["Call"], Awaitable[dict[str, Any]]]


def default_transport(settings: Settings) -> Transport:
    """The transport of a connection to a real API: aiohttp, with the configured timeouts."""
    from finizi_b4b import __version__
    from finizi_b4b.api.aiohttp_transport import AiohttpTransport

    return AiohttpTransport(
        settings.api_url,
        total_timeout=settings.request_timeout,
        connect_timeout=settings.connect_timeout,
        user_agent=f"finizi-b4b/{__version__}",
    )


async def _nothing_to_close() -> None:
    return None


Describer = Callable[["Call"], Awaitable["str | None"]]


async def _nothing_to_ask(call: Call) -> str | None:
    return None


@attrs.frozen
class Handlers:
    """The bound handler method of each tool, the method that words a write for the user to confirm
    (where the tool has one), and what closes what they opened (the HTTP client)."""

    methods: Mapping[str, HandlerMethod]
    close: Callable[[], Awaitable[None]] = _nothing_to_close
    describers: Mapping[str, Describer] = attrs.Factory(dict)


@attrs.define
class Runtime:
    """The state of one connection."""

    settings: Settings
    open_handlers: Callable[[Runtime], Handlers]
    session: SessionStore = attrs.field(factory=SessionStore)
    confirmer: Confirmer = attrs.field(factory=Confirmer)
    _handlers: Handlers | None = attrs.field(default=None, init=False)

    def secrets(self) -> tuple[str, ...]:
        """The live tokens and the configured password, for redaction only."""
        password = self.settings.password
        return (*self.session.secrets(), *((password,) if password else ()))

    def handler(self, name: str) -> HandlerMethod:
        """The method serving ``name``, a tool the router knows (the router checks the name)."""
        return self._opened().methods[name]

    def describer(self, name: str) -> Describer:
        """The method that says what a call of ``name`` would do, for the user to confirm."""
        return self._opened().describers.get(name, _nothing_to_ask)

    def _opened(self) -> Handlers:
        if self._handlers is None:
            self._handlers = self.open_handlers(self)
        return self._handlers

    async def aclose(self) -> None:
        if self._handlers is not None:
            await self._handlers.close()
