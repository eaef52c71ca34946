"""The single request seam of the API client.

Every HTTP exchange goes through ``Transport.send(ApiRequest) -> ApiResponse``.
The aiohttp backend is one implementation; recording wraps it and replaying
answers from a cassette, with no monkeypatching anywhere.
"""

from __future__ import annotations

from typing import Any, Protocol

import attrs

__all__ = ["ApiRequest", "ApiResponse", "Transport", "TransportFailure", "Upload"]

# The response headers worth keeping (for errors, recording and replay).
KEPT_HEADERS = ("content-type", "retry-after", "www-authenticate")


@attrs.frozen
class Upload:
    """One file sent as a multipart form field."""

    field: str
    filename: str
    content: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    content_type: str = "application/xml"


@attrs.frozen
class ApiRequest:
    """What to send, with the bearer token kept apart from the headers so it is easy to redact."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    json: Any = None
    upload: Upload | None = None
    token: str | None = attrs.field(default=None, repr=False)

    def with_token(self, token: str) -> ApiRequest:
        return attrs.evolve(self, token=token)


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
        self.kind = kind  # "timeout" or "connect"
        self.detail = detail


class Transport(Protocol):
    async def send(self, request: ApiRequest) -> ApiResponse: ...

    async def aclose(self) -> None: ...
