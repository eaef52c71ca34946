"""The aiohttp implementation of the request seam: one session for the life of the process."""

from __future__ import annotations

import logging
import time

import aiohttp

from finizi_b4b import __version__
from finizi_b4b.api.transport import KEPT_HEADERS, ApiRequest, ApiResponse, TransportFailure

__all__ = ["AiohttpTransport"]

log = logging.getLogger("finizi_b4b.http")


class AiohttpTransport:
    """Sends requests to ``base_url`` over one lazily created ``aiohttp.ClientSession``."""

    def __init__(self, base_url: str, *, total_timeout: float = 30.0, connect_timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=total_timeout, connect=connect_timeout)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                headers={"Accept": "application/json", "User-Agent": f"finizi-b4b/{__version__}"},
                raise_for_status=False,
            )
        return self._session

    async def send(self, request: ApiRequest) -> ApiResponse:
        headers = {"Authorization": f"Bearer {request.token}"} if request.token else None
        data: aiohttp.FormData | None = None
        if request.upload is not None:
            data = aiohttp.FormData()
            up = request.upload
            data.add_field(up.field, up.content, filename=up.filename, content_type=up.content_type)
        started = time.perf_counter()
        try:
            async with self._client().request(
                request.method,
                self.base_url + request.path,
                params=list(request.query) or None,
                json=request.json if data is None and request.json is not None else None,
                data=data,
                headers=headers,
            ) as resp:
                body = await resp.read()
                kept = {h: resp.headers[h] for h in KEPT_HEADERS if h in resp.headers}
                if log.isEnabledFor(logging.DEBUG):  # the path only: never headers, bodies or query values
                    elapsed = (time.perf_counter() - started) * 1000
                    log.debug("%s %s -> %d in %.1f ms", request.method, request.path, resp.status, elapsed)
                return ApiResponse(status=resp.status, headers=kept, body=body)
        except TimeoutError as exc:
            raise TransportFailure("timeout", "no answer within the time limit") from exc
        except aiohttp.ClientError as exc:
            # The exception text names host and port, never headers or bodies.
            raise TransportFailure("connect", f"{type(exc).__name__}: {exc}") from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
