"""The aiohttp implementation of the request seam: one session for the life of the process.

Two guards live here because only the wire can enforce them:

- Answers are read with a cap (:data:`MAX_ANSWER_BYTES`); a ``Content-Length``
  over it is refused before reading, and a body that grows past it is dropped
  as soon as it does. Either is a ``too_large`` :class:`TransportFailure`.
- Redirects are never followed by aiohttp itself. A redirect to the same
  origin is followed by hand (a few hops at most); a redirect to another
  origin, or any redirect of an ``/auth/`` request, is not followed at all and
  comes back as the 3xx answer it is, so that no password, token or body
  travels to a host the user did not configure. Nor is a ``Location`` that is
  no http(s) URL of that origin (``data:``, ``javascript:``, a port out of
  range) or that carries a user name or password.
"""

from __future__ import annotations

import logging
import time

import aiohttp
from yarl import URL

from finizi_b4b.api.headers import is_auth_path
from finizi_b4b.api.transport import (
    KEPT_HEADERS,
    MAX_ANSWER_BYTES,
    ApiRequest,
    ApiResponse,
    TransportFailure,
    Upload,
)

__all__ = ["MAX_REDIRECTS", "AiohttpTransport"]

log = logging.getLogger("finizi_b4b.http")

MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024


def _form(upload: Upload) -> aiohttp.FormData:
    data = aiohttp.FormData()
    data.add_field(upload.field, upload.content, filename=upload.filename, content_type=upload.content_type)
    return data


def _redirect_target(base: URL, location: str) -> URL | None:
    """Where ``location`` points from ``base``, or None when it is no URL with an origin."""
    try:
        target = base.join(URL(location))
        target.origin()  # raises for a URL without scheme and host (data:, javascript:, file:)
    except (ValueError, TypeError):
        return None
    return target


def _not_followed(target: URL | None, origin: URL, auth: bool, last_hop: bool) -> str | None:
    """Why a redirect to ``target`` is not followed, or None when it may be."""
    if target is None:
        return "a Location that is no usable URL"
    if target.user is not None or target.password is not None:
        return "a Location with a user name or password"
    if target.scheme not in ("http", "https") or target.origin() != origin:
        return "another origin"
    if auth:
        return "an auth request follows no redirect"
    return "too many redirects" if last_hop else None


async def _read_capped(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    announced = resp.content_length
    if announced is not None and announced > limit:
        raise TransportFailure("too_large", f"the answer announces {announced} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise TransportFailure("too_large", f"the answer is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class AiohttpTransport:
    """Sends requests to ``base_url`` over one lazily created ``aiohttp.ClientSession``."""

    def __init__(
        self,
        base_url: str,
        *,
        total_timeout: float = 30.0,
        connect_timeout: float = 10.0,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        user_agent: str = "finizi-b4b",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._origin = URL(self.base_url).origin()
        self._timeout = aiohttp.ClientTimeout(total=total_timeout, connect=connect_timeout)
        self._limit = max_answer_bytes
        self._session: aiohttp.ClientSession | None = None
        self._user_agent = user_agent

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                headers={"Accept": "application/json", "User-Agent": self._user_agent},
                raise_for_status=False,
            )
        return self._session

    def _timeout_for(self, request: ApiRequest) -> aiohttp.ClientTimeout:
        if request.timeout is None:
            return self._timeout
        return aiohttp.ClientTimeout(total=request.timeout, connect=self._timeout.connect)

    async def send(self, request: ApiRequest) -> ApiResponse:
        headers = dict(request.headers)
        if request.token:
            headers["Authorization"] = f"Bearer {request.token}"
        method, url = request.method, URL(self.base_url + request.path, encoded=True)
        params = list(request.query) or None
        json_body, upload = request.json, request.upload
        started = time.perf_counter()
        try:
            for hop in range(MAX_REDIRECTS + 1):
                async with self._client().request(
                    method,
                    url,
                    params=params,
                    json=json_body if upload is None else None,
                    data=_form(upload) if upload is not None else None,
                    headers=headers,
                    allow_redirects=False,
                    timeout=self._timeout_for(request),
                ) as resp:
                    kept = {h: resp.headers[h] for h in KEPT_HEADERS if h in resp.headers}
                    location = resp.headers.get("Location")
                    if resp.status in _REDIRECTS and location:
                        target = _redirect_target(resp.url, location)
                        auth, last_hop = is_auth_path(request.path), hop == MAX_REDIRECTS
                        why = _not_followed(target, self._origin, auth, last_hop)
                        if why is not None or target is None:
                            log.warning(
                                "%s %s answered HTTP %d; the redirect was not followed (%s)",
                                request.method,
                                request.path,
                                resp.status,
                                why,
                            )
                            return ApiResponse(status=resp.status, headers=kept, body=b"")
                        if resp.status == 303 or (resp.status in (301, 302) and method == "POST"):
                            method, json_body, upload = "GET", None, None
                        url, params = target, None
                        continue
                    body = await _read_capped(resp, self._limit)
                    if log.isEnabledFor(logging.DEBUG):  # the path only: never headers, bodies or queries
                        elapsed = (time.perf_counter() - started) * 1000
                        log.debug(
                            "%s %s -> %d in %.1f ms", request.method, request.path, resp.status, elapsed
                        )
                    return ApiResponse(status=resp.status, headers=kept, body=body)
        except TimeoutError as exc:
            raise TransportFailure("timeout", "no answer within the time limit") from exc
        except aiohttp.ClientError as exc:
            # The exception text names host and port, never headers or bodies.
            raise TransportFailure("connect", f"{type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
