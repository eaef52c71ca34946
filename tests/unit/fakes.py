"""A fake of the project's own request seam (``finizi_b4b.api.transport.Transport``).

:class:`FakeTransport` records every :class:`ApiRequest` it is sent and answers
from a table of canned answers, one queue per method and path. An answer is an
:class:`ApiResponse`, a :class:`TransportFailure` (raised, as a refused
connection or a timeout would be), or a function of the request that returns
either (for answers that depend on the token, or that take a while). The last
answer of a queue is repeated; a request nothing was queued for fails the test
loudly. No aiohttp, no sandbox and no MCP server are involved.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from finizi_b4b.api.transport import ApiRequest, ApiResponse, TransportFailure

__all__ = ["Answer", "FakeTransport", "json_response", "text_response"]

Answer = (
    ApiResponse
    | TransportFailure
    | Callable[[ApiRequest], ApiResponse | TransportFailure]
    | Callable[[ApiRequest], Awaitable[ApiResponse | TransportFailure]]
)


def json_response(
    status: int = 200, body: Any = None, *, headers: dict[str, str] | None = None
) -> ApiResponse:
    """An answer with a JSON body (``body`` is dumped unless it is already bytes)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ApiResponse(status, {"content-type": "application/json", **(headers or {})}, raw)


def text_response(status: int, text: str, *, content_type: str = "text/html") -> ApiResponse:
    return ApiResponse(status, {"content-type": content_type}, text.encode())


@attrs.define
class FakeTransport:
    """Answers requests from canned answers and keeps every request it was sent, in order."""

    sent: list[ApiRequest] = attrs.field(factory=list)
    closed: bool = False
    _answers: dict[tuple[str, str], list[Answer]] = attrs.field(factory=dict)

    def on(self, method: str, path: str, *answers: Answer) -> FakeTransport:
        """Queue ``answers`` for ``method path`` (the path without its query); the last one repeats."""
        if not answers:
            raise ValueError("queue at least one answer")
        self._answers.setdefault((method.upper(), path), []).extend(answers)
        return self

    def requests_to(self, method: str, path: str) -> list[ApiRequest]:
        return [r for r in self.sent if r.method == method.upper() and r.path == path]

    async def send(self, request: ApiRequest) -> ApiResponse:
        self.sent.append(request)
        queue = self._answers.get((request.method.upper(), request.path))
        if not queue:
            raise AssertionError(f"no answer queued for {request.method} {request.path}")
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if callable(answer) and not isinstance(answer, (ApiResponse, TransportFailure)):
            answer = answer(request)
            if inspect.isawaitable(answer):
                answer = await answer
        if isinstance(answer, TransportFailure):
            raise TransportFailure(answer.kind, answer.detail)  # a fresh one each time, as a wire would
        return answer

    async def aclose(self) -> None:
        self.closed = True
