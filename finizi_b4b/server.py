"""Where the server is put together.

:func:`build_server` wires settings, the transport, the session store (in
:class:`~finizi_b4b.runtime.Runtime`), the router and any call observers (the
cassette recorder is one) into the low-level MCP server. :func:`run` is
``finizi-b4b serve``: the optional embedded sandbox, recording, the stdio loop
of :mod:`finizi_b4b.stdio`, and Ctrl-C, which stops the server at once.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any, Protocol

import anyio
import mcp.types as types
from mcp.server import Server, ServerRequestContext

from finizi_b4b import __version__
from finizi_b4b.config import ConfigError, Settings
from finizi_b4b.router import ToolRouter
from finizi_b4b.runtime import Runtime, TransportFactory, default_transport
from finizi_b4b.stdio import StdinLines, serve_stdio

if TYPE_CHECKING:
    from finizi_b4b.cassette.recording import Recorder

__all__ = ["INSTRUCTIONS", "CallObserver", "build_server", "run", "serve_stdio"]

log = logging.getLogger("finizi_b4b")

INSTRUCTIONS = (
    "Finizi B4B: Vietnamese e-invoices and accounting. Call login first (with no arguments it uses the "
    "credentials configured for the server). Then list_entities gives the entity ids that the invoice, "
    "vendor and product tools need. The session lasts for the whole conversation."
)

TTY_HINT = (
    "finizi-b4b serve speaks the Model Context Protocol on stdin and stdout: it is meant to be started by "
    "an MCP client (a desktop app or an editor), not typed into.\n"
    "To try it: `finizi-b4b demo` runs a scripted session against the embedded sandbox, and the MCP "
    "Inspector gives a UI: `npx @modelcontextprotocol/inspector finizi-b4b serve --sandbox`.\n"
    "Press Ctrl-C to stop."
)

Context = ServerRequestContext[Runtime, Any]
CallTool = Callable[[Context, types.CallToolRequestParams], Awaitable[types.CallToolResult]]


class CallObserver(Protocol):
    """Watches tool calls without changing them (the cassette recorder is one).

    ``call_started`` runs before the router handles a call, in the call's own
    task; whatever it returns is given back to ``call_finished``, which gets
    the result, or None if the call ended without one (it was cancelled).
    """

    def call_started(self, name: str, arguments: Mapping[str, Any]) -> Any: ...

    def call_finished(
        self, pending: Any, name: str, arguments: Mapping[str, Any], result: types.CallToolResult | None
    ) -> None: ...


def _observed(call_tool: CallTool, observers: tuple[CallObserver, ...]) -> CallTool:
    """``call_tool`` with each observer told about each call; an observer that fails is dropped, once."""
    active = list(observers)

    def safely(observer: CallObserver, step: Callable[[], Any]) -> Any:
        try:
            return step()
        except Exception:
            if observer in active:  # logged once, even when concurrent calls fail together
                active.remove(observer)
                log.exception("call observer %s failed and was turned off", type(observer).__name__)
            return None

    async def call(ctx: Context, params: types.CallToolRequestParams) -> types.CallToolResult:
        name, arguments = params.name, params.arguments or {}
        watching = list(active)
        pending = [safely(o, lambda o=o: o.call_started(name, arguments)) for o in watching]
        result: types.CallToolResult | None = None
        try:
            result = await call_tool(ctx, params)
        finally:
            for observer, note in reversed(list(zip(watching, pending, strict=True))):
                if observer in active:
                    safely(observer, lambda o=observer, n=note: o.call_finished(n, name, arguments, result))
        return result

    return call


def build_server(
    settings: Settings | None = None,
    *,
    transport_factory: TransportFactory = default_transport,
    router: ToolRouter | None = None,
    observers: tuple[CallObserver, ...] = (),
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

    call_tool: CallTool = router.call_tool
    server: Server[Runtime] = Server(
        "finizi-b4b",
        version=__version__,
        title="Finizi B4B",
        description="Vietnamese e-invoicing and accounting on the Finizi B4B platform",
        instructions=INSTRUCTIONS,
        website_url="https://admin.finizi.ai",
        lifespan=lifespan,
        on_list_tools=router.list_tools,
        on_call_tool=_observed(call_tool, observers) if observers else call_tool,
    )
    return server


# -- `finizi-b4b serve` ---------------------------------------------------------


def run(settings: Settings, *, sandbox: bool = False, record: str | None = None) -> int:
    """Serve over stdio until stdin ends; 130 after Ctrl-C; a ``ConfigError`` if it cannot start."""
    with ExitStack() as stack:
        recorder = None
        if record:
            from finizi_b4b.cassette import CassetteError, Recorder

            try:
                recorder = stack.enter_context(Recorder.open(record))
            except CassetteError as exc:
                raise ConfigError(str(exc)) from None
        if os.isatty(0):
            print(TTY_HINT, file=sys.stderr, flush=True)
        try:
            interrupted = anyio.run(_serve, settings, sandbox, recorder)
        except KeyboardInterrupt:
            interrupted = True
    return 130 if interrupted else 0


async def _serve(settings: Settings, sandbox: bool, recorder: Recorder | None) -> bool:
    """Serve until stdin ends or Ctrl-C; whether it was Ctrl-C."""
    stdin = StdinLines()
    interrupted = anyio.Event()
    async with AsyncExitStack() as stack:
        watcher = await stack.enter_async_context(anyio.create_task_group())
        stack.callback(watcher.cancel_scope.cancel)
        if sys.platform != "win32":
            watcher.start_soon(_stop_on_sigint, stdin, interrupted)
        if sandbox:
            import attrs

            from finizi_b4b.sandbox import DEMO_ADMIN, Sandbox

            box = await stack.enter_async_context(Sandbox(port=0))
            changes: dict[str, Any] = {"api_url": box.url}
            if not settings.phone:
                changes.update(phone=DEMO_ADMIN.phone, password=DEMO_ADMIN.password)
            settings = attrs.evolve(settings, **changes)
            log.info("embedded sandbox API at %s (demo user %s)", box.url, DEMO_ADMIN.phone)
        factory: TransportFactory = default_transport
        observers: tuple[CallObserver, ...] = ()
        if recorder is not None:
            factory, observers = recorder.wrap_factory(default_transport), (recorder,)
            log.info("recording tool calls to %s", recorder.path)
        server = build_server(settings, transport_factory=factory, observers=observers)
        log.info(
            "finizi-b4b %s serving on stdio; API host %s; %s",
            __version__,
            settings.api_host,
            settings.credentials(),
        )
        await serve_stdio(server, stdin=stdin)
    return interrupted.is_set()


async def _stop_on_sigint(stdin: StdinLines, interrupted: anyio.Event) -> None:
    """Ctrl-C ends the input, so the server stops the way it does when the client goes away.

    In-flight calls are cancelled and the session closed at once; should that
    take more than a few seconds (or Ctrl-C come again), the process exits anyway.
    """
    import signal

    with anyio.open_signal_receiver(signal.SIGINT) as signals:
        async for _ in signals:
            if interrupted.is_set():
                os._exit(130)
            interrupted.set()
            log.info("interrupted; stopping")
            deadline = threading.Timer(5.0, os._exit, (130,))
            deadline.daemon = True
            deadline.start()
            stdin.close()
