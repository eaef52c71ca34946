"""What every handler class shares: the services, the per-call context, list shaping."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from finizi_b4b.api import fields

if TYPE_CHECKING:
    from finizi_b4b.api.client import B4BClient
    from finizi_b4b.api.headers import ToolCallContext
    from finizi_b4b.api.records import Page
    from finizi_b4b.config import Settings
    from finizi_b4b.session import SessionStore

__all__ = [
    "Call", "Handler", "Services", "direction_label", "list_result", "page_result", "paging", "shortened",
]  # fmt: skip

Progress = Callable[[float, float | None, str | None], Awaitable[None]]


@attrs.frozen
class Services:
    """What handlers share for the life of the process."""

    client: B4BClient
    session: SessionStore
    settings: Settings


async def _no_progress(progress: float, total: float | None, message: str | None) -> None:
    return None


@attrs.frozen
class Call:
    """One tool call: its validated arguments (defaults filled in), a progress reporter, and who it is.

    ``context`` (session, MCP request id, tool name) becomes the ``X-Agent-*``
    headers of every request the handler makes.
    """

    args: dict[str, Any]
    progress: Progress = _no_progress
    context: ToolCallContext | None = None
    # When the whole call must be over (anyio's clock), and how long it was given, in seconds.
    deadline: float | None = None
    deadline_s: float | None = None

    def out_of_time(self, margin: float = 0.0) -> bool:
        """Whether the call's deadline has passed (or is less than ``margin`` seconds away)."""
        return self.deadline is not None and anyio.current_time() + margin >= self.deadline

    def __getitem__(self, key: str) -> Any:
        return self.args[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.args.get(key, default)


class Handler:
    """Base of the handler classes; ``finizi_b4b.tools.TOOLS`` says which method serves which tool."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.client = services.client
        self.session = services.session


def direction_label(value: Any) -> Any:
    """The API's 0/1 invoice direction as the word the tools use; anything else as it came."""
    return fields.direction(value) or value


def shortened(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters, an ellipsis last when it was cut (None stays None)."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def list_result(
    items: list[dict[str, Any]], *, page: int, page_size: int, total: int, pages: int, has_next: bool
) -> dict[str, Any]:
    """The envelope every list tool returns."""
    return {
        "data": {
            "items": items,
            "page": page,
            "page_size": page_size,
            "total": total,
            "pages": pages,
            "has_next": has_next,
        }
    }


def paging(page: Page[Any], count: int, page_size: int, asked: int = 1) -> dict[str, Any]:
    """The page's number, size and counts as the API sent them; those it did not send derived from
    ``count`` (the items on this page) and ``asked`` (the page asked for)."""
    total = page.total if page.total is not None else count
    number = page.page or asked
    pages = page.pages if page.pages is not None else -(-total // page_size)
    has_next = page.has_next if page.has_next is not None else number < pages
    return {"page": number, "page_size": page_size, "total": total, "pages": pages, "has_next": has_next}


def page_result(page: Page[Any], items: list[dict[str, Any]], page_size: int) -> dict[str, Any]:
    """The list envelope for one page of a paged API answer (missing counts are derived)."""
    return list_result(items, **paging(page, len(items), page_size))
