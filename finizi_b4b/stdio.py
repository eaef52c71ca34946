"""The stdio loop: the SDK's stdio transport, with its rough edges filed off.

- mcp 2.3 reads stdin in a worker thread that cannot be interrupted, so a
  server waiting for input ignored Ctrl-C (and a broken stdout) until the next
  line came. :class:`StdinLines` reads in a daemon thread instead.
- A line the SDK cannot parse (a batch, a lone surrogate, a number with
  thousands of digits, deep nesting) reaches the server as an ``Exception``
  item, which the low-level server drops: the client waits for ever.
  :class:`AnswerUnreadable` answers each such line with a JSON-RPC 2.0 error.
  So does a request whose ``id`` is no usable id (``true``, ``null``, ``{}``,
  ``1.5``, ``1e400``): the SDK reads it as a notification and never answers;
  it gets -32600 "Invalid Request" with id null, as JSON-RPC 2.0 says.
- The SDK writes each message to stdout in two trips to a worker thread
  (write, then flush); :class:`StdoutLines` makes it one.

A client that closes its end of stdout ends the loop quietly.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, cast

import anyio
import anyio.from_thread
import anyio.lowlevel
import mcp.types as types
from mcp.shared.message import SessionMessage

if TYPE_CHECKING:
    from anyio.streams.memory import MemoryObjectSendStream
    from mcp.server import Server
    from mcp.shared._stream_protocols import ReadStream, WriteStream

__all__ = ["AnswerUnreadable", "StdinLines", "StdoutLines", "serve_stdio", "unreadable_answer"]

log = logging.getLogger("finizi_b4b")


async def serve_stdio(server: Server[Any], *, stdin: StdinLines | None = None) -> None:
    """Run ``server`` on this process's stdin and stdout until stdin ends or stdout is closed."""
    from mcp.server.stdio import stdio_server

    lines = stdin or StdinLines()
    out, restore = StdoutLines.claim()
    try:
        async with stdio_server(
            stdin=cast("anyio.AsyncFile[str]", lines), stdout=cast("anyio.AsyncFile[str] | None", out)
        ) as (read_stream, write_stream):
            guarded = AnswerUnreadable(read_stream, write_stream, lines.raw)
            await server.run(guarded, write_stream, server.create_initialization_options())
    except* (BrokenPipeError, ConnectionResetError):
        log.info("the client closed the server's stdout; stopped")
        restore = None
        _quiet_stdout()
    finally:
        if restore is not None:
            restore()


def _quiet_stdout() -> None:
    """Point fd 1 at the null device, so that the final flush at exit cannot fail on the closed pipe."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)


class StdoutLines:
    """The protocol's output: each message and its newline handed to one write, off the event loop.

    The SDK's own stdout is a text file whose ``write`` and ``flush`` each take
    a trip to a worker thread; here ``write`` only collects and ``flush`` writes
    it all in one trip. As with the SDK, the wire is a private duplicate of fd
    1, and fd 1 points at stderr while serving, so that stray output from
    libraries misses the wire.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._pending: list[str] = []

    @classmethod
    def claim(cls) -> tuple[StdoutLines | None, Callable[[], None] | None]:
        """The wire on a private duplicate of fd 1, and how to give fd 1 back; ``(None, None)`` where
        descriptors cannot be moved so (Windows, or no fd 1): the SDK's own stdout then."""
        if sys.platform == "win32":  # pragma: no cover
            return None, None
        import fcntl

        try:
            private = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 3)
        except OSError:
            return None, None
        try:
            stray = os.dup(2)
        except OSError:
            stray = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(stray, 1)
        except OSError:
            os.close(private)
            return None, None
        finally:
            os.close(stray)

        def restore() -> None:  # the private descriptor stays open: a worker may still be writing to it
            with contextlib.suppress(OSError):
                os.dup2(private, 1)

        return cls(private), restore

    async def write(self, text: str) -> None:
        self._pending.append(text)

    async def flush(self) -> None:
        data = "".join(self._pending).encode("utf-8")
        self._pending.clear()
        await anyio.to_thread.run_sync(_write_all, self.fd, data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class StdinLines:
    """The protocol's input lines, read by a daemon thread.

    The blocking read happens in a daemon thread that hands each line to the
    event loop: ending the wait is immediate (:meth:`close`), and the process
    can exit while the thread is still blocked. Each line is also kept in
    ``raw``, in order, for :class:`AnswerUnreadable`.
    """

    def __init__(self, fd: int = 0) -> None:
        self.fd = fd
        self.raw: deque[str] = deque()
        self._closed = False
        self._send: MemoryObjectSendStream[bytes] | None = None

    def close(self) -> None:
        """End the input now, as if stdin had reached its end (call it from the event loop)."""
        self._closed = True
        if self._send is not None:
            self._send.close()

    async def __aiter__(self) -> AsyncIterator[str]:
        if self._closed:
            return
        send, receive = anyio.create_memory_object_stream[bytes](0)
        self._send = send
        token = anyio.lowlevel.current_token()
        threading.Thread(target=self._pump, args=(send, token), name="finizi-b4b stdin", daemon=True).start()
        async with receive:
            async for data in receive:
                line = data.decode("utf-8", errors="replace")
                self.raw.append(line)
                yield line

    def _pump(self, send: MemoryObjectSendStream[bytes], token: Any) -> None:
        stream = os.fdopen(self.fd, "rb", closefd=False)
        # stdin failing, or the loop being gone, is the end of input either way
        ended = (OSError, ValueError, RuntimeError, anyio.BrokenResourceError, anyio.ClosedResourceError)
        try:
            with contextlib.suppress(*ended):
                for data in stream:
                    anyio.from_thread.run(send.send, data, token=token)
        finally:
            with contextlib.suppress(RuntimeError):
                anyio.from_thread.run_sync(send.close, token=token)


class AnswerUnreadable:
    """The SDK's read stream, with each line it could not parse answered by a JSON-RPC error.

    The SDK hands such a line on as an ``Exception`` item that the server
    drops, so the client would wait for ever. Items arrive in the order of the
    lines (one item per line), so the line behind each item is ``raw``'s first.
    """

    def __init__(
        self,
        inner: ReadStream[SessionMessage | Exception],
        write: WriteStream[SessionMessage],
        raw: deque[str],
    ) -> None:
        self._inner = inner
        self._write = write
        self._raw = raw

    @property
    def last_context(self) -> Any:  # the dispatcher reads the sender's context from here
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> SessionMessage | Exception:
        while True:
            item = await self._inner.receive()
            line = self._raw.popleft() if self._raw else ""
            if not isinstance(item, Exception):
                if not (isinstance(item.message, types.JSONRPCNotification) and _has_id(line)):
                    return item
                answer = _error(None, -32600, _UNUSABLE_ID)
                log.warning("answered a request with an unusable id (not a string or an integer)")
                await self._write.send(SessionMessage(answer))
                continue
            if not line.strip():
                continue  # an empty line is no message at all
            answer = unreadable_answer(line, item)
            log.warning("answered an unreadable message with %s", answer.error.message.split(":", 1)[0])
            await self._write.send(SessionMessage(answer))

    def __aiter__(self) -> AnswerUnreadable:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> AnswerUnreadable:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class _TooLong:
    """A number too long to be an id."""


def _int(text: str) -> int | _TooLong:
    return int(text) if len(text) <= 30 else _TooLong()


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_UNUSABLE_ID = (
    "Invalid Request: the id must be a string or an integer (a message without an id is a notification, "
    "which gets no answer)"
)


def _has_id(line: str) -> bool:
    """Whether ``line``, read by the SDK as a notification, has an ``id`` member all the same."""
    if '"id"' not in line and "\\u" not in line:  # most notifications: no need to read them twice
        return False
    try:
        value = json.loads(line, parse_int=_int, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return False
    return isinstance(value, dict) and "id" in value


def unreadable_answer(line: str, problem: Exception) -> types.JSONRPCError:
    """The JSON-RPC 2.0 error for a line the SDK could not read.

    Not JSON at all (or nested too deep to look into): -32700 "Parse error"
    with id null. JSON, but not a message this server reads (a batch, a lone
    surrogate, a huge number, deep nesting): -32600 "Invalid Request", with
    the request's id when it has a usable one.
    """
    try:
        value = json.loads(line, parse_int=_int, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return _error(None, -32700, "Parse error: the message is not valid JSON")
    if isinstance(value, list):
        batch = "Invalid Request: batches (JSON arrays) are not supported; send one message per line"
        return _error(None, -32600, batch)
    request_id = value.get("id") if isinstance(value, dict) and "method" in value else None
    if isinstance(request_id, bool) or not isinstance(request_id, int | str):
        request_id = None
    return _error(request_id, -32600, f"Invalid Request: {_reason(problem)}")


def _reason(problem: Exception) -> str:
    errors = getattr(problem, "errors", None)
    first = errors()[0] if callable(errors) and errors() else None
    if first and first.get("type") == "json_invalid":
        detail = str(first.get("msg", "")).removeprefix("Invalid JSON: ")
        return (
            f"the message cannot be read ({detail[:120]}); strings must be valid Unicode, and numbers "
            "and nesting depth are limited"
        )
    return "not a JSON-RPC 2.0 request, notification or response"


def _error(request_id: int | str | None, code: int, message: str) -> types.JSONRPCError:
    return types.JSONRPCError(jsonrpc="2.0", id=request_id, error=types.ErrorData(code=code, message=message))
