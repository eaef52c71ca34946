"""One tool file as an MCP tool: its name, its keys, title, description and annotation hints."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from finizi_b4b.checks.common import Problem, pointer
from finizi_b4b.checks.context import Context
from finizi_b4b.schemas import wire_definition

__all__ = [
    "DESCRIPTION_LENGTH",
    "HINTS",
    "TITLE_LENGTH",
    "TOP_LEVEL_KEYS",
    "WRITE_HINTS",
    "annotation_hints",
    "tool_definition",
]

DESCRIPTION_LENGTH = (20, 300)  # characters of a tool's description: says enough, costs little
TITLE_LENGTH = (3, 40)
HINTS = ("readOnlyHint", "openWorldHint", "destructiveHint", "idempotentHint")
WRITE_HINTS = frozenset({"destructiveHint", "idempotentHint"})  # meaningful only when readOnlyHint is false
TOP_LEVEL_KEYS = frozenset(
    {"name", "title", "description", "inputSchema", "outputSchema", "annotations", "icons", "_meta",
     "execution", "$comment"}
)  # fmt: skip


def tool_definition(ctx: Context, path: Path, data: dict[str, Any]) -> Iterator[Problem]:
    if data.get("name") != path.stem:
        yield ctx.problem(path, "/name", f"is {data.get('name')!r} but the file is named {path.stem}.json")
    for key in sorted(set(data) - TOP_LEVEL_KEYS):
        near = difflib.get_close_matches(key, TOP_LEVEL_KEYS, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        yield ctx.problem(path, pointer(key), f"unknown key of a tool definition{hint}")
    yield from mcp_tool(ctx, path, data)
    title, description = data.get("title"), data.get("description")
    if not isinstance(title, str) or not TITLE_LENGTH[0] <= len(title.strip()) <= TITLE_LENGTH[1]:
        yield ctx.problem(
            path, "/title", f"a title of {TITLE_LENGTH[0]} to {TITLE_LENGTH[1]} characters is required"
        )
    low, high = DESCRIPTION_LENGTH
    if not isinstance(description, str) or not low <= len(description.strip()) <= high:
        size = len(description) if isinstance(description, str) else 0
        yield ctx.problem(path, "/description", f"must be {low} to {high} characters (is {size})")
    yield from annotation_hints(ctx, path, data.get("annotations"))
    for key in ("inputSchema", "outputSchema"):
        if not isinstance(data.get(key), dict):
            yield ctx.problem(path, pointer(key), "missing: a JSON Schema object is required")


def annotation_hints(ctx: Context, path: Path, annotations: Any) -> Iterator[Problem]:
    """Every hint that means something is set deliberately, and no other.

    The MCP spec gives ``destructiveHint`` and ``idempotentHint`` a meaning only
    when ``readOnlyHint`` is false, so a read-only tool sets ``readOnlyHint`` and
    ``openWorldHint`` alone and a write tool all four.
    """
    if not isinstance(annotations, dict):
        yield ctx.problem(path, "/annotations", "missing: set " + ", ".join(HINTS) + " (the last two "
                          "for write tools only)")  # fmt: skip
        return
    read_only = annotations.get("readOnlyHint") is True
    for hint in HINTS:
        where = pointer("annotations", hint)
        if read_only and hint in WRITE_HINTS:
            if hint in annotations:
                yield ctx.problem(path, where, "means nothing when readOnlyHint is true (MCP spec): drop it")
        elif not isinstance(annotations.get(hint), bool):
            yield ctx.problem(path, where, "must be set to true or false deliberately")


def mcp_tool(ctx: Context, path: Path, data: dict[str, Any]) -> Iterator[Problem]:
    """The definition as served is a valid ``Tool`` of the installed SDK."""
    import mcp.types as types
    import pydantic

    try:
        types.Tool.model_validate(wire_definition(data))
    except pydantic.ValidationError as exc:
        for error in exc.errors():
            yield ctx.problem(path, pointer(*error["loc"]), f"not a valid MCP tool: {error['msg']}")
