"""``Idempotency-Key``: a repeated write gets the first answer instead of acting twice.

The store keeps, per key, a fingerprint of the request (method, path, query
and body; a multipart body by its fields, not its random boundary) and the
first answer. The same key with the same request replays that answer, marked
``Idempotent-Replayed: true``; with another request it is a 422. The answers of
requests that were acted on are kept, and so is a 401: the backend binds a key
to its first attempt (API contract revision 3), so a write retried after a
refresh must take a new key, or it gets the stored 401 again. A 403, 429 or 5xx
is given before anything is done and not kept, so the same key sent again
(later) acts. A second request arriving while the first is still running waits
for its answer.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import attrs
from aiohttp import web

from finizi_b4b.sandbox.responses import error

__all__ = ["CONFLICT", "WRITE_METHODS", "IdempotencyStore", "bound", "fingerprint"]

CONFLICT = "Idempotency-Key was already used for a different request"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_KEPT_HEADERS = ("Content-Type", "WWW-Authenticate", "Allow", "Retry-After", "Location")
_WAIT = 60.0
# Answers given before the request was acted on and not bound to the key: a retry with it acts.
_NOT_KEPT = frozenset({403, 429})


def bound(status: int) -> bool:
    """Whether an answer with ``status`` is bound to its key (and replayed for it): the answer of a
    request carried out, or a 401 (the key's first attempt)."""
    return status < 500 and status not in _NOT_KEPT


async def fingerprint(request: web.Request) -> str:
    """What makes two requests the same request."""
    digest = hashlib.sha256(f"{request.method} {request.path}?{request.query_string}\n".encode())
    if request.content_type.startswith("multipart/"):
        form = await request.post()  # kept by aiohttp: the handler reads the same form
        for name, value in form.items():
            digest.update(f"\n--{name}\n".encode())
            if isinstance(value, web.FileField):
                digest.update(f"{value.filename}\n{value.content_type}\n".encode())
                digest.update(value.file.read())
                value.file.seek(0)
            else:
                digest.update(str(value).encode())
    else:
        digest.update(await request.read())  # kept by aiohttp: request.json() reads it again
    return digest.hexdigest()


@attrs.frozen
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    @classmethod
    def of(cls, response: web.Response) -> _Answer:
        body = response.body if isinstance(response.body, bytes) else b""
        headers = {k: response.headers[k] for k in _KEPT_HEADERS if k in response.headers}
        return cls(response.status, body, headers)

    def replay(self) -> web.Response:
        return web.Response(
            status=self.status, body=self.body, headers={**self.headers, "Idempotent-Replayed": "true"}
        )


@attrs.define
class _Entry:
    fingerprint: str
    done: asyncio.Event = attrs.Factory(asyncio.Event)
    answer: _Answer | None = None


@attrs.define
class IdempotencyStore:
    """The first answer per key (the last ``limit`` keys)."""

    limit: int = 10_000
    entries: OrderedDict[str, _Entry] = attrs.Factory(OrderedDict)

    def clear(self) -> None:
        self.entries.clear()

    async def run(self, key: str, print_: str, act: Callable[[], Awaitable[web.Response]]) -> web.Response:
        """``act()`` once per key; the same request again gets the first answer."""
        entry = self.entries.get(key)
        if entry is not None:
            if entry.fingerprint != print_:
                raise error(422, CONFLICT)
            try:
                await asyncio.wait_for(entry.done.wait(), _WAIT)
            except TimeoutError:
                raise error(409, "A request with this Idempotency-Key is still being processed") from None
            if entry.answer is not None:
                return entry.answer.replay()
            if self.entries.get(key) is entry:  # the first attempt failed without an answer to keep
                del self.entries[key]
        entry = self.entries[key] = _Entry(print_)
        while len(self.entries) > self.limit:
            self.entries.popitem(last=False)
        try:
            response = await act()
        except BaseException:
            self._forget(key, entry)
            raise
        if not bound(response.status):
            self._forget(key, entry)
        else:
            entry.answer = _Answer.of(response)
            entry.done.set()
        return response

    def _forget(self, key: str, entry: _Entry) -> None:
        if self.entries.get(key) is entry:
            del self.entries[key]
        entry.done.set()
