"""Runs every rule on a schemas folder (and the checkout around it) and gathers one report."""

from __future__ import annotations

from pathlib import Path

from finizi_b4b.checks.common import Report
from finizi_b4b.checks.context import Context, load
from finizi_b4b.checks.rules import corpus, inputs, patterns, schema, served, tool

__all__ = ["check_schemas", "find_project"]


def find_project(root: Path) -> Path | None:
    """The checkout around a schemas folder: its parent, when that holds tests/."""
    parent = root.resolve().parent
    return parent if (parent / "tests").is_dir() else None


def check_schemas(
    root: Path,
    *,
    project: Path | None = None,
    update_snapshot: bool = False,
    display_base: Path | None = None,
) -> Report:
    """Every check on the schemas folder ``root``; cases, snapshot and cassettes come from ``project``."""
    ctx = Context(root, project, display_base or Path.cwd())
    report = Report()
    found = report.problems
    files = sorted((root / "tools").glob("*.json"))
    report.checked = len(files)
    if not files:
        found.append(ctx.problem(root / "tools", "", "no tool definitions found"))
    for path in files:
        data, problem = load(ctx, path)
        if data is None:
            found.extend((problem,) if problem else ())
            continue
        ctx.definitions[path.stem] = data
        found.extend(tool.tool_definition(ctx, path, data))
        for key in ("inputSchema", "outputSchema"):
            if isinstance(data.get(key), dict):
                found.extend(schema.json_schema(ctx, path, key, data[key]))
        if isinstance(data.get("inputSchema"), dict):
            found.extend(inputs.input_schema(ctx, path, data["inputSchema"]))
        found.extend(patterns.patterns(ctx, path, data))
    found.extend(corpus.registry(ctx))
    found.extend(corpus.examples(ctx))
    if project is not None:
        found.extend(corpus.cases(ctx))
        found.extend(corpus.cassettes(ctx))
    found.extend(served.served(ctx, update_snapshot=update_snapshot))
    report.notes.extend(ctx.notes)
    found.sort()
    return report
