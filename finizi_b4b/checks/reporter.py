"""The ``check-schemas`` command's output: one line per problem, notes on stderr, a summary, an exit code."""

from __future__ import annotations

import sys
from pathlib import Path

from finizi_b4b.checks.common import Problem
from finizi_b4b.checks.inspector import run_inspector
from finizi_b4b.checks.runner import check_schemas, find_project
from finizi_b4b.schemas import schema_root

__all__ = ["run_check_schemas"]


def run_check_schemas(path: str | None, *, update_snapshot: bool = False, inspector: bool = False) -> int:
    """The command: print problems and the summary; exit 0 when there are none, 1 if any, 2 on misuse."""
    root = Path(path) if path else schema_root()
    if not (root / "tools").is_dir():
        print(f"finizi-b4b check-schemas: no tools/ folder under {root}", file=sys.stderr)
        return 2
    project = find_project(root)
    report = check_schemas(root, project=project, update_snapshot=update_snapshot)
    for problem in report.problems:
        print(problem)
    if inspector:
        for line in run_inspector():
            report.problems.append(Problem("inspector", "", line))
            print(f"inspector#: {line}")
    sys.stdout.flush()
    for note in report.notes:
        print(note, file=sys.stderr)
    if project is None:
        print(
            "(no checkout around the schemas: case files, snapshot and cassettes not checked)",
            file=sys.stderr,
        )
    sys.stderr.flush()
    print(report.summary)
    return 1 if report.problems else 0
