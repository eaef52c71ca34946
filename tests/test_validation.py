"""The server's argument validator against the reference implementation, ``jsonschema``.

The validator implements only the keywords the tool schemas use; on every
example, every case file under tests/schema-cases and a set of mutations of
each example, it must agree with jsonschema on validity and on the places of
the problems.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from finizi_b4b.schemas import load_definitions
from finizi_b4b.validation import SchemaNotSupported, Validator, unsupported

DEFINITIONS = load_definitions()
CASES = Path(__file__).parent / "schema-cases"

MUTATIONS = [None, True, 0, -1, 1.5, 10**9, "", "../etc", "x" * 5000, [], ["x", "x"], {}, {"a": 1},
             "2025-02-29", "2024-02-29", "2025-1-05", "20250105", "2025-W01-1"]  # fmt: skip


def instances(name: str):
    schema = DEFINITIONS[name]["inputSchema"]
    examples = schema.get("examples", [])
    yield from examples
    for path in sorted((CASES / name).glob("*/*.json")):
        yield json.loads(path.read_text(encoding="utf-8"))
    base = examples[0] if examples else {}
    for key in schema.get("properties", {}):
        for value in MUTATIONS:
            yield {**base, key: value}
    yield {**base, "unexpected": 1}
    yield {k: v for k, v in base.items() if k not in schema.get("required", [])}
    yield []
    yield "text"


def places(errors) -> set[str]:
    return {e.json_path for e in errors}


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_agrees_with_jsonschema(name):
    schema = DEFINITIONS[name]["inputSchema"]
    ours = Validator(schema)
    reference = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    checked = 0
    for instance in instances(name):
        mine = ours.problems(instance)
        theirs = list(reference.iter_errors(instance))
        assert bool(mine) == bool(theirs), (instance, mine, [e.message for e in theirs])
        assert places(mine) == places(theirs), (instance, mine, [e.json_path for e in theirs])
        checked += 1
    assert checked >= 4 + len(MUTATIONS) * len(schema.get("properties", {}))


def test_every_tool_schema_uses_only_supported_keywords():
    for name, definition in DEFINITIONS.items():
        assert list(unsupported(definition["inputSchema"])) == [], name


def test_an_unsupported_keyword_is_refused_not_ignored():
    with pytest.raises(SchemaNotSupported, match="#/properties/when/oneOf"):
        Validator({"type": "object", "properties": {"when": {"oneOf": [{"type": "string"}]}}})


def test_messages_name_the_place_and_never_the_value():
    validator = Validator(DEFINITIONS["login"]["inputSchema"])
    problems = [str(p) for p in validator.problems({"phone": "S3cret-value" * 20, "password": 5, "otp": 1})]
    assert problems == [
        "$: Additional properties are not allowed ('otp' was unexpected)",
        "$.password: must be of type string",
        "$.phone: " + next(p for p in problems if p.startswith("$.phone")).split(": ", 1)[1],
    ]
    assert all("S3cret" not in p for p in problems)


def test_booleans_are_not_integers_and_integral_floats_are():
    validator = Validator({"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}})
    assert [str(p) for p in validator.problems({"n": True})] == ["$.n: must be of type integer"]
    assert validator.problems({"n": 2.0}) == []
    assert [str(p) for p in validator.problems({"n": 0})] == ["$.n: must be >= 1"]
