"""What ``tools/list`` serves: within its byte budget, and the same as the committed snapshot."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from finizi_b4b.checks.common import Problem, escape
from finizi_b4b.checks.context import Context
from finizi_b4b.schemas import MAX_TOOLS, TOOLS_LIST_BUDGET, TOOLS_LIST_BUDGET_ALL

__all__ = ["served", "snapshot_path"]

_UPDATE = "finizi-b4b check-schemas --update-snapshot"


def snapshot_path(ctx: Context) -> Path:
    assert ctx.project is not None
    return ctx.project / "tests" / "snapshots" / "tools-list.json"


def _listed(definitions: dict[str, Any], served: tuple[str, ...] | None) -> list[dict[str, Any]]:
    """What tools/list serves with the ``served`` toolsets (None: every one)."""
    from finizi_b4b.router import ToolRouter
    from finizi_b4b.tools import TOOLS

    toolsets = {name: tool.toolset for name, tool in TOOLS.items()}
    router = ToolRouter(definitions, toolsets=toolsets, served=served)
    return [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in router.tools]


def _size(tools: list[dict[str, Any]]) -> int:
    return len(json.dumps({"tools": tools}, ensure_ascii=False, separators=(",", ":")).encode())


def served(ctx: Context, *, update_snapshot: bool) -> Iterator[Problem]:
    """The budgets (default toolsets, every toolset), then the snapshot of every tool (rewritten
    instead when ``update_snapshot``); notes go to ``ctx``."""
    from finizi_b4b.config import DEFAULT_TOOLSETS

    folder = ctx.root / "tools"
    try:
        default = _listed(ctx.definitions, DEFAULT_TOOLSETS)
        tools = _listed(ctx.definitions, None)
    except Exception as exc:  # reported; the other checks go on
        yield ctx.problem(folder, "", f"the server would refuse to start with these files: {exc}")
        return
    for which, listed, budget in (
        ("the default toolsets", default, TOOLS_LIST_BUDGET),
        ("every toolset", tools, TOOLS_LIST_BUDGET_ALL),
    ):
        size = _size(listed)
        if size > budget:
            yield ctx.problem(
                folder, "", f"tools/list is {size:,} bytes with {which}, over its budget of {budget:,}"
            )
        ctx.notes.append(f"tools/list with {which}: {len(listed)} tools, {size:,} bytes (budget {budget:,})")
    if len(tools) > MAX_TOOLS:
        yield ctx.problem(
            folder, "", f"{len(tools)} tools, more than the {MAX_TOOLS} the tools/list budget is set for"
        )
    if ctx.project is None:
        return
    snapshot = snapshot_path(ctx)
    if update_snapshot:
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(json.dumps(tools, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        ctx.notes.append(f"rewrote {ctx.show(snapshot)}")
        return
    if not snapshot.is_file():
        yield ctx.problem(snapshot, "", f"missing: run {_UPDATE}")
        return
    try:
        recorded = json.loads(snapshot.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        yield ctx.problem(snapshot, "", f"not JSON: {exc.msg}; run {_UPDATE}")
        return
    if recorded != tools:
        where, what = first_difference(recorded, tools)
        yield ctx.problem(
            snapshot,
            where,
            f"tools/list changed ({what}); if intended, run {_UPDATE} (make snapshot) and commit it",
        )


def first_difference(a: Any, b: Any, where: str = "") -> tuple[str, str]:
    """The JSON pointer of the first place where ``a`` (recorded) and ``b`` (served) differ, and how."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a:
                return f"{where}/{escape(key)}", "added"
            if key not in b:
                return f"{where}/{escape(key)}", "removed"
            if a[key] != b[key]:
                return first_difference(a[key], b[key], f"{where}/{escape(key)}")
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return where, f"{len(a)} items recorded, {len(b)} served"
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                name = x.get("name") if isinstance(x, dict) else None
                inner, what = first_difference(x, y, f"{where}/{index}")
                return inner, f"tool {name}: {what}" if name else what
    return where, "value changed"
