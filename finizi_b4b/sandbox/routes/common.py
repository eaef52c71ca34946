"""What the route modules share: paging, text matching, one record of an entity, the API prefix.

The routes of contract part B check ``X-Entity-Id`` with :func:`scoped_entity`
(422 when a route requires it and it is missing, 403 when it names another
entity than the path) or take their entity from it (:func:`header_entity`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from aiohttp import web

from finizi_b4b.sandbox.context import STATE
from finizi_b4b.sandbox.problems import Problems, date, integer, path_id, record_id
from finizi_b4b.sandbox.responses import error
from finizi_b4b.sandbox.similarity import fold
from finizi_b4b.sandbox.state import State
from finizi_b4b.sandbox.tokens import current_user, entity_access, entity_for

__all__ = [
    "API",
    "MAX_PAGE_SIZE",
    "date_range",
    "header_entity",
    "list_request",
    "matches_text",
    "owned_record",
    "paged",
    "paging",
    "scoped_entity",
]

API = "/api/v1"
MAX_PAGE_SIZE = 200


def paged(
    items: list[dict[str, Any]], page: int, size: int, view: Callable[[dict[str, Any]], Any] | None = None
) -> dict[str, Any]:
    """One page of ``items``; ``view`` shapes only the items on it."""
    total = len(items)
    pages = math.ceil(total / size) if total else 0
    start = (page - 1) * size
    shown = items[start : start + size]
    return {
        "items": [view(item) for item in shown] if view else shown,
        "total": total,
        "page": page,
        "per_page": size,
        "pages": pages,
        "has_next": page < pages,
        "has_prev": page > 1 and total > 0,
    }


def paging(problems: Problems, request: web.Request, size_name: str) -> tuple[int, int]:
    """``page`` and the page size, read from ``size_name`` (``page_size`` or ``per_page``)."""
    page = integer(problems, "query", "page", request.query.get("page"), 1, 1, 1_000_000)
    size = integer(problems, "query", size_name, request.query.get(size_name), 20, 1, MAX_PAGE_SIZE)
    return page, size


def list_request(request: web.Request, size_name: str) -> tuple[dict[str, Any], int, int]:
    """The entity in the path (401, 403, 404 as :func:`entity_for`) and the page asked for (or a 422)."""
    entity, _ = entity_for(request, current_user(request))
    problems = Problems()
    page, size = paging(problems, request, size_name)
    problems.raise_any()
    return entity, page, size


def owned_record(
    request: web.Request, index: Callable[[State], dict[Any, dict[str, Any]]], id_name: str, kind: str
) -> dict[str, Any]:
    """The record whose id is the path's ``id_name``, of the entity in the path; 404 ``{kind} not found``."""
    entity, _ = entity_for(request, current_user(request))
    state = request.app[STATE]
    record = state.owned(index(state), path_id(request, id_name, state.int_ids), entity["id"])
    if record is None:
        raise error(404, f"{kind} not found")
    return record


def matches_text(needle: str, *values: Any) -> bool:
    """``needle`` (already folded) occurs in one of ``values``, folded."""
    return any(needle in fold(str(v)) for v in values if v)


def _entity_header(problems: Problems, request: web.Request, required: bool) -> str | None:
    raw = request.headers.get("X-Entity-Id")
    if raw is None:
        if required:
            problems.add(["header", "x-entity-id"], "missing", "Field required", None)
        return None
    return record_id(problems, "header", "x-entity-id", raw, integer_ids=False)


def scoped_entity(
    request: web.Request, problems: Problems | None = None, *, header_required: bool = True
) -> tuple[dict[str, Any], str]:
    """The entity in the path and the user's role, checked against ``X-Entity-Id``.

    ``problems`` (the query's, say) are raised together with a missing header.
    """
    user = current_user(request)
    problems = problems or Problems()
    header = _entity_header(problems, request, header_required)
    problems.raise_any()
    entity, role = entity_for(request, user)
    if header is not None and header != entity["id"]:
        raise error(403, "The X-Entity-Id header names another entity than the path")
    return entity, role


def header_entity(request: web.Request) -> dict[str, Any]:
    """The entity ``X-Entity-Id`` names, for a path that names none (422 missing, 404, 403 as elsewhere)."""
    user = current_user(request)
    problems = Problems()
    header = _entity_header(problems, request, True)
    problems.raise_any()
    entity, _ = entity_access(request.app[STATE], user, header or "")
    return entity


def date_range(problems: Problems, request: web.Request, *, required: bool) -> tuple[str | None, str | None]:
    """``from_date`` and ``to_date`` (ISO dates, ends included); a 422 item when missing if required."""
    values = []
    for name in ("from_date", "to_date"):
        raw = request.query.get(name)
        if raw is None and required:
            problems.add(["query", name], "missing", "Field required", None)
        values.append(date(problems, name, raw))
    first, last = values
    if first and last and first > last:
        problems.add(["query", "to_date"], "value_error", "Value error, to_date is before from_date", last)
    return first, last
