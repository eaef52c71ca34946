"""Recording: a transport that notes each HTTP exchange, and an observer that writes one line per tool call.

The :class:`Recorder` watches tool calls from the outside (the server wires it
around the router's ``call_tool``); it never changes what a call returns. When
the cassette cannot be written any more (a full disk, a removed file) the
failure is logged once, recording stops, and every call goes on as before.
"""

from __future__ import annotations

import contextvars
import logging
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import attrs
import mcp.types as types

from finizi_b4b.api.redact import Redactor
from finizi_b4b.api.transport import ApiRequest, ApiResponse, Transport, TransportFailure
from finizi_b4b.cassette.format import (
    CASSETTE_VERSION,
    CassetteWriter,
    HeaderMarkers,
    request_record,
    response_record,
    result_record,
)
from finizi_b4b.config import Settings
from finizi_b4b.runtime import TransportFactory

__all__ = ["PendingCall", "Recorder", "RecordingTransport"]

log = logging.getLogger("finizi_b4b.cassette")

_EXCHANGES: contextvars.ContextVar[list[dict[str, Any]] | None] = contextvars.ContextVar(
    "finizi_b4b_exchanges", default=None
)


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


class RecordingTransport:
    """Passes requests to the real transport and notes each exchange for the current call."""

    def __init__(self, inner: Transport, redactor: Redactor, markers: HeaderMarkers | None = None) -> None:
        self.inner = inner
        self.redactor = redactor
        self.markers = markers if markers is not None else HeaderMarkers()

    async def send(self, request: ApiRequest) -> ApiResponse:
        exchanges = _EXCHANGES.get()
        record = request_record(request, self.redactor, self.markers) if exchanges is not None else None
        started = time.perf_counter()
        try:
            response = await self.inner.send(request)
        except TransportFailure as exc:
            if exchanges is not None:
                exchanges.append(
                    {
                        "request": record,
                        "error": {"kind": exc.kind, "detail": exc.detail},
                        "elapsed_ms": _elapsed_ms(started),
                    }
                )
            raise
        if exchanges is not None:
            exchanges.append(
                {
                    "request": record,
                    "response": response_record(response, self.redactor),
                    "elapsed_ms": _elapsed_ms(started),
                }
            )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@attrs.frozen
class PendingCall:
    """A call being recorded: where its exchanges go, and when it started."""

    token: contextvars.Token[list[dict[str, Any]] | None]
    exchanges: list[dict[str, Any]]
    started: float


@attrs.define
class Recorder:
    """Appends each tool call, with its exchanges, to a cassette, redacting as it writes.

    A call observer: the server calls :meth:`call_started` before the router
    runs a call and :meth:`call_finished` after it, in the same task.
    """

    writer: CassetteWriter
    redactor: Redactor = attrs.field(factory=lambda: Redactor(numbered=True))
    markers: HeaderMarkers = attrs.field(factory=HeaderMarkers)
    session: str = attrs.field(factory=lambda: os.urandom(4).hex())
    seq: int = 0
    stopped: bool = False
    # The configured sign-in, as the first line written after the server made its transport records it
    # (the password as its marker); a replay signs in automatically just as the recording did.
    signin: dict[str, Any] | None = None
    # The API address the server talked to, recorded with the sign-in: a replay answers as that address, so
    # that results which name it (a report's download link) replay the same.
    api_url: str | None = None
    _signin_pending: bool = False

    @classmethod
    @contextmanager
    def open(cls, path: str | os.PathLike[str]) -> Iterator[Recorder]:
        """A recorder appending to ``path``; a :class:`CassetteError` at once if it cannot be written."""
        writer = CassetteWriter(path)
        try:
            yield cls(writer)
        finally:
            writer.close()

    @property
    def path(self) -> str:
        return str(self.writer.path)

    def wrap_factory(self, factory: TransportFactory) -> TransportFactory:
        def make(settings: Settings) -> Transport:
            self.redactor.add(settings.password, kind="password")
            self.note_signin(settings)
            return RecordingTransport(factory(settings), self.redactor, self.markers)

        return make

    def note_signin(self, settings: Settings) -> None:
        """Remember whether ``settings`` sign in by themselves, and the API address, for the next line to
        record."""
        self.api_url = settings.api_url
        if settings.signs_in and settings.password:
            password = self.redactor.marker(settings.password, "password")
            self.signin = {"phone": settings.phone, "password": password}
        else:
            self.signin = None
        self._signin_pending = True

    def call_started(self, name: str, arguments: Mapping[str, Any]) -> PendingCall | None:
        if self.stopped:
            return None
        exchanges: list[dict[str, Any]] = []
        return PendingCall(_EXCHANGES.set(exchanges), exchanges, time.perf_counter())

    def call_finished(
        self,
        pending: PendingCall | None,
        name: str,
        arguments: Mapping[str, Any],
        result: types.CallToolResult | None,
    ) -> None:
        """Write the call's line; ``result`` is None when the call ended without one (it was cancelled)."""
        if pending is None:
            return
        _EXCHANGES.reset(pending.token)
        if result is not None and not self.stopped:
            self.write_call(name, dict(arguments), result, pending.exchanges, _elapsed_ms(pending.started))

    def write_call(
        self,
        tool: str,
        arguments: dict[str, Any],
        result: types.CallToolResult,
        exchanges: list[dict[str, Any]],
        elapsed_ms: float,
    ) -> None:
        """Append one line; a failure to write stops the recording (logged once), never the call."""
        self.seq += 1
        line = {
            "version": CASSETTE_VERSION,
            "session": self.session,
            "seq": self.seq,
            "tool": tool,
            "arguments": self.redactor.value(arguments),
            "result": self.redactor.value(result_record(result)),
            # Exchanges were redacted as they were recorded; a second pass catches
            # secrets first seen later in the call (a token inside an earlier body).
            "exchanges": self.redactor.value(exchanges),
            "elapsed_ms": round(elapsed_ms, 3),
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        if self._signin_pending:
            line["signin"] = self.signin
            line["api_url"] = self.api_url
            self._signin_pending = False
        try:
            self.writer.write(line)
        except (OSError, ValueError) as exc:  # ValueError: a closed file
            self.stopped = True
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            log.error(
                "recording stopped: cannot write to %s (%s); tool calls go on unrecorded", self.path, reason
            )
