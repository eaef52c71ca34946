"""The server's argument validator against the reference implementation, ``jsonschema``.

The validator implements only the keywords the tool schemas use; on every
example, every case file under tests/schema-cases and a set of mutations of
each example, it must agree with jsonschema on validity and on the places of
the problems.

The reference is jsonschema's own 2020-12 validator with two rules of JSON
Schema that its defaults do not follow, written here independently of the
server's code: patterns match whole values (JSON Schema patterns are ECMA-262,
whose ``$`` matches only at the very end, while jsonschema runs Python's
``re.search``, whose ``$`` also matches before a final newline), and numbers are
finite. The tests below show that the default would let a trailing newline
through, so the stricter reference is not a formality.
"""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, ValidationError, validators

from finizi_b4b.errors import ToolError
from finizi_b4b.router import ToolRouter
from finizi_b4b.schemas import load_definitions
from finizi_b4b.tools.messages import argument_problem as said
from finizi_b4b.tools.pattern_words import PHRASES
from finizi_b4b.validation import (
    ID_MAX_LENGTH,
    ID_PATTERN,
    PATTERN_BOUNDS,
    SchemaNotSupported,
    Validator,
    canonical,
    unsupported,
    whole_value,
)

DEFINITIONS = load_definitions()
CASES = Path(__file__).resolve().parents[1] / "schema-cases"
UUID = "3f2b8c1e-9a4d-4e7b-8c21-5d6f7a8b9c0d"

MUTATIONS = [None, True, 0, -1, 1.5, 1.0, 10**9, "", "../etc", "x" * 5000, [], ["x", "x"], {}, {"a": 1},
             "2025-02-29", "2024-02-29", "2025-1-05", "20250105", "2025-W01-1", "2025-01-01\n",
             float("nan"), float("inf"), float("-inf"), UUID + "\n", "42\n", "0316247298\n", "paid\n",
             "42"]  # fmt: skip


def _whole(validator, source, instance, schema):
    # ECMA-262 '$' without the multiline flag: the very end, like Python's '\Z'.
    whole = re.sub(r"(?<!\\)\$", r"\\Z", source)
    if validator.is_type(instance, "string") and not re.search(whole, instance):
        yield ValidationError(f"{instance!r} does not match {source!r}")


def _finite_number(checker, instance):
    return Draft202012Validator.TYPE_CHECKER.is_type(instance, "number") and (
        not isinstance(instance, float) or math.isfinite(instance)
    )


Reference = validators.extend(
    Draft202012Validator,
    {"pattern": _whole},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("number", _finite_number),
)


def reference(schema):
    return Reference(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


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


def reference_places(mine, theirs) -> set[str]:
    """The reference's places, less those inside an array we report as over its maxItems: by design we
    do not look into such an array (that is what keeps validation time bounded)."""
    oversized = tuple(p.json_path + "[" for p in mine if p.keyword == "maxItems")
    return {path for path in places(theirs) if not path.startswith(oversized)}


def patterned():
    """(tool, property, a valid value) for every property with a pattern, from the tools' examples
    and valid cases (for ids, digits: a UUID and a newline would be over the maxLength)."""
    for name, definition in sorted(DEFINITIONS.items()):
        schema = definition["inputSchema"]
        for key, prop in schema.get("properties", {}).items():
            if "pattern" not in prop:
                continue
            value = "42" if prop["pattern"] == ID_PATTERN else None
            value = value or next((e[key] for e in schema.get("examples", []) if key in e), None)
            value = value or next(
                json.loads(p.read_text(encoding="utf-8"))[key]
                for p in sorted((CASES / name / "valid").glob("*.json"))
                if key in json.loads(p.read_text(encoding="utf-8"))
            )
            yield name, key, value


PATTERNED = list(patterned())


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_agrees_with_jsonschema(name):
    schema = DEFINITIONS[name]["inputSchema"]
    ours = Validator(schema)
    theirs_validator = reference(schema)
    checked = 0
    for instance in instances(name):
        mine = ours.problems(instance)
        theirs = list(theirs_validator.iter_errors(instance))
        assert bool(mine) == bool(theirs), (instance, mine, [e.message for e in theirs])
        assert places(mine) == reference_places(mine, theirs), (instance, mine, [e.json_path for e in theirs])
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
    problems = [said(p) for p in validator.problems({"phone": "S3cret-value" * 20, "password": 5, "otp": 1})]
    assert problems == [
        "$: Additional properties are not allowed ('otp' was unexpected)",
        "$.password: must be of type string",
        "$.phone: must be at most 24 characters long",
    ]
    assert all("S3cret" not in p for p in problems)


def test_booleans_are_not_integers_and_integral_floats_are():
    validator = Validator({"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}})
    assert [said(p) for p in validator.problems({"n": True})] == ["$.n: must be of type integer"]
    assert validator.problems({"n": 2.0}) == []
    assert [said(p) for p in validator.problems({"n": 0})] == ["$.n: must be >= 1"]


# -- whole values: a trailing newline never passes ------------------------------------------


@pytest.mark.parametrize(("tool", "key", "value"), PATTERNED, ids=[f"{t}-{k}" for t, k, _ in PATTERNED])
def test_a_trailing_newline_is_refused_where_python_dollar_would_pass_it(tool, key, value):
    schema = DEFINITIONS[tool]["inputSchema"]
    arguments = {**schema.get("examples", [{}])[0], key: value + "\n"}
    prop = schema["properties"][key]
    bound = prop.get("maxLength") or PATTERN_BOUNDS[prop["pattern"]]
    assert len(value) + 1 <= bound  # the pattern itself is what must refuse it
    # jsonschema's default ('re.search' with '$') lets it through: the rule is not a formality ...
    assert not list(Draft202012Validator(schema).iter_errors(arguments))
    # ... ours and the whole-value reference refuse it, at that property.
    assert [p.json_path for p in Validator(schema).problems(arguments)] == [f"$.{key}"]
    assert places(reference(schema).iter_errors(arguments)) == {f"$.{key}"}


@pytest.mark.parametrize(
    ("source", "compiled"),
    [
        ("^a$", "^a\\Z"),
        ("^(a|b$)$", "^(a|b\\Z)\\Z"),
        ("^a\\$", "^a\\$"),  # an escaped dollar is a character
        ("^a\\\\$", "^a\\\\\\Z"),  # an escaped backslash, then the end
        ("^[$]$", "^[$]\\Z"),  # a dollar in a class is a character
        ("^[]$]$", "^[]$]\\Z"),  # ']' first in a class is a member
        ("^[^]$]x$", "^[^]$]x\\Z"),
        ("^[\\[$]$", "^[\\[$]\\Z"),
    ],
)
def test_whole_value_translation(source, compiled):
    assert whole_value(source) == compiled


def test_the_pattern_is_never_tried_on_a_string_over_its_max_length(monkeypatch):
    validator = Validator({"type": "object", "properties": {"s": {"type": "string", "maxLength": 10,
                                                                   "pattern": "^(a+)+$"}}})  # fmt: skip

    def never(source):
        raise AssertionError("a pattern was tried on a string already too long")

    monkeypatch.setattr(validator, "_pattern", never)
    assert [said(p) for p in validator.problems({"s": "a" * 100_000 + "!"})] == [
        "$.s: must be at most 10 characters long"
    ]


def test_an_array_over_max_items_is_not_looked_into():
    validator = Validator(DEFINITIONS["list_invoices"]["inputSchema"])
    huge = [[[]]] * 200_000  # every item would be a problem of its own
    problems = [said(p) for p in validator.problems({"entity_id": UUID, "fields": huge})]
    assert problems == ["$.fields: must have at most 15 items"]


# -- uniqueness in one pass, with JSON equality ----------------------------------------------


def test_unique_items_uses_json_equality():
    validator = Validator({"type": "array", "uniqueItems": True})
    repeated = [[1, 1.0], [{"a": 1, "b": [2]}, {"b": [2.0], "a": 1}], [[1, [2]], [1, [2]]], ["x", "x"]]
    distinct = [[True, 1], [False, 0], [None, False], [[True], [1]], [{"a": 1}, {"a": "1"}], ["1", 1], []]
    for value in repeated:
        assert [p.keyword for p in validator.problems(value)] == ["uniqueItems"], value
        assert list(reference({"type": "array", "uniqueItems": True}).iter_errors(value)), value
    for value in distinct:
        assert validator.problems(value) == [], value
        assert not list(reference({"type": "array", "uniqueItems": True}).iter_errors(value)), value


def test_unique_items_is_linear_and_any_depth():
    validator = Validator({"type": "array", "uniqueItems": True})
    deep: list = []
    for _ in range(20_000):  # far beyond the recursion limit
        deep = [deep]
    started = time.perf_counter()
    assert validator.problems([str(i) for i in range(100_000)]) == []  # pairwise would be 5e9 comparisons
    assert [p.keyword for p in validator.problems([deep, deep])] == ["uniqueItems"]
    assert validator.problems([deep, [deep]]) == []
    table: dict = {}
    assert canonical(deep, table) != canonical([deep], table)
    assert canonical([[1, {"a": [True]}]], table) == canonical([[1.0, {"a": [True]}]], table)
    assert time.perf_counter() - started < 10  # hang detection only


# -- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinity_are_refused(value):
    search = Validator(DEFINITIONS["search_similar_products"]["inputSchema"])
    base = {"entity_id": UUID, "query": "giấy in"}
    assert [said(p) for p in search.problems({**base, "min_similarity": value})] == [
        "$.min_similarity: must be a finite number"
    ]
    assert [said(p) for p in search.problems({**base, "top_k": value})] == [
        "$.top_k: must be a finite number"
    ]
    # jsonschema's default takes NaN for a number within [0, 1]: refusing it is our rule (the reference too).
    schema = DEFINITIONS["search_similar_products"]["inputSchema"]
    if math.isnan(value):
        assert not list(Draft202012Validator(schema).iter_errors({**base, "min_similarity": value}))
    assert places(reference(schema).iter_errors({**base, "min_similarity": value})) == {"$.min_similarity"}


# -- plain words -------------------------------------------------------------------------------


@pytest.mark.parametrize(("tool", "key", "value"), PATTERNED, ids=[f"{t}-{k}" for t, k, _ in PATTERNED])
def test_a_pattern_is_explained_in_plain_words(tool, key, value):
    schema = DEFINITIONS[tool]["inputSchema"]
    pattern = schema["properties"][key]["pattern"]
    base = schema.get("examples", [{}])[0]
    for bad in ("x/../y", value + "\n", ["a list"], 12.5):
        (problem,) = Validator(schema).problems({**base, key: bad})
        assert said(problem) == f"$.{key}: must be {PHRASES[key]}"
        assert pattern not in said(problem) and "^" not in said(problem)


def test_the_example_wording():
    validator = Validator(DEFINITIONS["get_invoice"]["inputSchema"])
    problems = validator.problems({"entity_id": "../x", "invoice_id": 7})
    assert [said(p) for p in problems] == [
        "$.entity_id: must be an id as shown by list_entities",
        "$.invoice_id: must be an id as shown by list_invoices",
    ]


def test_unexpected_names_are_cut_short_and_escaped():
    validator = Validator(DEFINITIONS["whoami"]["inputSchema"])
    arguments = {"a\nb" + "x" * 100: 1, **{f"k{i}": i for i in range(100)}}
    (problem,) = validator.problems(arguments)
    text = said(problem)
    assert "\n" not in text and "x" * 41 not in text and "and 96 more" in text
    assert len(text) < 400


# -- the router: accepted forms, one form for the handlers --------------------------------------


ROUTER = ToolRouter()


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        (UUID.upper(), UUID),
        ("3F2b8C1e-9a4d-4E7B-8c21-5D6F7A8B9C0D", UUID),
        (UUID, UUID),
        ("42", "42"),
        (42, "42"),
        (42.0, "42"),
        (1.0, "1"),
        (999_999_999_999_999_999, "999999999999999999"),
    ],
)
def test_an_id_is_accepted_in_every_documented_form(given, sent):
    args = ROUTER.validate("get_entity", {"entity_id": given})
    assert args == {"entity_id": sent}
    assert all(isinstance(v, str) for v in args.values())


@pytest.mark.parametrize(
    "given",
    [-5, 0, 1.5, -1.0, True, False, None, float("nan"), float("inf"), 10**18, 10**30, 1e300, "-5", "1.5",
     "0", "042", "4 2", " 42", "42\n", UUID + "\n", "12/34", "12?x", "12#x", "%2e", "a.b", "..", "", [42],
     {"id": 42}, UUID.replace("-", ""), "1" * 19],
)  # fmt: skip
def test_anything_else_is_refused_before_any_handler(given):
    with pytest.raises(ToolError) as caught:
        ROUTER.validate("get_entity", {"entity_id": given})
    assert caught.value.code.value == "invalid_arguments"
    assert caught.value.message in (
        "Invalid arguments: $.entity_id: must be an id as shown by list_entities",
        "Invalid arguments: $.entity_id: must be at most 36 characters long",
    )


def test_an_integer_too_large_to_write_is_refused_not_a_crash():
    with pytest.raises(ToolError, match=r"^Invalid arguments: \$\.entity_id: must be an id as shown by"):
        ROUTER.validate("get_entity", {"entity_id": 10**5000})  # str() of it would raise


def test_the_id_pattern_is_the_one_every_id_uses():
    for name, definition in DEFINITIONS.items():
        for key, prop in definition["inputSchema"].get("properties", {}).items():
            if key.endswith("_id") and key != "tax_id":
                assert prop["pattern"] == ID_PATTERN and prop["type"] == "string", (name, key)


def test_integral_floats_are_sent_as_integers():
    args = ROUTER.validate("list_invoices", {"entity_id": "5", "page": 2.0, "page_size": 50.0})
    assert args == {"entity_id": "5", "page": 2, "page_size": 50}
    assert type(args["page"]) is int and type(args["page_size"]) is int
    arguments = {"entity_id": "5", "query": "q", "min_similarity": 1}
    similar = ROUTER.validate("search_similar_products", arguments)
    assert similar["min_similarity"] == 1 and similar["top_k"] == 10


@pytest.mark.parametrize("phone", ["0909 495 665", "090.949.5665", "0909-495-665", "0909495665"])
def test_a_login_phone_is_sent_without_separators(phone):
    assert ROUTER.validate("login", {"phone": phone, "password": "x"})["phone"] == "0909495665"
    assert ROUTER.validate("login", {"phone": "+84 " + phone[1:], "password": "x"})["phone"] == "+84909495665"


def test_a_status_is_any_short_lower_case_word():
    for status in ("paid", "partially_paid", "refunded"):
        assert ROUTER.validate("list_invoices", {"entity_id": "5", "status": status})["status"] == status
    for status in ("Paid", "paid\n", "paid now", "", "đã_trả", "9paid"):
        with pytest.raises(ToolError, match=r"\$\.status: must be a short lower-case word"):
            ROUTER.validate("list_invoices", {"entity_id": "5", "status": status})
    with pytest.raises(ToolError, match=r"\$\.status: must be at most 30 characters long$"):
        ROUTER.validate("list_invoices", {"entity_id": "5", "status": "a" * 31})


def test_preview_defaults_to_false():
    args = ROUTER.validate("import_invoice_xml", {"entity_id": "5", "xml_content": "<HDon/>"})
    assert args["preview"] is False and args["auto_classify"] is True


# -- ids: bounded by their pattern, which never runs on a longer string -------------------------------


class CountingValidator(Validator):
    runs = 0

    def _pattern(self, source):
        compiled = super()._pattern(source)
        outer = self

        class Counted:
            def search(self, value):
                outer.runs += 1
                return compiled.search(value)

        return Counted()


@pytest.mark.parametrize("length", [ID_MAX_LENGTH + 1, 100_000])
def test_an_id_longer_than_its_pattern_allows_is_refused_without_running_the_pattern(length):
    schema = {"type": "object", "properties": {"entity_id": {"type": "string", "pattern": ID_PATTERN}}}
    validator = CountingValidator(schema)
    assert [said(p) for p in validator.problems({"entity_id": "9" * length})] == [
        "$.entity_id: must be an id as shown by list_entities"
    ]
    assert validator.runs == 0
    assert validator.problems({"entity_id": UUID.upper()}) == [] and validator.runs == 1
    assert PATTERN_BOUNDS[ID_PATTERN] == len(UUID) == ID_MAX_LENGTH
