"""The sandbox's HTTP application: the B4B API contract on ``aiohttp.web``.

Answers mirror a FastAPI backend: ``{"detail": "..."}`` errors, the 422 list
form for invalid bodies, query parameters and headers, 401 with
``WWW-Authenticate``. One middleware wraps every route, in this order: count
the request, remember it (:mod:`.traffic`), apply a fault (:mod:`.faults`),
honour ``Idempotency-Key`` (:mod:`.idempotency`), write the audit row of an
agent's mutation, and give errors the body the backend gives them. The
control endpoints under ``/_sandbox`` exist only when asked for and answer
loopback only (:mod:`.control`). With ``minimal``, answers hold only what the
real API is known to send (:mod:`.minimal`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from finizi_b4b.sandbox.context import SETTINGS, STATE, Sandboxed
from finizi_b4b.sandbox.control import control_routes
from finizi_b4b.sandbox.faults import Fault, drop_connection, take_fault
from finizi_b4b.sandbox.idempotency import WRITE_METHODS, fingerprint
from finizi_b4b.sandbox.responses import alternative_error_body, dumps
from finizi_b4b.sandbox.routes import ROUTES
from finizi_b4b.sandbox.routes.common import MAX_PAGE_SIZE
from finizi_b4b.sandbox.routes.imports import MAX_UPLOAD_BYTES, TOO_LARGE
from finizi_b4b.sandbox.state import State
from finizi_b4b.sandbox.tokens import expire_access_tokens
from finizi_b4b.sandbox.traffic import SEEN_LIMIT, audit_row, seen_request

__all__ = [
    "MAX_PAGE_SIZE",
    "MAX_UPLOAD_BYTES",
    "SETTINGS",
    "STATE",
    "Fault",
    "Sandboxed",
    "create_app",
    "expire_access_tokens",
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_KEPT_ERROR_HEADERS = ("WWW-Authenticate", "Allow", "Retry-After")


def _as_response(exc: web.HTTPException) -> web.Response:
    """An error raised by a handler, or by aiohttp itself (404, 405, 413), as FastAPI would answer it."""
    if exc.content_type == "application/json":
        text = exc.text or ""
    else:
        text = dumps({"detail": TOO_LARGE if exc.status == 413 else exc.reason})
    headers = {k: exc.headers[k] for k in _KEPT_ERROR_HEADERS if k in exc.headers}
    return web.Response(status=exc.status, text=text, content_type="application/json", headers=headers)


async def _act(request: web.Request, handler: Handler) -> web.Response:
    """The handler's answer, with the audit row of an agent's successful mutation written."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        return _as_response(exc)
    assert isinstance(response, web.Response)
    row = audit_row(request, response.status)
    if row is not None:
        audit = request.app[SETTINGS].audit
        audit.append(row)
        del audit[:-SEEN_LIMIT]
    return response


async def _idempotent(request: web.Request, handler: Handler) -> web.Response:
    key = request.headers.get("Idempotency-Key")
    too_large = (request.content_length or 0) > MAX_UPLOAD_BYTES + 64 * 1024
    if not key or request.method not in WRITE_METHODS or too_large:
        return await _act(request, handler)
    try:
        print_ = await fingerprint(request)
        return await request.app[SETTINGS].idempotency.run(key, print_, lambda: _act(request, handler))
    except web.HTTPException as exc:
        return _as_response(exc)


def _shaped(request: web.Request, response: web.Response) -> web.Response:
    """With the alternative shapes, a plain-string error body as ``message`` or ``error``."""
    if request.app[SETTINGS].alt_shapes and response.status >= 400 and response.content_type.endswith("json"):
        text = alternative_error_body(request.path, response.text or "")
        if text is not None:
            response.text = text
    return response


@web.middleware
async def sandbox_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = request.match_info.route.name if request.match_info.route else None
    state, box = request.app[STATE], request.app[SETTINGS]
    if route:
        state.counts[route] += 1
    if request.path.startswith("/_sandbox/"):
        return await _act(request, handler)
    box.seen.append(seen_request(request))
    fault = take_fault(box.faults, request)
    if fault is not None:
        if fault.delay:
            await asyncio.sleep(fault.delay)
        canned = fault.answer()
        if canned is not None:
            return _shaped(request, canned) if fault.body is None else canned
    response = _shaped(request, await _idempotent(request, handler))
    if fault is not None and fault.kind == "lose_answer":
        drop_connection(request)  # the work is done; the answer is lost on the way
    return response


def create_app(
    state: State,
    *,
    token_ttl: float = 900.0,
    control: bool = False,
    alt_shapes: bool = False,
    minimal: bool = False,
) -> web.Application:
    """The sandbox application over ``state``; ``control`` adds the ``/_sandbox`` endpoints.

    ``alt_shapes`` serves the documented alternative answer shapes (see the
    route modules and :mod:`.responses`); ``minimal`` answers with only what
    the real API is known to send (:mod:`.minimal`).
    """
    app = web.Application(middlewares=[sandbox_middleware], client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
    app[STATE] = state
    app[SETTINGS] = Sandboxed(token_ttl=token_ttl, alt_shapes=alt_shapes, minimal=minimal)
    for table in ROUTES:
        app.add_routes(table)
    if control:
        app.add_routes(control_routes)
    return app
