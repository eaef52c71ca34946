"""What the sandbox saw: the requests with the headers that matter, and the audit of agent mutations.

Tests read :attr:`Sandbox.seen` to check that the client sends the headers the
backend reads, and :attr:`Sandbox.audit` for the rows the backend's audit of
AI actions would write. The ``Authorization`` header is never kept.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import attrs
from aiohttp import web

__all__ = [
    "AUDITED_ROUTES",
    "SEEN_HEADERS",
    "SEEN_LIMIT",
    "SeenRequest",
    "audit_row",
    "new_seen",
    "seen_request",
]

SEEN_HEADERS = (
    "x-entity-id",
    "idempotency-key",
    "x-agent-session-id",
    "x-agent-tool-call-id",
    "x-agent-tool-name",
    "content-type",
)
SEEN_LIMIT = 10_000
AGENT_HEADERS = ("x-agent-session-id", "x-agent-tool-call-id", "x-agent-tool-name")
AUDITED_ROUTES = frozenset(  # the mutations
    {
        "entities.create",
        "entities.update",
        "invoices.import_xml",
        "payments.create",
        "payments.from_invoice",
        "reports.generate",
    }
)


@attrs.frozen
class SeenRequest:
    """One API request as received: the query string raw, and only the headers in ``SEEN_HEADERS``."""

    method: str
    path: str
    query: str
    headers: dict[str, str]


def seen_request(request: web.Request) -> SeenRequest:
    headers = {name: request.headers[name] for name in SEEN_HEADERS if name in request.headers}
    return SeenRequest(request.method, request.path, request.query_string, headers)


def new_seen() -> deque[SeenRequest]:
    return deque(maxlen=SEEN_LIMIT)


def audit_row(request: web.Request, status: int) -> dict[str, Any] | None:
    """The audit row of a successful mutation made for an agent's tool call, or None."""
    route = request.match_info.route.name if request.match_info.route else None
    if route not in AUDITED_ROUTES or not 200 <= status < 300:
        return None
    if not any(name in request.headers for name in AGENT_HEADERS):
        return None
    entity_id = request.headers.get("x-entity-id") or request.match_info.get("entity_id")
    return {
        "method": request.method,
        "path": request.path,
        "status": status,
        "session_id": request.headers.get("x-agent-session-id"),
        "tool_call_id": request.headers.get("x-agent-tool-call-id"),
        "tool_name": request.headers.get("x-agent-tool-name"),
        "entity_id": entity_id.lower() if entity_id else None,
    }
