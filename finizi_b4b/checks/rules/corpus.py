"""The files beside the schemas agree with them: registered handlers, examples, case files, cassettes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from finizi_b4b.checks.common import Problem, pointer
from finizi_b4b.checks.context import Context, load

__all__ = ["cases", "cassettes", "examples", "registry"]


def registry(ctx: Context) -> Iterator[Problem]:
    """A file for every tool the server registers, and a handler for every file."""
    from finizi_b4b.tools import registry as registered

    served = set(registered())
    files = set(ctx.definitions)
    for name in sorted(served - files):
        yield ctx.problem(
            ctx.tool_path(name), "", f"the server registers tool {name!r} but there is no file for it"
        )
    for name in sorted(files - served):
        yield ctx.problem(
            ctx.tool_path(name), "", f"no handler is registered for tool {name!r} (see finizi_b4b/tools)"
        )


def examples(ctx: Context) -> Iterator[Problem]:
    """Every tool gives examples of valid arguments, and they are valid."""
    for name, data in ctx.definitions.items():
        path = ctx.tool_path(name)
        schema = data.get("inputSchema")
        if not isinstance(schema, dict):
            continue
        given = schema.get("examples")
        if not isinstance(given, list) or not given:
            yield ctx.problem(path, "/inputSchema/examples", "give at least one example of valid arguments")
            continue
        validator = ctx.validator(name)
        if validator is None:
            continue
        for index, example in enumerate(given):
            for error in validator.iter_errors(example):
                yield ctx.problem(path, pointer("inputSchema", "examples", index, *error.absolute_path),
                                  f"the example is invalid: {error.message}")  # fmt: skip


def cases(ctx: Context) -> Iterator[Problem]:
    """``tests/schema-cases/<tool>/{valid,invalid}/*.json`` pass and fail as their folder says."""
    assert ctx.project is not None
    folder = ctx.project / "tests" / "schema-cases"
    if not folder.is_dir():
        yield ctx.problem(folder, "", "missing: give valid/ and invalid/ argument cases for every tool")
        return
    for stray in sorted(p for p in folder.iterdir() if p.is_dir() and p.name not in ctx.definitions):
        yield ctx.problem(stray, "", f"cases for {stray.name!r}, which is not a tool")
    for name in ctx.definitions:
        validator = ctx.validator(name)
        if validator is None:
            continue
        for kind in ("valid", "invalid"):
            files = sorted((folder / name / kind).glob("*.json"))
            if not files:
                yield ctx.problem(folder / name / kind, "", f"no {kind} case for {name}: add at least one")
            for file in files:
                data, problem = load(ctx, file)
                if data is None:
                    yield from (problem,) if problem else ()
                    continue
                errors = list(validator.iter_errors(data))
                if kind == "valid" and errors:
                    first = errors[0]
                    where = pointer(*first.absolute_path)
                    yield ctx.problem(file, where, f"a valid case fails: {first.message}")
                elif kind == "invalid" and not errors:
                    yield ctx.problem(file, "", f"an invalid case passes {name}'s inputSchema")


def cassettes(ctx: Context) -> Iterator[Problem]:
    """Every call recorded under ``tests/cassettes`` still has valid arguments."""
    assert ctx.project is not None
    from finizi_b4b.api.redact import is_marker

    for cassette in sorted((ctx.project / "tests" / "cassettes").glob("*.jsonl")):
        for number, line in enumerate(cassette.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{ctx.show(cassette)}:{number}"
            try:
                call = json.loads(line)
            except json.JSONDecodeError as exc:
                yield ctx.problem(where, "", f"not JSON: {exc.msg}")
                continue
            tool, arguments = call.get("tool"), call.get("arguments")
            if tool not in ctx.definitions:
                yield ctx.problem(where, "/tool", f"a call of {tool!r}, which is no longer a tool")
                continue
            if not isinstance(arguments, dict) or _recorded_code(call) == "invalid_arguments":
                continue  # a call recorded to show refused arguments; its replay checks it still is
            # A redacted password stands for a real one: check the shape of the rest.
            checked = {k: ("x" if k == "password" and is_marker(v) else v) for k, v in arguments.items()}
            validator = ctx.validator(tool)
            for error in validator.iter_errors(checked) if validator else ():
                yield ctx.problem(
                    where,
                    pointer("arguments", *error.absolute_path),
                    f"recorded {tool} arguments no longer validate: {error.message}",
                )


def _recorded_code(call: dict[str, Any]) -> str | None:
    """The error code a recorded call answered with, if it failed."""
    result = call.get("result") or {}
    if not result.get("isError"):
        return None
    try:
        return json.loads(result["content"][0]["text"]).get("code")
    except (KeyError, IndexError, TypeError, ValueError):
        return None
