"""E-invoice XML, the files it is read from, and the argument validator, worded from their codes."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from xml.parsers import expat

from finizi_b4b.einvoice_xml import VAT_RATES, InvoiceXMLError, XmlProblem
from finizi_b4b.einvoice_xml.problems import shown as _cut
from finizi_b4b.paths import FileProblem
from finizi_b4b.tools.pattern_words import form_words
from finizi_b4b.validation import ArgumentProblem, Keyword

# einvoice_xml, tools/import_files.py and validation.py raise or report codes with facts; these are their
# words. Every code has words here (tests/unit/test_messages.py holds it).


def _quoted(value: object) -> str:
    """A value from a document or the disk, quoted and escaped, at most 40 characters (the facts are cut)."""
    return repr(str(value))


_VAT_RATES_WORDS = ", ".join(f"{rate}%" for rate in VAT_RATES) + ", KCT"

# What an e-invoice XML problem says, by its code (finizi_b4b.einvoice_xml.XmlProblem).
_XML: dict[XmlProblem, Callable[[Mapping[str, Any]], str]] = {
    XmlProblem.NOT_WELL_FORMED: lambda f: (
        f"not well-formed XML ({expat.ErrorString(f['code'])} at line {f['line']}, column {f['column']})."
    ),
    XmlProblem.DOCTYPE: lambda f: "document type declarations (DOCTYPE) are not allowed.",
    XmlProblem.ENTITY: lambda f: "entity declarations are not allowed.",
    XmlProblem.UNPAIRED_SURROGATE: lambda f: (
        f"the text holds an unpaired surrogate (U+{f['code_point']:04X}) at character {f['at']}."
    ),
    XmlProblem.UNSUPPORTED_ENCODING: lambda f: (
        f"the declared encoding {_quoted(f['encoding'])} is not supported; save the file as UTF-8."
    ),
    XmlProblem.ENCODING_MISMATCH: lambda f: (
        f"the declaration names {_quoted(f['encoding'])} but the file is not in that encoding."
    ),
    XmlProblem.UNDECODABLE: lambda f: f"the file is not valid {f['encoding']} (byte {f['byte']}).",
    XmlProblem.WRONG_ROOT: lambda f: f"the root element is <{f['value']}>, not <HDon>.",
    XmlProblem.MISSING: lambda f: f"{f['path']} is missing.",
    XmlProblem.EMPTY: lambda f: f"{f['path']} is empty.",
    XmlProblem.NOT_A_NUMBER: lambda f: f"{f['path']} is not a number: {_quoted(f['value'])}.",
    XmlProblem.NEGATIVE: lambda f: (
        f"{f['path']} must be a number of zero or more, not {_quoted(f['value'])}."
    ),
    XmlProblem.OUT_OF_RANGE: lambda f: (
        f"{f['path']} is out of range ({f['value']}): at most 10^18, with 6 decimals at most."
    ),
    XmlProblem.NOT_A_VAT_RATE: lambda f: (
        f"{f['path']} {_quoted(f['value'])} is not a VAT rate in use ({_VAT_RATES_WORDS})."
    ),
    XmlProblem.BAD_TAX_ID: lambda f: (
        f"{f['path']} {_quoted(f['value'])} is not a tax id (10 digits, 10-3 or 12-14 digits)."
    ),
    XmlProblem.BAD_SERIES: lambda f: (
        f"{f['path']} {_quoted(f['value'])} is not a series (up to 12 letters and digits)."
    ),
    XmlProblem.BAD_NUMBER: lambda f: (
        f"{f['path']} {_quoted(f['value'])} is not an invoice number (digits only)."
    ),
    XmlProblem.BAD_DATE: lambda f: f"{f['path']} {_quoted(f['value'])} is not a date (YYYY-MM-DD).",
    XmlProblem.NO_LINES: lambda f: f"{f['path']} has no HHDVu line.",
    XmlProblem.LINE_MISMATCH: lambda f: (
        f"{f['path']} is {_cut(f['found'])} but SLuong x DGia is {_cut(f['expected'])}."
    ),
    XmlProblem.BEFORE_TAX_MISMATCH: lambda f: (
        f"{f['path']} is {_cut(f['found'])} but the lines add up to {_cut(f['expected'])}."
    ),
    XmlProblem.TOTAL_MISMATCH: lambda f: (
        f"{f['path']} is {_cut(f['found'])} but TgTCThue + TgTThue is {_cut(f['expected'])}."
    ),
}


def xml_problem(exc: InvoiceXMLError) -> str:
    """What is wrong with an e-invoice XML, as a sentence ("HDon/DLHDon/TTChung/SHDon is missing.")."""
    return _XML[exc.problem](exc.facts)


def unusable_xml(exc: InvoiceXMLError) -> str:
    """Why an e-invoice XML was refused before it was uploaded."""
    return f"The XML is not usable: {xml_problem(exc)} Nothing was uploaded."


# What reading a local file for an import says, by its code (finizi_b4b.paths.FileProblem).
_FILES: dict[FileProblem, Callable[[Mapping[str, Any]], str]] = {
    FileProblem.NO_FILE: lambda f: f"No file at {f['path']}. Check the path and try again.",
    FileProblem.SYMBOLIC_LINK: lambda f: (
        f"{f['path']} is a symbolic link; links are not followed. Give the path of the XML file itself."
    ),
    FileProblem.NOT_A_FILE: lambda f: f"{f['path']} is not a regular file. Give the path of an XML file.",
    FileProblem.UNREADABLE: lambda f: f"Cannot read {f['path']}: {f['reason']}.",
    FileProblem.TOO_LARGE: lambda f: (
        f"{f['path']} is {f['size'] / 1048576:.1f} MB; e-invoice XML files are limited to "
        f"{f['limit'] // 1048576} MB."
    ),
    FileProblem.GREW_TOO_LARGE: lambda f: (
        f"{f['path']} is over {f['limit'] // 1048576} MB; e-invoice XML is limited to "
        f"{f['limit'] // 1048576} MB."
    ),
    FileProblem.TEXT_TOO_LARGE: lambda f: (
        f"xml_content is over {f['limit'] // 1048576} MB; e-invoice XML is limited to "
        f"{f['limit'] // 1048576} MB."
    ),
    FileProblem.UTF8_TOO_LARGE: lambda f: (
        f"The file (as UTF-8) is over {f['limit'] // 1048576} MB; e-invoice XML is limited to "
        f"{f['limit'] // 1048576} MB."
    ),
}


def file_problem(problem: FileProblem, facts: Mapping[str, Any]) -> str:
    """Why a local file could not be read for an import."""
    return _FILES[problem](facts)


# One file of a batch import that failed in a way no code foresees; the batch goes on.
FILE_FAILED_UNEXPECTEDLY = "This file could not be handled; see the server's log."


_FORMATS = {"date": "a real calendar date written YYYY-MM-DD"}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _unexpected(names: Sequence[str], shown: int = 5, width: int = 40) -> str:
    """Property names for a message: a few, each cut short and escaped (a key may hold anything)."""
    words = [repr(n if len(n) <= width else n[:width] + "…") for n in names[:shown]]
    if len(names) > shown:
        words.append(f"and {len(names) - shown} more")
    return ", ".join(words) + (" was" if len(names) == 1 else " were")


def _form(problem: ArgumentProblem) -> str:
    """What a value with a pattern must be: the property's phrase, else the pattern's structure."""
    words = form_words(problem.name, problem.facts["pattern"])
    return f"must be {words}" if words else "does not have the expected form"


def _wrong_type(problem: ArgumentProblem) -> str:
    if problem.facts.get("not_finite"):
        return "must be a finite number"
    if problem.facts.get("pattern"):  # a value with a form: say what the form is
        return _form(problem)
    return "must be of type " + " or ".join(problem.facts["types"])


# What an argument that breaks a keyword of its schema says, by the keyword (finizi_b4b.validation.Keyword).
# Never the value: it may be a password.
_KEYWORDS: dict[Keyword, Callable[[ArgumentProblem], str]] = {
    Keyword.TYPE: _wrong_type,
    Keyword.ENUM: lambda p: "must be one of " + ", ".join(map(_dumps, p.facts["options"])),
    Keyword.CONST: lambda p: f"must be {_dumps(p.facts['value'])}",
    Keyword.PATTERN: _form,
    Keyword.FORMAT: lambda p: f"must be {_FORMATS[p.facts['format']]}",
    Keyword.MIN_LENGTH: lambda p: (
        "must not be empty" if p.facts["limit"] == 1 else f"must be at least {p.facts['limit']} characters"
    ),
    Keyword.MAX_LENGTH: lambda p: f"must be at most {p.facts['limit']} characters long",
    Keyword.MINIMUM: lambda p: f"must be >= {p.facts['limit']}",
    Keyword.MAXIMUM: lambda p: f"must be <= {p.facts['limit']}",
    Keyword.EXCLUSIVE_MINIMUM: lambda p: f"must be > {p.facts['limit']}",
    Keyword.EXCLUSIVE_MAXIMUM: lambda p: f"must be < {p.facts['limit']}",
    Keyword.MIN_ITEMS: lambda p: f"must have at least {p.facts['limit']} items",
    Keyword.MAX_ITEMS: lambda p: f"must have at most {p.facts['limit']} items",
    Keyword.UNIQUE_ITEMS: lambda p: "must not repeat items",
    Keyword.ITEMS: lambda p: "must be empty",
    Keyword.REQUIRED: lambda p: f"{p.facts['name']!r} is a required property",
    Keyword.ADDITIONAL_PROPERTIES: lambda p: (
        f"Additional properties are not allowed ({_unexpected(p.facts['names'])} unexpected)"
    ),
}


def argument_problem(problem: ArgumentProblem) -> str:
    """One problem of a tool's arguments: its place and the rule, e.g. "$.page_size: must be <= 200"."""
    return f"{problem.json_path}: {_KEYWORDS[problem.keyword](problem)}"
