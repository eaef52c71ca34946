"""Faults: make the next matching requests fail, wait, or lose their answer."""

from __future__ import annotations

import attrs
from aiohttp import web

from finizi_b4b.sandbox.responses import dumps, reason

__all__ = ["FAULT_KINDS", "Fault", "drop_connection", "take_fault"]

FAULT_KINDS = ("status", "lose_answer")


@attrs.define
class Fault:
    """The next ``count`` requests matching ``path`` (a prefix) and ``method`` are disturbed.

    ``kind="status"``: answer ``status`` with ``body`` instead of handling the
    request (or, when ``status`` is None, only wait ``delay`` seconds first).
    ``kind="lose_answer"``: handle the request in full (a write happens), then
    drop the connection without answering, as a proxy that dies at the wrong
    moment would; ``status`` is not used.
    """

    status: int | None = 503
    count: int = 1
    body: str | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = attrs.Factory(dict)
    delay: float = 0.0
    path: str | None = None  # a prefix of the request path
    method: str | None = None
    kind: str = attrs.field(default="status", validator=attrs.validators.in_(FAULT_KINDS))

    def matches(self, request: web.Request) -> bool:
        if self.count <= 0:
            return False
        if self.method and request.method != self.method.upper():
            return False
        return not self.path or request.path.startswith(self.path)

    def answer(self) -> web.Response | None:
        """The answer that replaces the real one, if this fault gives one."""
        if self.kind != "status" or self.status is None:
            return None
        body = self.body if self.body is not None else dumps({"detail": reason(self.status)})
        return web.Response(
            status=self.status, text=body, content_type=self.content_type, headers=self.headers
        )


def take_fault(faults: list[Fault], request: web.Request) -> Fault | None:
    """The first fault matching ``request``, used up by one; spent faults are removed."""
    found = None
    for fault in faults:
        if fault.matches(request):
            fault.count -= 1
            found = fault
            break
    faults[:] = [f for f in faults if f.count > 0]
    return found


def drop_connection(request: web.Request) -> None:
    """Close the connection before anything of the answer is written: the client sees a disconnect."""
    transport = request.transport
    if transport is not None:
        transport.close()
