"""The API's own request headers, computed in one place for every request.

- ``X-Entity-Id`` on every entity-scoped request: any path under
  ``/api/v1/entities/{id}``, the semantic search (its path names no
  entity, so the body's ``entity_id`` is used), and a request that names its
  entity itself (``ApiRequest.entity_id``, for paths such as
  ``/api/v1/invoices/{id}/payments``).
- ``Idempotency-Key`` (a UUID4) on every POST, PUT, PATCH and DELETE except the
  auth endpoints; the client keeps the same key for every retry of a call.
- ``X-Agent-Session-Id``, ``X-Agent-Tool-Call-Id`` and ``X-Agent-Tool-Name`` on
  every request made for a tool call, read from :data:`TOOL_CALL`, the
  context variable the runtime sets while a tool's handler runs.

Values that come from outside (the MCP request id) are reduced to printable
ASCII and capped, so that nothing can split a header.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import attrs

from finizi_b4b.api.fields import API
from finizi_b4b.api.transport import ApiRequest

__all__ = [
    "AGENT_SESSION_ID",
    "TOOL_CALL",
    "WRITE_METHODS",
    "ToolCallContext",
    "api_headers",
    "entity_scope",
    "header_value",
    "is_auth_path",
    "tool_call",
]

# Stable for the life of the server process.
AGENT_SESSION_ID = str(uuid.uuid4())
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SEMANTIC_SEARCH = f"{API}/semantic-search/"
_ENTITY_PATH = re.compile(re.escape(API) + r"/entities/([^/?#]+)")
_UNSAFE = re.compile(r"[^\x20-\x7e]")
_MAX_VALUE = 200


@attrs.frozen
class ToolCallContext:
    """Who a request is made for (the server process's session, the MCP request and the tool), and
    when the tool call must be over."""

    tool_call_id: str
    tool_name: str
    session_id: str = AGENT_SESSION_ID
    # When the whole tool call must be over (anyio's clock): no request of it outlives this.
    deadline: float | None = None


TOOL_CALL: ContextVar[ToolCallContext | None] = ContextVar("finizi_b4b_tool_call", default=None)


@contextlib.contextmanager
def tool_call(context: ToolCallContext | None) -> Iterator[None]:
    """Make ``context`` the current tool call for the code run inside."""
    token = TOOL_CALL.set(context)
    try:
        yield
    finally:
        TOOL_CALL.reset(token)


def header_value(value: Any) -> str:
    """``value`` as a safe header value: printable ASCII, at most 200 characters."""
    return _UNSAFE.sub("?", str(value))[:_MAX_VALUE]


def is_auth_path(path: str) -> bool:
    return path.startswith(f"{API}/auth/")


def entity_scope(request: ApiRequest) -> str | None:
    """The entity a request is scoped to, if any: the one it names itself, else its path's."""
    if request.entity_id is not None:
        return request.entity_id
    match = _ENTITY_PATH.match(request.path)
    if match:
        return match.group(1)
    if request.path.startswith(SEMANTIC_SEARCH) and isinstance(request.json, dict):
        entity_id = request.json.get("entity_id")
        if entity_id is not None:
            return str(entity_id)
    return None


def api_headers(request: ApiRequest, *, idempotency_key: str | None = None) -> tuple[tuple[str, str], ...]:
    """Every API header ``request`` needs (a new Idempotency-Key unless one is given)."""
    headers: list[tuple[str, str]] = []
    entity_id = entity_scope(request)
    if entity_id is not None:
        headers.append(("X-Entity-Id", header_value(entity_id)))
    if request.method.upper() in WRITE_METHODS and not is_auth_path(request.path):
        headers.append(("Idempotency-Key", idempotency_key or str(uuid.uuid4())))
    context = TOOL_CALL.get()
    if context is not None:
        headers.append(("X-Agent-Session-Id", header_value(context.session_id)))
        headers.append(("X-Agent-Tool-Call-Id", header_value(context.tool_call_id)))
        headers.append(("X-Agent-Tool-Name", header_value(context.tool_name)))
    return tuple(headers)
