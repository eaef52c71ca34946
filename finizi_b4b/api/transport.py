"""The single request seam of the API client.

Every HTTP exchange goes through ``Transport.send(ApiRequest) -> ApiResponse``.
The aiohttp backend is one implementation; recording wraps it and replaying
answers from a cassette, with no monkeypatching anywhere.
"""

from __future__ import annotations

from typing import Any, Protocol

import attrs

__all__ = ["MAX_ANSWER_BYTES", "ApiRequest", "ApiResponse", "Transport", "TransportFailure", "Upload"]

# The response headers worth keeping (for errors, recording and replay).
KEPT_HEADERS = ("content-type", "retry-after", "www-authenticate")
# No answer of the API comes near this; a larger one is refused, never held in memory.
MAX_ANSWER_BYTES = 20 * 1024 * 1024


@attrs.frozen
class Upload:
    """One file sent as a multipart form field."""

    field: str
    filename: str
    content: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    content_type: str = "application/xml"


@attrs.frozen
class ApiRequest:
    """What to send, with the bearer token kept apart from the headers so it is easy to redact.

    ``headers`` are the API's own request headers (``X-Entity-Id``,
    ``Idempotency-Key``, ``X-Agent-*``), added by the client in one place
    before the request reaches a transport; they never hold the token.
    ``entity_id`` names the entity of a request whose path names none (such as
    ``/api/v1/invoices/{id}/payments``), for its ``X-Entity-Id``.
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    json: Any = None
    upload: Upload | None = None
    token: str | None = attrs.field(default=None, repr=False)
    headers: tuple[tuple[str, str], ...] = ()
    # How long one try may take, when it is not the transport's usual limit (uploads take longer).
    timeout: float | None = None
    entity_id: str | None = None

    def with_token(self, token: str | None) -> ApiRequest:
        return attrs.evolve(self, token=token)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


@attrs.frozen
class ApiResponse:
    status: int
    headers: dict[str, str] = attrs.field(factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class TransportFailure(Exception):
    """The request got no HTTP answer: connection refused, reset, or timed out."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind  # "timeout", "connect" or "too_large" (an answer over MAX_ANSWER_BYTES)
        self.detail = detail


class Transport(Protocol):
    async def send(self, request: ApiRequest) -> ApiResponse: ...

    async def aclose(self) -> None: ...
