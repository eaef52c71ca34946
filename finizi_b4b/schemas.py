"""Finds and loads the hand-written tool definitions (``schemas/tools/<name>.json``).

In a checkout they are the top-level ``schemas/`` folder; in an installed wheel
they are packaged as ``finizi_b4b/_schemas``. Two keywords are for people and
the schema checks only and are left out of what ``tools/list`` serves:
``$comment`` (why a rule is there) and ``examples`` (sample arguments).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "DEV_ONLY_KEYS",
    "MAX_TOOLS",
    "SESSION_TOOLS",
    "TOOLS_LIST_BUDGET",
    "TOOLS_LIST_BUDGET_ALL",
    "load_definitions",
    "schema_root",
    "tool_files",
    "wire_definition",
    "writes_data",
]

DEV_ONLY_KEYS = frozenset({"$comment", "examples"})
# What every conversation pays before its first call: the tools/list result (compact JSON, output schemas
# included) stays within this many bytes with the default toolsets, and within TOOLS_LIST_BUDGET_ALL with
# every toolset, for at most MAX_TOOLS tools. check-schemas and the bench hold both.
TOOLS_LIST_BUDGET = 20_000
TOOLS_LIST_BUDGET_ALL = 28_000
MAX_TOOLS = 32
# Tools that change only the server's session, never data in Finizi: read-only mode keeps them.
SESSION_TOOLS = frozenset({"login", "logout"})
_HERE = Path(__file__).resolve().parent


def schema_root() -> Path:
    """The ``schemas`` folder: packaged beside the code, or the checkout's top level."""
    packaged = _HERE / "_schemas"
    if (packaged / "tools").is_dir():
        return packaged
    return _HERE.parent / "schemas"


def tool_files(root: Path | None = None) -> list[Path]:
    folder = (root or schema_root()) / "tools"
    return sorted(folder.glob("*.json"))


def load_definitions(root: Path | None = None) -> dict[str, dict[str, Any]]:
    """Tool name -> the definition as written, in file-name order."""
    definitions: dict[str, dict[str, Any]] = {}
    for path in tool_files(root):
        with path.open(encoding="utf-8") as handle:
            definitions[path.stem] = json.load(handle)
    if not definitions:
        raise FileNotFoundError(f"no tool definitions found under {(root or schema_root()) / 'tools'}")
    return definitions


def wire_definition(value: Any) -> Any:
    """The definition as served: the same, without the development-only keywords."""
    if isinstance(value, dict):
        return {k: wire_definition(v) for k, v in value.items() if k not in DEV_ONLY_KEYS}
    if isinstance(value, list):
        return [wire_definition(v) for v in value]
    return value


def writes_data(name: str, tool: Mapping[str, Any]) -> bool:
    """Whether a tool changes data in Finizi (and so is left out in read-only mode)."""
    return not tool.get("annotations", {}).get("readOnlyHint") and name not in SESSION_TOOLS
