"""``finizi-b4b check-schemas``: the schema-validation job.

The tool definitions under ``schemas/tools/`` are hand-written, so they drift.
This check needs no backend and no running server. For every tool file it
checks that it is JSON, named after its file, a valid MCP tool for the installed
SDK, with 2020-12 input and output schemas (against the metaschema, no unknown
keyword, an object at the root, closed inputs, described properties, ``required``
naming defined properties), a title, a description of sensible length and all
four annotation hints. Then: files and registered handlers agree both ways;
examples and the case files under ``tests/schema-cases`` pass or fail as they
should; ``tests/snapshots/tools-list.json`` is what the server serves; nothing
common clients reject (external ``$ref``, unknown formats, top-level
combinators); ids in the shared id form, every input string with a
``maxLength``, every input array with ``maxItems``, page sizes bounded, no
pattern with nested quantifiers, plain words for every pattern's messages;
``tools/list`` within its byte budget; and every call recorded under
``tests/cassettes`` still has valid arguments.

Each problem is one line ``file#/json/pointer: message``; then a summary line.

The package:

- ``rules/``: the rule functions, one module per family, each yielding problems;
- ``runner``: runs them on a schemas folder and gathers the report;
- ``reporter``: the command's output and exit code;
- ``inspector``: the MCP Inspector CLI as a further check (``--inspector``);
- ``common``, ``context``, ``reference``: what the rules share.
"""

from __future__ import annotations

from finizi_b4b.checks.common import Problem, Report
from finizi_b4b.checks.inspector import INSPECTOR, run_inspector
from finizi_b4b.checks.reference import reference_validator
from finizi_b4b.checks.reporter import run_check_schemas
from finizi_b4b.checks.rules.patterns import nested_quantifier
from finizi_b4b.checks.runner import check_schemas, find_project
from finizi_b4b.schemas import MAX_TOOLS, TOOLS_LIST_BUDGET, TOOLS_LIST_BUDGET_ALL

__all__ = [
    "INSPECTOR",
    "MAX_TOOLS",
    "TOOLS_LIST_BUDGET",
    "TOOLS_LIST_BUDGET_ALL",
    "Problem",
    "Report",
    "check_schemas",
    "find_project",
    "nested_quantifier",
    "reference_validator",
    "run_check_schemas",
    "run_inspector",
]
