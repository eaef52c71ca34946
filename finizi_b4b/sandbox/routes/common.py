"""What the route modules share: paging, text matching, one record of an entity, the API prefix."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from aiohttp import web

from finizi_b4b.sandbox.context import STATE
from finizi_b4b.sandbox.problems import Problems, integer, path_id
from finizi_b4b.sandbox.responses import error
from finizi_b4b.sandbox.similarity import fold
from finizi_b4b.sandbox.state import State
from finizi_b4b.sandbox.tokens import current_user, entity_for

__all__ = ["API", "MAX_PAGE_SIZE", "list_request", "matches_text", "owned_record", "paged", "paging"]

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
