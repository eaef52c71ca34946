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
combinators); ids constrained by patterns, strings and page sizes bounded;
``tools/list`` within its byte budget; and every call recorded under
``tests/cassettes`` still has valid arguments.

Each problem is one line ``file#/json/pointer: message``; then a summary line.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from finizi_b4b.schemas import schema_root, wire_definition

__all__ = ["INSPECTOR", "TOOLS_LIST_BUDGET", "Problem", "Report", "check_schemas", "run_check_schemas"]

TOOLS_LIST_BUDGET = 12_000  # bytes of the tools/list result, output schemas included
DESCRIPTION_LENGTH = (20, 300)  # characters of a tool's description: says enough, costs little
TITLE_LENGTH = (3, 40)
HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")
SAFE_FORMATS = frozenset({"date", "date-time", "email", "uri", "uuid"})
COMBINATORS = ("anyOf", "oneOf", "allOf", "not", "if", "then", "else")
PAGE_SIZES = ("page_size", "per_page", "top_k", "limit")
TOP_LEVEL_KEYS = frozenset(
    {"name", "title", "description", "inputSchema", "outputSchema", "annotations", "icons", "_meta",
     "execution", "$comment"}
)  # fmt: skip
INSPECTOR = "@modelcontextprotocol/inspector@2.12.0"

# Every keyword of JSON Schema 2020-12 (all vocabularies).
KEYWORDS = frozenset(
    {"$schema", "$id", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary", "$comment", "$defs",
     "prefixItems", "items", "contains", "additionalProperties", "properties", "patternProperties",
     "dependentSchemas", "propertyNames", "if", "then", "else", "allOf", "anyOf", "oneOf", "not",
     "unevaluatedItems", "unevaluatedProperties", "type", "const", "enum", "multipleOf", "maximum",
     "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems",
     "minItems", "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties", "required",
     "dependentRequired", "title", "description", "default", "deprecated", "readOnly", "writeOnly",
     "examples", "format", "contentEncoding", "contentMediaType", "contentSchema"}
)  # fmt: skip
_ONE_SCHEMA = ("items", "contains", "additionalProperties", "propertyNames", "if", "then", "else", "not",
               "unevaluatedItems", "unevaluatedProperties", "contentSchema")  # fmt: skip
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("prefixItems", "allOf", "anyOf", "oneOf")
_UNBOUNDED = re.compile(r"(?<!\\)[*+]|\{\d+,\}")


@attrs.frozen(order=True)
class Problem:
    file: str
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}#{self.pointer}: {self.message}"


@attrs.define
class Report:
    checked: int = 0
    problems: list[Problem] = attrs.Factory(list)
    notes: list[str] = attrs.Factory(list)

    @property
    def summary(self) -> str:
        count = len(self.problems)
        return f"{self.checked} tool schemas checked, {count} problem{'' if count == 1 else 's'}"


def _escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def pointer(*parts: str | int) -> str:
    return "".join(f"/{_escape(p)}" for p in parts)


def subschemas(schema: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object in ``schema`` (itself included) with its JSON pointer."""
    if not isinstance(schema, dict):
        return
    yield where, schema
    for key in _ONE_SCHEMA:
        if isinstance(schema.get(key), dict):
            yield from subschemas(schema[key], f"{where}/{key}")
    for key in _SCHEMA_MAPS:
        if isinstance(schema.get(key), dict):
            for name, sub in schema[key].items():
                yield from subschemas(sub, f"{where}/{key}/{_escape(name)}")
    for key in _SCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            for index, sub in enumerate(schema[key]):
                yield from subschemas(sub, f"{where}/{key}/{index}")


def _is_object_schema(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" or "properties" in schema


class _Checker:
    def __init__(self, root: Path, project: Path | None, display_base: Path) -> None:
        self.root, self.project, self.base = root, project, display_base
        self.report = Report()
        self.definitions: dict[str, dict[str, Any]] = {}
        self.unusable: set[str] = set()  # tools whose input schema cannot be used to validate

    def show(self, path: Path) -> str:
        try:
            return os.path.relpath(path, self.base)
        except ValueError:
            return str(path)

    def problem(self, path: Path | str, where: str, message: str) -> None:
        file = path if isinstance(path, str) else self.show(path)
        self.report.problems.append(Problem(file, where, message))

    # -- one tool file ---------------------------------------------------------

    def load(self, path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            self.problem(path, "", f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
            return None
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(path, "", f"cannot be read: {exc}")
            return None
        if not isinstance(data, dict):
            self.problem(path, "", "a tool definition must be a JSON object")
            return None
        return data

    def check_tool(self, path: Path, data: dict[str, Any]) -> None:
        if data.get("name") != path.stem:
            self.problem(path, "/name", f"is {data.get('name')!r} but the file is named {path.stem}.json")
        for key in sorted(set(data) - TOP_LEVEL_KEYS):
            near = difflib.get_close_matches(key, TOP_LEVEL_KEYS, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            self.problem(path, pointer(key), f"unknown key of a tool definition{hint}")
        self.check_mcp(path, data)
        title, description = data.get("title"), data.get("description")
        if not isinstance(title, str) or not TITLE_LENGTH[0] <= len(title.strip()) <= TITLE_LENGTH[1]:
            self.problem(
                path, "/title", f"a title of {TITLE_LENGTH[0]} to {TITLE_LENGTH[1]} characters is required"
            )
        low, high = DESCRIPTION_LENGTH
        if not isinstance(description, str) or not low <= len(description.strip()) <= high:
            size = len(description) if isinstance(description, str) else 0
            self.problem(path, "/description", f"must be {low} to {high} characters (is {size})")
        annotations = data.get("annotations")
        if not isinstance(annotations, dict):
            self.problem(path, "/annotations", "missing: set all of " + ", ".join(HINTS))
        else:
            for hint in HINTS:
                if not isinstance(annotations.get(hint), bool):
                    self.problem(
                        path, pointer("annotations", hint), "must be set to true or false deliberately"
                    )
        for key in ("inputSchema", "outputSchema"):
            schema = data.get(key)
            if not isinstance(schema, dict):
                self.problem(path, pointer(key), "missing: a JSON Schema object is required")
                continue
            self.check_schema(path, key, schema)
        if isinstance(data.get("inputSchema"), dict):
            self.check_input(path, data["inputSchema"])

    def check_mcp(self, path: Path, data: dict[str, Any]) -> None:
        import mcp.types as types
        import pydantic

        try:
            types.Tool.model_validate(wire_definition(data))
        except pydantic.ValidationError as exc:
            for error in exc.errors():
                self.problem(path, pointer(*error["loc"]), f"not a valid MCP tool: {error['msg']}")

    def check_schema(self, path: Path, key: str, schema: dict[str, Any]) -> None:
        from jsonschema import Draft202012Validator

        meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
        errors = sorted(meta.iter_errors(schema), key=lambda e: list(map(str, e.absolute_path)))
        if errors and key == "inputSchema":
            self.unusable.add(path.stem)
        for error in errors:
            self.problem(
                path, pointer(key, *error.absolute_path), f"not valid JSON Schema 2020-12: {error.message}"
            )
        if schema.get("type") != "object":
            self.problem(
                path, pointer(key, "type"), 'the root must be "type": "object" (required by MCP clients)'
            )
        for combinator in COMBINATORS:
            if combinator in schema:
                self.problem(
                    path, pointer(key, combinator), "no combinators at the root: several clients reject them"
                )
        for where, sub in subschemas(schema, pointer(key)):
            for word in sub:
                if word not in KEYWORDS:
                    near = difflib.get_close_matches(word, KEYWORDS, n=1)
                    hint = f" (a typo of {near[0]!r}?)" if near else ""
                    self.problem(path, f"{where}/{_escape(word)}", f"unknown JSON Schema keyword{hint}")
            ref = sub.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                self.problem(
                    path, f"{where}/$ref", "external $ref: clients cannot fetch it; inline the schema"
                )
            fmt = sub.get("format")
            if fmt is not None and fmt not in SAFE_FORMATS:
                self.problem(
                    path,
                    f"{where}/format",
                    f"format {fmt!r} is not one clients support ({', '.join(sorted(SAFE_FORMATS))})",
                )
            required, properties = sub.get("required"), sub.get("properties")
            if isinstance(required, list):
                defined = properties if isinstance(properties, dict) else {}
                for index, name in enumerate(required):
                    if name not in defined:
                        self.problem(
                            path,
                            f"{where}/required/{index}",
                            f"names {name!r}, which is not among the properties",
                        )

    def check_input(self, path: Path, schema: dict[str, Any]) -> None:
        from finizi_b4b.validation import FORMATS, unsupported

        for bad in unsupported(schema, pointer("inputSchema")):
            if bad.rsplit("/", 1)[-1] in KEYWORDS:  # unknown words are reported as typos already
                formats = ", ".join(sorted(FORMATS))
                self.problem(
                    path,
                    bad,
                    "the server's argument validator does not implement this (see finizi_b4b/validation.py; "
                    f"formats: {formats})",
                )
        for where, sub in subschemas(schema, pointer("inputSchema")):
            if _is_object_schema(sub) and sub.get("additionalProperties") is not False:
                self.problem(
                    path, f"{where}/additionalProperties", "inputs must set additionalProperties: false"
                )
            for name, prop in (sub.get("properties") or {}).items():
                here = f"{where}/properties/{_escape(name)}"
                if not isinstance(prop, dict):
                    continue
                if not isinstance(prop.get("description"), str) or not prop["description"].strip():
                    self.problem(path, f"{here}/description", "every input property needs a description")
                self.check_bounds(path, here, name, prop)

    def check_bounds(self, path: Path, here: str, name: str, prop: dict[str, Any]) -> None:
        kinds = prop.get("type")
        kinds = [kinds] if isinstance(kinds, str) else kinds or []
        if name.endswith("_id") and "string" in kinds and "pattern" not in prop:
            self.problem(
                path, f"{here}/pattern", "ids need a pattern, so that nothing like ../ reaches a URL path"
            )
        if "string" in kinds and "enum" not in prop and "const" not in prop and "maxLength" not in prop:
            pattern = prop.get("pattern")
            bounded = (
                isinstance(pattern, str)
                and pattern.startswith("^")
                and pattern.endswith("$")
                and not _UNBOUNDED.search(pattern)
            )
            if not bounded and prop.get("format") not in ("date", "uuid"):
                self.problem(
                    path,
                    f"{here}/maxLength",
                    "strings need a bound: maxLength, an enum, or an anchored bounded pattern",
                )
        if name in PAGE_SIZES and "maximum" not in prop:
            self.problem(path, f"{here}/maximum", "page sizes need a maximum")
        if (
            prop.get("type") == "array"
            and "maxItems" not in prop
            and not (
                prop.get("uniqueItems") and isinstance(prop.get("items"), dict) and "enum" in prop["items"]
            )
        ):
            self.problem(
                path, f"{here}/maxItems", "arrays need a bound: maxItems, or unique items from an enum"
            )

    # -- across files ----------------------------------------------------------

    def check_registry(self) -> None:
        from finizi_b4b.tools import registry

        served = set(registry())
        files = set(self.definitions)
        tools = self.root / "tools"
        for name in sorted(served - files):
            self.problem(
                tools / f"{name}.json", "", f"the server registers tool {name!r} but there is no file for it"
            )
        for name in sorted(files - served):
            self.problem(
                tools / f"{name}.json",
                "",
                f"no handler is registered for tool {name!r} (see finizi_b4b/tools)",
            )

    def validator(self, name: str) -> Any:
        """jsonschema's validator for a tool's arguments, or None when its schema is itself invalid."""
        from jsonschema import Draft202012Validator

        schema = self.definitions[name].get("inputSchema")
        if name in self.unusable or not isinstance(schema, dict):
            return None
        return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)

    def check_examples(self) -> None:
        for name, data in self.definitions.items():
            path = self.root / "tools" / f"{name}.json"
            schema = data.get("inputSchema")
            if not isinstance(schema, dict):
                continue
            examples = schema.get("examples")
            if not isinstance(examples, list) or not examples:
                self.problem(path, "/inputSchema/examples", "give at least one example of valid arguments")
                continue
            validator = self.validator(name)
            if validator is None:
                continue
            for index, example in enumerate(examples):
                for error in validator.iter_errors(example):
                    self.problem(path, pointer("inputSchema", "examples", index, *error.absolute_path),
                                 f"the example is invalid: {error.message}")  # fmt: skip

    def check_cases(self) -> None:
        assert self.project is not None
        cases = self.project / "tests" / "schema-cases"
        if not cases.is_dir():
            self.problem(cases, "", "missing: give valid/ and invalid/ argument cases for every tool")
            return
        for folder in sorted(p for p in cases.iterdir() if p.is_dir() and p.name not in self.definitions):
            self.problem(folder, "", f"cases for {folder.name!r}, which is not a tool")
        for name in self.definitions:
            validator = self.validator(name)
            if validator is None:
                continue
            for kind in ("valid", "invalid"):
                files = sorted((cases / name / kind).glob("*.json"))
                if not files:
                    self.problem(cases / name / kind, "", f"no {kind} case for {name}: add at least one")
                for file in files:
                    data = self.load(file)
                    if data is None:
                        continue
                    errors = list(validator.iter_errors(data))
                    if kind == "valid" and errors:
                        first = errors[0]
                        self.problem(
                            file, pointer(*first.absolute_path), f"a valid case fails: {first.message}"
                        )
                    elif kind == "invalid" and not errors:
                        self.problem(file, "", f"an invalid case passes {name}'s inputSchema")

    def served(self) -> list[dict[str, Any]]:
        from finizi_b4b.router import ToolRouter

        router = ToolRouter(self.definitions)
        return [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in router.tools]

    def check_served(self, update_snapshot: bool) -> None:
        try:
            served = self.served()
        except Exception as exc:  # reported; the other checks go on
            self.problem(self.root / "tools", "", f"the server would refuse to start with these files: {exc}")
            return
        size = len(json.dumps({"tools": served}, ensure_ascii=False, separators=(",", ":")).encode())
        if size > TOOLS_LIST_BUDGET:
            self.problem(
                self.root / "tools",
                "",
                f"tools/list is {size:,} bytes, over its budget of {TOOLS_LIST_BUDGET:,}",
            )
        self.report.notes.append(
            f"tools/list: {len(served)} tools, {size:,} bytes (budget {TOOLS_LIST_BUDGET:,})"
        )
        if self.project is None:
            return
        snapshot = self.project / "tests" / "snapshots" / "tools-list.json"
        text = json.dumps(served, ensure_ascii=False, indent=2) + "\n"
        if update_snapshot:
            snapshot.parent.mkdir(parents=True, exist_ok=True)
            snapshot.write_text(text, encoding="utf-8")
            self.report.notes.append(f"rewrote {self.show(snapshot)}")
            return
        if not snapshot.is_file():
            self.problem(snapshot, "", "missing: run finizi-b4b check-schemas --update-snapshot")
            return
        try:
            recorded = json.loads(snapshot.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            self.problem(snapshot, "", f"not JSON: {exc.msg}; run finizi-b4b check-schemas --update-snapshot")
            return
        if recorded != served:
            where, what = _first_difference(recorded, served)
            self.problem(
                snapshot,
                where,
                f"tools/list changed ({what}); if intended, run "
                "finizi-b4b check-schemas --update-snapshot (make snapshot) and commit it",
            )

    def check_cassettes(self) -> None:
        assert self.project is not None
        from finizi_b4b.redact import is_marker

        for cassette in sorted((self.project / "tests" / "cassettes").glob("*.jsonl")):
            for number, line in enumerate(cassette.read_text(encoding="utf-8").splitlines(), start=1):
                if not line.strip():
                    continue
                where = f"{self.show(cassette)}:{number}"
                try:
                    call = json.loads(line)
                except json.JSONDecodeError as exc:
                    self.problem(where, "", f"not JSON: {exc.msg}")
                    continue
                tool, arguments = call.get("tool"), call.get("arguments")
                if tool not in self.definitions:
                    self.problem(where, "/tool", f"a call of {tool!r}, which is no longer a tool")
                    continue
                if not isinstance(arguments, dict) or _recorded_code(call) == "invalid_arguments":
                    continue  # a call recorded to show refused arguments; its replay checks it still is
                # A redacted password stands for a real one: check the shape of the rest.
                checked = {k: ("x" if k == "password" and is_marker(v) else v) for k, v in arguments.items()}
                validator = self.validator(tool)
                for error in validator.iter_errors(checked) if validator else ():
                    self.problem(
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


def _first_difference(a: Any, b: Any, where: str = "") -> tuple[str, str]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a:
                return f"{where}/{_escape(key)}", "added"
            if key not in b:
                return f"{where}/{_escape(key)}", "removed"
            if a[key] != b[key]:
                return _first_difference(a[key], b[key], f"{where}/{_escape(key)}")
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return where, f"{len(a)} items recorded, {len(b)} served"
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                name = x.get("name") if isinstance(x, dict) else None
                inner, what = _first_difference(x, y, f"{where}/{index}")
                return inner, f"tool {name}: {what}" if name else what
    return where, "value changed"


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
    checker = _Checker(root, project, display_base or Path.cwd())
    files = sorted((root / "tools").glob("*.json"))
    checker.report.checked = len(files)
    if not files:
        checker.problem(root / "tools", "", "no tool definitions found")
    for path in files:
        data = checker.load(path)
        if data is None:
            continue
        checker.definitions[path.stem] = data
        checker.check_tool(path, data)
    checker.check_registry()
    checker.check_examples()
    if project is not None:
        checker.check_cases()
        checker.check_cassettes()
    checker.check_served(update_snapshot)
    checker.report.problems.sort()
    return checker.report


def run_inspector(timeout: float = 300) -> list[str]:
    """Problems the MCP Inspector CLI reports on ``tools/list --strict``, in both protocol eras."""
    import shutil

    npx = shutil.which("npx")
    if npx is None:
        return ["npx (Node.js) is needed for --inspector"]
    problems = []
    for era in ("legacy", "modern"):
        command = [npx, "-y", INSPECTOR, "--cli", sys.executable, "-m", "finizi_b4b", "serve"]
        done = subprocess.run(
            [*command, "--method", "tools/list", "--strict", "--protocol-era", era],
            capture_output=True, text=True, timeout=timeout, check=False,
            env={**os.environ, "FINIZI_B4B_LOG_LEVEL": "WARNING"},
        )  # fmt: skip
        if done.returncode != 0:
            lines = [
                line
                for line in (done.stderr + done.stdout).splitlines()
                if line.strip() and "npm warn" not in line
            ]
            problems += [f"MCP Inspector ({era}): {line}" for line in lines[-10:]] or [
                f"MCP Inspector ({era}) failed"
            ]
    return problems


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
