"""The schema-validation job: the real schemas pass, and each kind of breakage is named.

Every breaking test copies the schemas (and the case files, snapshot and
cassettes) into a temporary checkout, breaks one thing, and asserts that the
check names the file and the JSON pointer of the place.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from finizi_b4b.checks import (
    TOOLS_LIST_BUDGET,
    TOOLS_LIST_BUDGET_ALL,
    check_schemas,
    nested_quantifier,
    reference_validator,
)

ROOT = Path(__file__).resolve().parents[2]
TOOL_FILES = len(list((ROOT / "schemas" / "tools").glob("*.json")))
CASES = ROOT / "tests" / "schema-cases"


class Checkout:
    """A copy of the parts of the project that the check reads."""

    def __init__(self, base: Path) -> None:
        self.base = base
        shutil.copytree(ROOT / "schemas", base / "schemas")
        for part in ("schema-cases", "snapshots", "cassettes"):
            shutil.copytree(ROOT / "tests" / part, base / "tests" / part)

    def tool(self, name: str) -> Path:
        return self.base / "schemas" / "tools" / f"{name}.json"

    def edit(self, name: str, change) -> None:
        path = self.tool(name)
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")

    def problems(self, **options) -> list[str]:
        report = check_schemas(self.base / "schemas", project=self.base, display_base=self.base, **options)
        assert report.checked == len(list((self.base / "schemas" / "tools").glob("*.json")))
        return [str(p) for p in report.problems]


@pytest.fixture
def checkout(tmp_path) -> Checkout:
    return Checkout(tmp_path)


def only(problems: list[str], expected: str) -> None:
    """The breakage was found, and nothing else was."""
    assert problems == [expected] or (expected in problems and len(problems) <= 2), problems


# -- the real tree ----------------------------------------------------------------


def test_the_real_schemas_pass():
    report = check_schemas(ROOT / "schemas", project=ROOT, display_base=ROOT)
    assert [str(p) for p in report.problems] == []
    assert report.checked == TOOL_FILES >= 20  # every file, the report tools among them
    assert report.summary == f"{TOOL_FILES} tool schemas checked, 0 problems"


def test_the_command_on_the_real_tree():
    done = subprocess.run(
        [sys.executable, "-m", "finizi_b4b", "check-schemas"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == f"{TOOL_FILES} tool schemas checked, 0 problems\n"
    assert f"bytes (budget {TOOLS_LIST_BUDGET:,})" in done.stderr


def test_the_command_on_a_broken_copy_exits_1_and_names_the_place(checkout):
    checkout.edit("list_vendors", lambda d: d["inputSchema"]["properties"]["page_size"].update(maximum="200"))
    done = subprocess.run(
        [sys.executable, "-m", "finizi_b4b", "check-schemas", "schemas"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=checkout.base,
    )
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert (
        "schemas/tools/list_vendors.json#/inputSchema/properties/page_size/maximum: not valid JSON Schema"
        in (
            lines[0][
                : len(
                    "schemas/tools/list_vendors.json#/inputSchema/properties/page_size/maximum: not valid JSON Schema"
                )
            ]
        )
    )
    assert lines[-1].startswith(f"{TOOL_FILES} tool schemas checked, ") and lines[-1].endswith(" problems")


def test_a_folder_without_tools_is_a_usage_error(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "finizi_b4b", "check-schemas", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "no tools/ folder" in done.stderr


# -- one test per kind of problem ----------------------------------------------------


def test_not_json(checkout):
    checkout.tool("whoami").write_text('{"name": "whoami",', encoding="utf-8")
    problems = checkout.problems()
    assert (
        "schemas/tools/whoami.json#: not JSON: Expecting property name enclosed in double quotes at line 1, column 19"
        in problems
    )


def test_name_differs_from_the_file(checkout):
    checkout.edit("whoami", lambda d: d.update(name="who_am_i"))
    assert (
        "schemas/tools/whoami.json#/name: is 'who_am_i' but the file is named whoami.json"
        in checkout.problems()
    )


def test_not_a_valid_mcp_tool(checkout):
    checkout.edit("logout", lambda d: d["annotations"].update(title=42))
    problems = checkout.problems()
    assert any(
        p.startswith("schemas/tools/logout.json#/annotations/title: not a valid MCP tool") for p in problems
    ), problems


def test_unknown_top_level_key(checkout):
    checkout.edit("logout", lambda d: d.update(inputschema={}))
    assert (
        "schemas/tools/logout.json#/inputschema: unknown key of a tool definition (did you mean 'inputSchema'?)"
        in checkout.problems()
    )


def test_metaschema_violation(checkout):
    checkout.edit("get_entity", lambda d: d["inputSchema"]["properties"]["entity_id"].update(type="strin"))
    problems = checkout.problems()
    assert any(
        p.startswith(
            "schemas/tools/get_entity.json#/inputSchema/properties/entity_id/type: not valid JSON Schema 2020-12"
        )
        for p in problems
    ), problems


def test_keyword_typo(checkout):
    def typo(d):
        prop = d["inputSchema"]["properties"]["page"]
        prop["mininum"] = prop.pop("minimum")

    checkout.edit("list_products", typo)
    problems = checkout.problems()
    assert (
        "schemas/tools/list_products.json#/inputSchema/properties/page/mininum: unknown JSON Schema keyword "
        "(a typo of 'minimum'?)"
    ) in problems


def test_output_root_must_be_an_object(checkout):
    checkout.edit("whoami", lambda d: d.update(outputSchema={"type": "array"}))
    assert (
        'schemas/tools/whoami.json#/outputSchema/type: the root must be "type": "object" (required by MCP clients)'
        in checkout.problems()
    )


def test_inputs_must_be_closed(checkout):
    checkout.edit("get_invoice", lambda d: d["inputSchema"].pop("additionalProperties"))
    only(
        checkout.problems(),
        "schemas/tools/get_invoice.json#/inputSchema/additionalProperties: inputs must set additionalProperties: false",
    )


def test_property_without_description(checkout):
    checkout.edit("list_vendors", lambda d: d["inputSchema"]["properties"]["q"].pop("description"))
    only(
        checkout.problems(),
        "schemas/tools/list_vendors.json#/inputSchema/properties/q/description: every input property needs a description",
    )


def test_required_names_an_undefined_property(checkout):
    checkout.edit(
        "list_vendors", lambda d: d["outputSchema"]["properties"]["data"]["required"].append("pages")
    )
    only(
        checkout.problems(),
        "schemas/tools/list_vendors.json#/outputSchema/properties/data/required/1: names 'pages', which is not "
        "among the properties",
    )


def test_an_open_object_may_list_only_the_keys_it_requires(checkout):
    # A lean output schema names the keys of a success and nothing else: not a typo to report.
    checkout.edit(
        "get_vendor", lambda d: d.update(outputSchema={"type": "object", "required": ["data", "x"]})
    )
    problems = checkout.problems()
    assert not [p for p in problems if "not among the properties" in p], problems


def test_a_closed_object_must_define_what_it_requires(checkout):
    checkout.edit("whoami", lambda d: d["inputSchema"].update(properties={}, required=["me"]))
    assert (
        "schemas/tools/whoami.json#/inputSchema/required/0: names 'me', which is not among the properties"
        in checkout.problems()
    )

    def no_properties(d):
        del d["inputSchema"]["properties"]
        d["inputSchema"]["required"] = ["x"]

    checkout.edit("logout", no_properties)
    assert (
        "schemas/tools/logout.json#/inputSchema/required/0: names 'x', which is not among the properties"
        in checkout.problems()
    )


def test_missing_title(checkout):
    checkout.edit("whoami", lambda d: d.pop("title"))
    assert (
        "schemas/tools/whoami.json#/title: a title of 3 to 40 characters is required" in checkout.problems()
    )


def test_description_too_short(checkout):
    checkout.edit("whoami", lambda d: d.update(description="Me."))
    assert (
        "schemas/tools/whoami.json#/description: must be 20 to 300 characters (is 3)" in checkout.problems()
    )


def test_missing_annotation_hint(checkout):
    checkout.edit("update_entity", lambda d: d["annotations"].pop("destructiveHint"))
    only(
        checkout.problems(),
        "schemas/tools/update_entity.json#/annotations/destructiveHint: must be set to true or false deliberately",
    )


def test_a_read_only_tool_sets_two_hints_and_no_more(checkout):
    # destructiveHint and idempotentHint mean something only when readOnlyHint is false (MCP spec).
    checkout.edit("whoami", lambda d: d["annotations"].update(idempotentHint=True))
    only(
        checkout.problems(),
        "schemas/tools/whoami.json#/annotations/idempotentHint: means nothing when readOnlyHint is true "
        "(MCP spec): drop it",
    )


def test_a_read_only_tool_still_says_whether_it_reaches_out(checkout):
    checkout.edit("get_entity", lambda d: d["annotations"].pop("openWorldHint"))
    only(
        checkout.problems(),
        "schemas/tools/get_entity.json#/annotations/openWorldHint: must be set to true or false deliberately",
    )


def test_a_write_tool_that_is_no_longer_read_only_needs_all_four(checkout):
    checkout.edit("list_vendors", lambda d: d["annotations"].update(readOnlyHint=False))
    problems = checkout.problems()
    for hint in ("destructiveHint", "idempotentHint"):
        assert (
            f"schemas/tools/list_vendors.json#/annotations/{hint}: must be set to true or false deliberately"
            in problems
        )


def test_the_real_read_only_tools_carry_no_write_hints():
    from finizi_b4b.schemas import load_definitions

    for name, tool in load_definitions(ROOT / "schemas").items():
        hints = tool["annotations"]
        if hints["readOnlyHint"]:
            assert set(hints) == {"readOnlyHint", "openWorldHint"}, name
        else:
            assert set(hints) == {"readOnlyHint", "openWorldHint", "destructiveHint", "idempotentHint"}, name


def test_a_file_without_a_handler(checkout):
    shutil.copy(checkout.tool("whoami"), checkout.tool("whoareyou"))
    checkout.edit("whoareyou", lambda d: d.update(name="whoareyou"))
    problems = checkout.problems()
    assert (
        "schemas/tools/whoareyou.json#: no handler is registered for tool 'whoareyou' (see finizi_b4b/tools)"
        in problems
    )


def test_a_handler_without_a_file(checkout):
    checkout.tool("get_vendor").unlink()
    problems = checkout.problems()
    assert (
        "schemas/tools/get_vendor.json#: the server registers tool 'get_vendor' but there is no file for it"
        in problems
    )


def test_invalid_example(checkout):
    checkout.edit("list_invoices", lambda d: d["inputSchema"]["examples"][1].update(page_size=500))
    assert (
        "schemas/tools/list_invoices.json#/inputSchema/examples/1/page_size: the example is invalid: "
        "500 is greater than the maximum of 200"
    ) in checkout.problems()


def test_a_valid_case_that_fails(checkout):
    case = checkout.base / "tests/schema-cases/get_invoice/valid/by_id.json"
    case.write_text(
        json.dumps({"entity_id": "not-an-id", "invoice_id": "9b2d7f4e-1c3a-4b5d-8e6f-0a1b2c3d4e5f"})
    )
    problems = checkout.problems()
    assert any(
        p.startswith("tests/schema-cases/get_invoice/valid/by_id.json#/entity_id: a valid case fails")
        for p in problems
    )


def test_an_invalid_case_that_passes(checkout):
    case = checkout.base / "tests/schema-cases/list_vendors/invalid/page_size_too_large.json"
    case.write_text(json.dumps({"entity_id": "3f2b8c1e-9a4d-4e7b-8c21-5d6f7a8b9c0d", "page_size": 20}))
    assert (
        "tests/schema-cases/list_vendors/invalid/page_size_too_large.json#: an invalid case passes "
        "list_vendors's inputSchema"
    ) in checkout.problems()


def test_a_tool_without_invalid_cases(checkout):
    shutil.rmtree(checkout.base / "tests/schema-cases/whoami/invalid")
    assert (
        "tests/schema-cases/whoami/invalid#: no invalid case for whoami: add at least one"
        in checkout.problems()
    )


def test_snapshot_drift_and_update(checkout):
    snapshot = json.loads((checkout.base / "tests/snapshots/tools-list.json").read_text())
    at = [tool["name"] for tool in snapshot].index("get_entity")
    checkout.edit("get_entity", lambda d: d.update(title="Read entity"))
    problems = checkout.problems()
    assert any(
        p.startswith(
            f"tests/snapshots/tools-list.json#/{at}/title: tools/list changed (tool get_entity: value changed)"
        )
        for p in problems
    ), problems
    assert "--update-snapshot" in problems[-1]
    assert checkout.problems(update_snapshot=True) == []
    assert checkout.problems() == []
    assert (
        json.loads((checkout.base / "tests/snapshots/tools-list.json").read_text())[at]["title"]
        == "Read entity"
    )


def test_tools_list_over_its_budget(checkout):
    for name in ("login", "logout", "whoami", "get_entity", "list_entities", "list_invoices"):
        checkout.edit(name, lambda d: d.update(description="Sign in to Finizi. " * 70))
    problems = checkout.problems()
    assert (TOOLS_LIST_BUDGET, TOOLS_LIST_BUDGET_ALL) == (20_000, 28_000)
    assert any(
        p.startswith("schemas/tools#: tools/list is ")
        and p.endswith("with the default toolsets, over its budget of 20,000")
        for p in problems
    ), problems


def test_more_tools_than_the_budget_is_set_for(checkout):
    from finizi_b4b.schemas import MAX_TOOLS, load_definitions

    have = len(load_definitions())
    extras = [f"whoami_{n}" for n in range(MAX_TOOLS + 1 - have)]
    for extra in extras:
        shutil.copy(checkout.tool("whoami"), checkout.tool(extra))
        checkout.edit(extra, lambda d, extra=extra: d.update(name=extra))
    problems = checkout.problems()
    wanted = (
        f"schemas/tools#: {MAX_TOOLS + 1} tools, more than the {MAX_TOOLS} the tools/list budget is set for"
    )
    assert wanted in problems


def test_external_ref(checkout):
    checkout.edit(
        "whoami",
        lambda d: d["outputSchema"].update(properties={"user": {"$ref": "https://example.com/user.json"}}),
    )
    assert (
        "schemas/tools/whoami.json#/outputSchema/properties/user/$ref: external $ref: clients cannot fetch it; "
        "inline the schema"
    ) in checkout.problems()


def test_unsupported_format(checkout):
    checkout.edit("list_vendors", lambda d: d["inputSchema"]["properties"]["q"].update(format="hostname"))
    problems = checkout.problems()
    assert any(
        p.startswith("schemas/tools/list_vendors.json#/inputSchema/properties/q/format: format 'hostname'")
        for p in problems
    )


def test_top_level_combinator(checkout):
    checkout.edit(
        "get_vendor",
        lambda d: d["inputSchema"].update(oneOf=[{"required": ["vendor_id"]}, {"required": ["tax_id"]}]),
    )
    assert (
        "schemas/tools/get_vendor.json#/inputSchema/oneOf: no combinators at the root: several clients reject them"
        in checkout.problems()
    )


def test_a_keyword_the_server_validator_lacks(checkout):
    checkout.edit("list_vendors", lambda d: d["inputSchema"]["properties"]["q"].update(multipleOf=2))
    assert any(
        p.startswith(
            "schemas/tools/list_vendors.json#/inputSchema/properties/q/multipleOf: the server's argument validator"
        )
        for p in checkout.problems()
    )


UNBOUNDED = "strings need a maxLength (or an enum), so that no pattern or format runs on an unbounded string"


def test_unbounded_string(checkout):
    checkout.edit("list_vendors", lambda d: d["inputSchema"]["properties"]["q"].pop("maxLength"))
    only(
        checkout.problems(),
        f"schemas/tools/list_vendors.json#/inputSchema/properties/q/maxLength: {UNBOUNDED}",
    )


def test_a_string_with_an_anchored_bounded_pattern_still_needs_a_max_length(checkout):
    checkout.edit(
        "list_invoices", lambda d: d["inputSchema"]["properties"]["invoice_series"].pop("maxLength")
    )
    only(
        checkout.problems(),
        f"schemas/tools/list_invoices.json#/inputSchema/properties/invoice_series/maxLength: {UNBOUNDED}",
    )


def test_a_date_is_bounded_by_its_format_and_needs_no_max_length(checkout):
    checkout.edit("get_invoice_statistics", lambda d: d["inputSchema"]["properties"]["date_to"].pop("format"))
    problems = checkout.problems()  # (its schema cases of impossible dates now pass, and say so too)
    assert (
        f"schemas/tools/get_invoice_statistics.json#/inputSchema/properties/date_to/maxLength: {UNBOUNDED}"
        in (problems)
    )


def test_a_date_with_a_redundant_max_length(checkout):
    checkout.edit(
        "get_invoice_statistics", lambda d: d["inputSchema"]["properties"]["date_to"].update(maxLength=10)
    )
    only(
        checkout.problems(),
        "schemas/tools/get_invoice_statistics.json#/inputSchema/properties/date_to/maxLength: a date string "
        "needs no maxLength: its format bounds it, and a redundant maxLength keeps some clients' strict modes "
        "from taking the tool",
    )


def test_an_array_without_max_items(checkout):
    # Unique items from an enum are bounded too, but every array states its bound.
    checkout.edit("list_invoices", lambda d: d["inputSchema"]["properties"]["fields"].pop("maxItems"))
    only(
        checkout.problems(),
        "schemas/tools/list_invoices.json#/inputSchema/properties/fields/maxItems: arrays need a maxItems",
    )


NESTED = (
    "nested quantifiers (a repeated group that holds a quantifier) can take exponential time to fail: "
    "repeat the group a bounded number of times, or rewrite it"
)


@pytest.mark.parametrize("pattern", ["^([0-9A-Z]+)+$", "^([0-9A-Z]|[A-Z]{2})*$", "^(([0-9]{2}))+$",
                                     "^(?:[A-Z][0-9]?){1,}$"])  # fmt: skip
def test_a_pattern_with_nested_quantifiers(checkout, pattern):
    checkout.edit(
        "list_invoices", lambda d: d["inputSchema"]["properties"]["invoice_series"].update(pattern=pattern)
    )
    problems = checkout.problems()
    assert (
        f"schemas/tools/list_invoices.json#/inputSchema/properties/invoice_series/pattern: {NESTED}"
        in problems
    )


def test_a_pattern_with_nested_quantifiers_in_an_output_schema(checkout):
    checkout.edit(
        "list_vendors",
        lambda d: d["outputSchema"]["properties"]["data"]["properties"].update(
            name={"type": "string", "pattern": "^([a-z]+ ?)*$"}
        ),
    )
    where = "schemas/tools/list_vendors.json#/outputSchema/properties/data/properties/name/pattern"
    assert f"{where}: {NESTED}" in checkout.problems()


@pytest.mark.parametrize(
    ("pattern", "nested"),
    [("(a+)+", True), ("(a|b*)*", True), ("(x{2})+", True), ("((a+))+", True), ("(a+){2,}", True),
     ("(a{2,3})+", True), ("((a)+)+", True), ("(?:a+)+", True),
     ("^([0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|[1-9][0-9]{0,17})$", False),
     ("^(\\+84|0)([ .-]?[0-9]){9,10}$", False), ("(a)+", False), ("([+*])+", False), ("(\\+)+", False),
     ("a+?b", False), ("(a+)?", False), ("([)+]+)x", False), ("(a{2,3}){2}", False), ("(?=a+)b", False),
     ("(a)(b+)", False), ("[(]a+[)]+", False)],
)  # fmt: skip
def test_the_nested_quantifier_scanner(pattern, nested):
    assert nested_quantifier(pattern) is nested


def test_a_pattern_without_plain_words(checkout):
    checkout.edit(
        "list_vendors",
        lambda d: d["inputSchema"]["properties"]["q"].update(pattern="^[A-Za-z ]{1,200}$"),
    )
    assert (
        "schemas/tools/list_vendors.json#/inputSchema/properties/q/pattern: no plain words for messages about "
        "'q': add it to PHRASES in finizi_b4b/tools/pattern_words.py"
    ) in checkout.problems()


ID_FORM = (
    "ids use the shared id form (type string, pattern ID_PATTERN of finizi_b4b/validation.py), "
    "so that nothing like ../ reaches a URL path"
)


def test_an_id_without_a_pattern(checkout):
    checkout.edit("get_invoice", lambda d: d["inputSchema"]["properties"]["invoice_id"].pop("pattern"))
    problems = checkout.problems()
    assert f"schemas/tools/get_invoice.json#/inputSchema/properties/invoice_id/pattern: {ID_FORM}" in problems


def test_an_id_with_a_pattern_of_its_own(checkout):
    checkout.edit(
        "get_invoice",
        lambda d: d["inputSchema"]["properties"]["invoice_id"].update(pattern="^[0-9a-f-]{36}$"),
    )
    problems = checkout.problems()
    assert f"schemas/tools/get_invoice.json#/inputSchema/properties/invoice_id/pattern: {ID_FORM}" in problems


def test_an_id_with_a_redundant_max_length(checkout):
    # The id pattern bounds the length already; OpenAI's strict mode, for one, refuses maxLength.
    checkout.edit("get_entity", lambda d: d["inputSchema"]["properties"]["entity_id"].update(maxLength=36))
    assert (
        "schemas/tools/get_entity.json#/inputSchema/properties/entity_id/maxLength: ids need no maxLength: "
        "their pattern bounds them to 36 characters, and a redundant maxLength keeps some clients' strict "
        "modes from taking the tool"
    ) in checkout.problems()


def test_an_id_needs_no_max_length_but_other_patterned_strings_do(checkout):
    checkout.edit(
        "list_invoices", lambda d: d["inputSchema"]["properties"]["invoice_series"].pop("maxLength")
    )
    problems = checkout.problems()
    assert any(
        p.startswith("schemas/tools/list_invoices.json#/inputSchema/properties/invoice_series/maxLength")
        for p in problems
    )
    assert not any("entity_id/maxLength" in p for p in problems)


@pytest.mark.parametrize("tool", ["whoami", "list_entities"])
def test_an_input_without_required_is_a_problem(checkout, tool):
    checkout.edit(tool, lambda d: d["inputSchema"].pop("required"))
    assert (
        f'schemas/tools/{tool}.json#/inputSchema/required: inputs list what they require, "required": [] when '
        "nothing is (strict clients expect it)"
    ) in checkout.problems()


def test_served_tools_declare_required_and_ids_carry_no_max_length():
    from finizi_b4b.validation import is_id_schema

    snapshot = json.loads((ROOT / "tests/snapshots/tools-list.json").read_text())
    assert len(snapshot) == TOOL_FILES
    for tool in snapshot:
        schema = tool["inputSchema"]
        assert isinstance(schema["required"], list), tool["name"]
        ids = [p for p in schema["properties"].values() if is_id_schema(p)]
        assert all("maxLength" not in p for p in ids), tool["name"]
    assert {t["name"] for t in snapshot if t["inputSchema"]["required"] == []} >= {
        "login",
        "logout",
        "whoami",
    }


def test_a_tax_id_without_a_pattern(checkout):
    checkout.edit("get_vendor", lambda d: d["inputSchema"]["properties"]["tax_id"].pop("pattern"))
    assert (
        "schemas/tools/get_vendor.json#/inputSchema/properties/tax_id/pattern: ids need a pattern, "
        "so that nothing like ../ reaches a URL path"
    ) in checkout.problems()


def test_a_page_size_without_a_maximum(checkout):
    checkout.edit("list_products", lambda d: d["inputSchema"]["properties"]["page_size"].pop("maximum"))
    assert (
        "schemas/tools/list_products.json#/inputSchema/properties/page_size/maximum: page sizes need a maximum"
        in checkout.problems()
    )


def test_recorded_arguments_that_no_longer_validate(checkout):
    checkout.edit("list_invoices", lambda d: d["inputSchema"]["properties"]["page_size"].update(maximum=40))
    problems = checkout.problems(update_snapshot=True)
    assert any(
        p.startswith(
            "tests/cassettes/full.jsonl:7#/arguments/page_size: recorded list_invoices arguments no longer validate"
        )
        for p in problems
    ), problems


# -- every case file, each its own test ------------------------------------------------

CASE_FILES = sorted(CASES.glob("*/*/*.json"))


@pytest.mark.parametrize(
    "case", CASE_FILES, ids=[f"{c.parent.parent.name}-{c.parent.name}-{c.stem}" for c in CASE_FILES]
)
def test_case_file(case):
    tool, kind = case.parent.parent.name, case.parent.name
    schema = json.loads((ROOT / "schemas" / "tools" / f"{tool}.json").read_text(encoding="utf-8"))[
        "inputSchema"
    ]
    validator = reference_validator(schema)  # whole-value patterns, finite numbers: as the server reads them
    errors = list(validator.iter_errors(json.loads(case.read_text(encoding="utf-8"))))
    assert kind in ("valid", "invalid")
    assert (not errors) if kind == "valid" else errors, [e.message for e in errors]


def test_every_tool_has_valid_and_invalid_cases():
    for tool in (ROOT / "schemas" / "tools").glob("*.json"):
        for kind in ("valid", "invalid"):
            assert list((CASES / tool.stem / kind).glob("*.json")), (tool.stem, kind)
