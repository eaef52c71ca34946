"""What the rules read: the folders being checked, the loaded tool files, and how to name a place."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import attrs

from finizi_b4b.checks.common import Problem
from finizi_b4b.checks.reference import reference_validator

__all__ = ["Context", "load"]


@attrs.define
class Context:
    """The schemas folder ``root``, the checkout around it (``project``, if any) and the tool files read."""

    root: Path
    project: Path | None
    base: Path  # paths in problem lines are relative to this
    definitions: dict[str, dict[str, Any]] = attrs.Factory(dict)
    notes: list[str] = attrs.Factory(list)
    _usable: dict[str, bool] = attrs.Factory(dict)

    def show(self, path: Path) -> str:
        try:
            return os.path.relpath(path, self.base)
        except ValueError:
            return str(path)

    def problem(self, path: Path | str, where: str, message: str) -> Problem:
        return Problem(path if isinstance(path, str) else self.show(path), where, message)

    def tool_path(self, name: str) -> Path:
        return self.root / "tools" / f"{name}.json"

    def validator(self, name: str) -> Any:
        """The reference validator for a tool's arguments, or None when its schema is itself invalid."""
        schema = self.definitions[name].get("inputSchema")
        if not isinstance(schema, dict):
            return None
        if name not in self._usable:
            from jsonschema import Draft202012Validator

            meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
            self._usable[name] = next(iter(meta.iter_errors(schema)), None) is None
        return reference_validator(schema) if self._usable[name] else None


def load(ctx: Context, path: Path) -> tuple[dict[str, Any] | None, Problem | None]:
    """A JSON object from ``path``, or the problem that stops it being one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        return None, ctx.problem(path, "", f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
    except (OSError, UnicodeDecodeError) as exc:
        return None, ctx.problem(path, "", f"cannot be read: {exc}")
    if not isinstance(data, dict):
        return None, ctx.problem(path, "", "a tool definition must be a JSON object")
    return data, None
