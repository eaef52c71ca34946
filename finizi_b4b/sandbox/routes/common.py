"""What the route modules share: paging, text matching, the API prefix."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from aiohttp import web

from finizi_b4b.sandbox.problems import Problems, integer
from finizi_b4b.sandbox.similarity import fold

__all__ = ["API", "MAX_PAGE_SIZE", "matches_text", "paged", "paging"]

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


def matches_text(needle: str, *values: Any) -> bool:
    """``needle`` (already folded) occurs in one of ``values``, folded."""
    return any(needle in fold(str(v)) for v in values if v)
