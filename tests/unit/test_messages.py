"""Words of tool results live in tools/messages/: every code has words there, no other module writes any.

Each XmlProblem, FileProblem and validator Keyword is produced for real where
it can be (a document, an argument) and worded; the catalogues below must name
every member of each enum, so that a new code without words, or without a
case here, fails.

The last test scans the package's syntax trees for sentences (string literals
and f-strings of four words or more) written where a tool result takes its
words: the arguments of a ToolError, of an API-layer error or of an
InvoiceXMLError, and the worded keys (``message``, ``error``, ``reason``,
``hint``, ``note``) of a dict display. It leaves out the words modules, the
sandbox (the backend's own words), the developer tools and check-schemas, and
it does not look at log lines, progress notes, prompts or the model's
instructions, which are not tool results. Any other exception's text never
reaches a model: the router words whatever else escapes a handler itself.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

import finizi_b4b
from finizi_b4b.api import errors as api_errors
from finizi_b4b.api.errors import ApiError
from finizi_b4b.einvoice_xml import (
    InvoiceXMLError,
    XmlProblem,
    build_einvoice_xml,
    document_as_utf8,
    parse_einvoice,
    text_as_utf8,
)
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.tools import messages
from finizi_b4b.tools.import_files import MAX_XML_BYTES, FileProblem, read_xml_file
from finizi_b4b.validation import Keyword, Validator

# -- e-invoice XML ---------------------------------------------------------------------------------------


def invoice() -> bytes:
    return build_einvoice_xml(
        series="C26TAA",
        number="7",
        issue_date=dt.date(2026, 3, 15),
        seller={"name": "Công ty Bán", "tax_id": "0301234567"},
        buyer={"name": "Công ty Mua", "tax_id": "0316247298"},
        lines=[{"name": "Giấy in", "unit": "ram", "quantity": 2, "unit_price": 50_000, "vat_rate": 10}],
    )


def edited(old: bytes, new: bytes):
    def change() -> object:
        content = invoice()
        assert old in content
        return parse_einvoice(content.replace(old, new))

    return change


def _lines_removed() -> object:
    content = invoice()
    start, end = content.index(b"<HHDVu>"), content.index(b"</DSHHDVu>")
    return parse_einvoice(content[:start] + content[end:])


# Each problem made for real, with a fragment its words must hold.
XML_CASES = {
    XmlProblem.NOT_WELL_FORMED: (lambda: parse_einvoice(b"<HDon>"), "not well-formed XML (no element found"),
    XmlProblem.DOCTYPE: (lambda: parse_einvoice(b"<!DOCTYPE a><a/>"), "(DOCTYPE) are not allowed"),
    XmlProblem.UNPAIRED_SURROGATE: (lambda: text_as_utf8("<a>\ud800</a>"), "(U+D800) at character 3"),
    XmlProblem.UNSUPPORTED_ENCODING: (
        lambda: document_as_utf8(b'<?xml version="1.0" encoding="rot13"?><a/>'),
        "encoding 'rot13' is not supported",
    ),
    XmlProblem.ENCODING_MISMATCH: (
        lambda: document_as_utf8(b'<?xml version="1.0" encoding="UTF-16"?><a/>'),
        "names 'UTF-16' but the file is not in that encoding",
    ),
    XmlProblem.UNDECODABLE: (
        lambda: document_as_utf8(b'<?xml version="1.0" encoding="shift_jis"?><a>\x81</a>'),
        "not valid shift_jis (byte 45)",
    ),
    XmlProblem.WRONG_ROOT: (lambda: parse_einvoice(b"<Note/>"), "the root element is <Note>, not <HDon>."),
    XmlProblem.MISSING: (edited(b"<SHDon>7</SHDon>", b""), "HDon/DLHDon/TTChung/SHDon is missing."),
    XmlProblem.EMPTY: (edited(b"<SHDon>7</SHDon>", b"<SHDon> </SHDon>"), "TTChung/SHDon is empty."),
    XmlProblem.NOT_A_NUMBER: (
        edited(b"<SLuong>2</SLuong>", b"<SLuong>two</SLuong>"),
        "HHDVu[1]/SLuong is not a number: 'two'.",
    ),
    XmlProblem.NEGATIVE: (
        edited(b"<SLuong>2</SLuong>", b"<SLuong>-2</SLuong>"),
        "SLuong must be a number of zero or more, not '-2'.",
    ),
    XmlProblem.OUT_OF_RANGE: (
        edited(b"<SLuong>2</SLuong>", b"<SLuong>1E+500</SLuong>"),
        "SLuong is out of range (1E+500): at most 10^18",
    ),
    XmlProblem.NOT_A_VAT_RATE: (
        edited(b"<TSuat>10%</TSuat>", b"<TSuat>7%</TSuat>"),
        "TSuat '7%' is not a VAT rate in use (0%, 5%, 8%, 10%, KCT).",
    ),
    XmlProblem.BAD_TAX_ID: (
        edited(b"<MST>0301234567</MST>", b"<MST>123</MST>"),
        "NBan/MST '123' is not a tax id",
    ),
    XmlProblem.BAD_SERIES: (
        edited(b"<KHHDon>C26TAA</KHHDon>", b"<KHHDon>c/1</KHHDon>"),
        "'c/1' is not a series",
    ),
    XmlProblem.BAD_NUMBER: (
        edited(b"<SHDon>7</SHDon>", b"<SHDon>7a</SHDon>"),
        "'7a' is not an invoice number",
    ),
    XmlProblem.BAD_DATE: (
        edited(b"<NLap>2026-03-15</NLap>", b"<NLap>15/03</NLap>"),
        "NLap '15/03' is not a date",
    ),
    XmlProblem.NO_LINES: (_lines_removed, "NDHDon/DSHHDVu has no HHDVu line."),
    XmlProblem.LINE_MISMATCH: (
        edited(b"<ThTien>100000</ThTien>", b"<ThTien>99</ThTien>"),
        "HHDVu[1]/ThTien is 99 but SLuong x DGia is 100000.",
    ),
    XmlProblem.BEFORE_TAX_MISMATCH: (
        edited(b"<TgTCThue>100000</TgTCThue>", b"<TgTCThue>90000</TgTCThue>"),
        "TToan/TgTCThue is 90000 but the lines add up to 100000.",
    ),
    XmlProblem.TOTAL_MISMATCH: (
        edited(b"<TgTTTBSo>110000</TgTTTBSo>", b"<TgTTTBSo>1</TgTTTBSo>"),
        "TToan/TgTTTBSo is 1 but TgTCThue + TgTThue is 110000.",
    ),
}
# Problems no document can reach (a DOCTYPE is refused before any entity in it), worded all the same.
UNREACHABLE = {XmlProblem.ENTITY: "entity declarations are not allowed."}


def test_every_xml_problem_has_a_case_here():
    assert set(XML_CASES) | set(UNREACHABLE) == set(XmlProblem)


@pytest.mark.parametrize("problem", sorted(XML_CASES), ids=str)
def test_every_xml_problem_is_worded(problem):
    make, fragment = XML_CASES[problem]
    with pytest.raises(InvoiceXMLError) as caught:
        make()
    assert caught.value.problem is problem, caught.value
    said = messages.unusable_xml(caught.value)
    assert fragment in said, said
    assert said.startswith("The XML is not usable: ") and said.endswith(" Nothing was uploaded.")


def test_unreachable_xml_problems_are_worded_too():
    for problem, words in UNREACHABLE.items():
        assert messages.xml_problem(InvoiceXMLError(problem)) == words


def test_a_long_value_is_cut_to_a_line():
    series = "X" * 5000
    with pytest.raises(InvoiceXMLError) as caught:
        parse_einvoice(invoice().replace(b"C26TAA", series.encode()))
    assert caught.value.problem is XmlProblem.BAD_SERIES
    assert len(caught.value.facts["value"]) == 40 and caught.value.facts["value"].endswith("…")
    assert len(messages.xml_problem(caught.value)) < 160


def test_amounts_compared_are_facts_as_decimals():
    with pytest.raises(InvoiceXMLError) as caught:
        XML_CASES[XmlProblem.LINE_MISMATCH][0]()
    facts = caught.value.facts
    assert (facts["found"], facts["expected"]) == (Decimal(99), Decimal(100_000))


# -- reading a file for an import ------------------------------------------------------------------------

FILE_CASES = {
    FileProblem.NO_FILE: ({"path": Path("/x/a.xml")}, "No file at /x/a.xml. Check the path and try again."),
    FileProblem.SYMBOLIC_LINK: (
        {"path": Path("/x/a.xml")},
        "/x/a.xml is a symbolic link; links are not followed. Give the path of the XML file itself.",
    ),
    FileProblem.NOT_A_FILE: ({"path": Path("/x")}, "/x is not a regular file. Give the path of an XML file."),
    FileProblem.UNREADABLE: (
        {"path": Path("/x/a.xml"), "reason": "Permission denied"},
        "Cannot read /x/a.xml: Permission denied.",
    ),
    FileProblem.TOO_LARGE: (
        {"path": Path("/x/a.xml"), "size": 6 * 1048576, "limit": MAX_XML_BYTES},
        "/x/a.xml is 6.0 MB; e-invoice XML files are limited to 5 MB.",
    ),
    FileProblem.GREW_TOO_LARGE: (
        {"path": Path("/x/a.xml"), "limit": MAX_XML_BYTES},
        "/x/a.xml is over 5 MB; e-invoice XML is limited to 5 MB.",
    ),
    FileProblem.TEXT_TOO_LARGE: (
        {"limit": MAX_XML_BYTES},
        "xml_content is over 5 MB; e-invoice XML is limited to 5 MB.",
    ),
    FileProblem.UTF8_TOO_LARGE: (
        {"limit": MAX_XML_BYTES},
        "The file (as UTF-8) is over 5 MB; e-invoice XML is limited to 5 MB.",
    ),
}


def test_every_file_problem_is_worded():
    assert set(FILE_CASES) == set(FileProblem)
    for problem, (facts, words) in FILE_CASES.items():
        assert messages.file_problem(problem, facts) == words


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/srv/a\x00b.xml", "$.file_path: contains a NUL character"),
        ("invoices/a.xml", "$.file_path: must be an absolute path"),
        ("~nosuchuser-b4b/a.xml", "$.file_path: must be an absolute path"),
    ],
)
def test_a_path_the_rules_refuse_is_refused_in_their_words_when_read(path, words):
    # The tool's rules refuse these before any file is read; a caller that skips them gets the same words.
    with pytest.raises(ToolError) as caught:
        read_xml_file(path)
    assert caught.value.code is ErrorCode.INVALID_ARGUMENTS
    assert caught.value.message.startswith("Invalid arguments: " + words), caught.value.message


# -- the argument validator ------------------------------------------------------------------------------

SCHEMA = {
    "type": "object",
    "properties": {
        "kind": {"type": "string"},
        "number": {"type": "number"},
        "choice": {"enum": [1, "a"]},
        "fixed": {"const": True},
        "code": {"type": "string", "pattern": "^[0-9]{2}$"},
        "odd": {"type": "string", "pattern": "^.*x$"},
        "day": {"type": "string", "format": "date"},
        "short": {"type": "string", "minLength": 3},
        "empty": {"type": "string", "minLength": 1},
        "long": {"type": "string", "maxLength": 1},
        "low": {"type": "integer", "minimum": 10, "exclusiveMaximum": 3},
        "high": {"type": "number", "maximum": 0, "exclusiveMinimum": 5},
        "few": {"type": "array", "minItems": 3, "uniqueItems": True},
        "many": {"type": "array", "maxItems": 0},
        "none": {"type": "array", "items": False},
    },
    "required": ["needed"],
    "additionalProperties": False,
}
ARGUMENTS = {
    "kind": 1,
    "number": float("nan"),
    "choice": 2,
    "fixed": False,
    "code": "x",
    "odd": "y",
    "day": "2025-02-30",
    "short": "ab",
    "empty": "",
    "long": "ab",
    "low": 4,
    "high": 2,
    "few": [1, 1],
    "many": [1],
    "none": [1],
    "password": "S3cret",
}
WORDS = [
    "$: 'needed' is a required property",
    "$: Additional properties are not allowed ('password' was unexpected)",
    '$.choice: must be one of 1, "a"',
    "$.code: must be 2 digits",
    "$.day: must be a real calendar date written YYYY-MM-DD",
    "$.empty: must not be empty",
    "$.few: must have at least 3 items",
    "$.few: must not repeat items",
    "$.fixed: must be true",
    "$.high: must be <= 0",
    "$.high: must be > 5",
    "$.kind: must be of type string",
    "$.long: must be at most 1 characters long",
    "$.low: must be < 3",
    "$.low: must be >= 10",
    "$.many: must have at most 0 items",
    "$.none: must be empty",
    "$.number: must be a finite number",
    "$.odd: does not have the expected form",
    "$.short: must be at least 3 characters",
]


def test_every_validator_keyword_is_worded():
    problems = Validator(SCHEMA).problems(ARGUMENTS)
    assert {p.keyword for p in problems} == set(Keyword)
    said = sorted(messages.argument_problem(p) for p in problems)
    assert said == sorted(WORDS)
    assert not any("S3cret" in words for words in said)


# -- no sentence for a tool result outside the words modules ----------------------------------------------

PACKAGE = Path(finizi_b4b.__file__).parent
# Where words are made (the messages, and the one module that puts patterns in words), and what plays or
# serves beside the server: the sandbox (the backend's own words), the developer tools, check-schemas.
EXEMPT = ("tools/messages/", "tools/pattern_words.py", "sandbox/", "devtools/", "checks/")
# What carries text into a tool result: the result's error (ToolError), and the facts the messages word:
# the API layer's and the e-invoice reader's failures, the validator's problems, the argument rules'
# breaches. Any other exception that escapes a handler ends in the router's fixed "failed unexpectedly"
# words, so its text never reaches a model.
CARRIERS = frozenset(
    {"ToolError", "InvoiceXMLError", "ArgumentProblem", "Breach"}
    | {
        name
        for name, value in vars(api_errors).items()
        if isinstance(value, type) and issubclass(value, ApiError)
    }
)
# The keys of a handler's result (and of a batch's entries) that hold words for the model.
WORDED_KEYS = frozenset({"message", "error", "reason", "hint", "note"})


def _sentences(node: ast.AST) -> Iterator[str]:
    """The string literals (f-strings with their fields as {}) in ``node`` that hold four words or more."""
    inside_fstrings = set()
    for child in ast.walk(node):
        if isinstance(child, ast.JoinedStr):
            inside_fstrings.update(id(part) for part in child.values)
            text = "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in child.values)
        elif (
            isinstance(child, ast.Constant)
            and isinstance(child.value, str)
            and id(child) not in inside_fstrings
        ):
            text = child.value
        else:
            continue
        if sum(1 for word in text.split() if re.search("[A-Za-z]{2}", word)) >= 4:
            yield text


def _called(node: ast.Call) -> str | None:
    return node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)


def sentences_for_results(source: str) -> list[tuple[int, str]]:
    """(line, text) of each sentence the module's code writes into a tool result: in the arguments of a
    carrier's constructor, or as the value of a worded key of a dict display."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _called(node) in CARRIERS:
            parts: list[ast.AST] = [*node.args, *(keyword.value for keyword in node.keywords)]
        elif isinstance(node, ast.Dict):
            parts = [
                value
                for key, value in zip(node.keys, node.values, strict=True)
                if isinstance(key, ast.Constant) and key.value in WORDED_KEYS
            ]
        else:
            continue
        found += [(node.lineno, text) for part in parts for text in _sentences(part)]
    return found


def test_the_scan_finds_a_sentence_where_a_code_should_be():
    planted = """
raise ToolError(ErrorCode.FILE_NOT_FOUND, f"No file at {path}. Check the path.")
raise ToolError(ErrorCode.INVALID_XML, messages.unusable_xml(exc) + " Try another file now.")
raise InvoiceXMLError(XmlProblem.MISSING, path=f"{where} is missing from the invoice")
raise errors.NotFound(Reason.NO_MATCH, detail="Nothing matched the id given")
return {"message": "Invoice imported, all is well.", "data": data}
"""
    assert [line for line, _ in sentences_for_results(planted)] == [2, 3, 4, 5, 6]
    clean = """
raise ToolError(ErrorCode.FILE_NOT_FOUND, messages.file_problem(problem, facts))
raise InvoiceXMLError(XmlProblem.MISSING, path=f"{where}/{path}")
raise ValueError(f"not a whole-value pattern here: {pattern!r}")
log.info("tool %s: %s in %.1f ms", name, outcome, elapsed)
return {"message": messages.imported(label, found, answer_named_it=True), "data": data}
"""
    assert sentences_for_results(clean) == []


def test_no_module_but_the_messages_writes_a_sentence_for_a_tool_result():
    checked, found = 0, []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name.startswith(EXEMPT):
            continue
        checked += 1
        found += [f"{name}:{line}: {text!r}" for line, text in sentences_for_results(path.read_text("utf-8"))]
    assert checked > 50  # the whole package, not an empty folder
    assert found == [], "words for a tool result belong in finizi_b4b/tools/messages/:\n" + "\n".join(found)
