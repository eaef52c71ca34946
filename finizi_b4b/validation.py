"""Argument validation for the keywords the tool schemas use, with every problem listed.

The tool input schemas keep to a small part of JSON Schema 2020-12 (types,
properties, required, additionalProperties, enum, const, patterns, lengths,
bounds, items, uniqueness, the ``date`` format). Validating exactly that part
here keeps ``jsonschema`` (and the ~2 MiB it loads) out of the server process;
the reference implementation still checks the schemas in ``check-schemas`` and
the tests compare the two on every case file. A schema
using any other assertion keyword is refused when it is compiled, so no
constraint is ever ignored.

Validation runs in time linear in the size of the arguments, whatever they hold:

- a string over its ``maxLength`` is reported without testing its pattern or
  format, and an array over its ``maxItems`` without looking at its items;
- ``uniqueItems`` numbers each item by its structure (JSON equality: ``1``
  equals ``1.0``, ``true`` is not ``1``) and looks the numbers up in a set,
  instead of comparing every pair;
- patterns match whole values, as in JSON Schema (ECMA-262): an unescaped ``$``
  is compiled as ``\\Z``, since Python's ``$`` also matches before a trailing
  newline. ``check-schemas`` keeps nested quantifiers out of the patterns.

Numbers must be finite (``NaN`` and ``Infinity`` are refused), and an integral
float such as ``1.0`` is an integer.

Messages name the place (as a JSON path like ``$.fields[1]``) and the rule in
plain words, never the offending value (it may be a password) nor a raw
pattern. The words for a property whose form is a pattern are in :data:`FORMS`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Hashable, Iterator
from typing import Any

__all__ = [
    "ANNOTATIONS",
    "FORMATS",
    "FORMS",
    "ID_MAX_LENGTH",
    "ID_PATTERN",
    "SUPPORTED",
    "ArgumentProblem",
    "SchemaNotSupported",
    "Validator",
    "canonical",
    "canonical_id",
    "is_id_schema",
    "unsupported",
    "whole_value",
]

# Keywords that only describe: they never make an instance invalid.
ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated",
     "readOnly", "writeOnly"}
)  # fmt: skip
SUPPORTED = frozenset(
    {"type", "properties", "required", "additionalProperties", "enum", "const", "pattern", "minLength",
     "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "items", "minItems",
     "maxItems", "uniqueItems", "format"}
)  # fmt: skip

# The form of every id argument (``"type": "string"`` with this pattern and maxLength): a UUID in either
# letter case, or a positive integer of at most 18 digits. Nothing else, so no slash, dot, ?, #, %,
# whitespace or newline can reach a URL path. The router also takes such an integer as a JSON number.
ID_PATTERN = "^([0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|[1-9][0-9]{0,17})$"
ID_MAX_LENGTH = 36

# What a property whose form is a pattern must be, in the words of a validation message ("must be ...").
FORMS: dict[str, str] = {
    "entity_id": "an id as shown by list_entities",
    "invoice_id": "an id as shown by list_invoices",
    "vendor_id": "an id as shown by list_vendors",
    "tax_id": "a tax id (MST): 10 to 14 digits, optionally followed by a dash and a 3-digit branch number",
    "phone": "a Vietnamese phone number such as +84909495665 or 0909 495 665",
    "email": "an email address such as name@example.com",
    "invoice_series": "an invoice series (KHHDon) of up to 12 capital letters and digits, such as C25TAA",
    "invoice_number": "an invoice number (SHDon) of 1 to 12 digits",
    "status": "a short lower-case word such as draft, issued, validated, paid or cancelled",
    "period": "a month as YYYY-MM or a quarter as YYYY-Qn, such as 2026-03 or 2026-Q1",
    "account": "an account code of up to 32 letters, digits, dots, dashes or underscores, such as 1331",
}

# Formats asserted (as jsonschema's format checker does); any other format is refused when compiled.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _is_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


FORMATS: dict[str, Callable[[str], bool]] = {"date": _is_date}
_FORMAT_WORDS = {"date": "a real calendar date written YYYY-MM-DD"}


def _is_number(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": lambda v: _is_number(v) and (not isinstance(v, float) or v.is_integer()),
}


def is_id_schema(schema: Any) -> bool:
    """Whether a property schema is the shared id form (see :data:`ID_PATTERN`)."""
    return isinstance(schema, dict) and schema.get("type") == "string" and schema.get("pattern") == ID_PATTERN


def canonical_id(value: str) -> str:
    """A valid id as it goes into a URL path: UUIDs in lower case (digits stay as they are)."""
    return value.lower()


def whole_value(pattern: str) -> str:
    """``pattern`` with every unescaped ``$`` outside a character class written ``\\Z``.

    JSON Schema patterns are ECMA-262 regular expressions, whose ``$`` (without
    the multiline flag) matches only at the very end; Python's also matches
    before a final newline, which would let ``"abc\\n"`` through ``^abc$``.
    """
    out: list[str] = []
    escaped = in_class = False
    class_start = 0  # index of the first member of the open class
    for index, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            # A ']' first in a class ('[]...]', '[^]...]') is a member, as in Python.
            in_class = not (char == "]" and index > class_start)
        elif char == "[":
            in_class = True
            class_start = index + 2 if pattern[index + 1 : index + 2] == "^" else index + 1
        elif char == "$":
            out.append("\\Z")
            continue
        out.append(char)
    return "".join(out)


class SchemaNotSupported(ValueError):
    """A schema uses a keyword this validator does not implement."""


class ArgumentProblem:
    """One problem: where (a JSON path), the keyword broken, and a message without the value."""

    __slots__ = ("keyword", "message", "path")

    def __init__(self, path: tuple[str | int, ...], keyword: str, message: str) -> None:
        self.path, self.keyword, self.message = path, keyword, message

    @property
    def json_path(self) -> str:
        out = "$"
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else f".{part}"
        return out

    def __str__(self) -> str:
        return f"{self.json_path}: {self.message}"

    def __repr__(self) -> str:
        return f"ArgumentProblem({self})"


def unsupported(schema: Any, where: str = "#") -> Iterator[str]:
    """JSON pointers of keywords in ``schema`` that :class:`Validator` does not implement."""
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        if (key not in SUPPORTED and key not in ANNOTATIONS) or (key == "format" and value not in FORMATS):
            yield f"{where}/{key}"
        elif key == "properties" and isinstance(value, dict):
            for name, sub in value.items():
                yield from unsupported(sub, f"{where}/properties/{name}")
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            yield from unsupported(value, f"{where}/{key}")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _same(a: Any, b: Any) -> bool:
    """JSON equality: ``true`` is not ``1``. Only ever as deep as the schema's own value ``b``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _scalar_key(value: Any) -> Hashable:
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)  # 1 == 1.0 and hash(1) == hash(1.0): JSON equality
    return (type(value).__name__, value)


def canonical(value: Any, table: dict[Hashable, int]) -> int:
    """A number for a JSON value, equal for JSON-equal values numbered with the same ``table``.

    Each distinct array or object is numbered from the numbers of its members,
    so every key hashed is flat: no recursion (in Python or in hashing), any
    depth, time linear in the size of the value.
    """
    if not isinstance(value, list | dict):
        return table.setdefault(_scalar_key(value), len(table))
    numbers: list[int] = []
    work: list[tuple[Any, bool]] = [(value, False)]
    while work:
        item, assembled = work.pop()
        key: Hashable
        if not isinstance(item, list | dict):
            key = _scalar_key(item)
        elif not assembled:
            work.append((item, True))
            members = item.values() if isinstance(item, dict) else item
            work.extend((member, False) for member in reversed(list(members)))
            continue
        else:
            size = len(item)
            parts = numbers[len(numbers) - size :] if size else []
            del numbers[len(numbers) - size :]
            if isinstance(item, list):
                key = ("array", tuple(parts))
            else:
                key = ("object", frozenset(zip(item.keys(), parts, strict=True)))
        numbers.append(table.setdefault(key, len(table)))
    return numbers[0]


def _names(names: list[str], shown: int = 5, width: int = 40) -> str:
    """Property names for a message: a few, each cut short and escaped (a key may hold anything)."""
    words = [repr(n if len(n) <= width else n[:width] + "…") for n in names[:shown]]
    if len(names) > shown:
        words.append(f"and {len(names) - shown} more")
    return ", ".join(words)


class Validator:
    """A compiled input schema; :meth:`problems` lists every problem of an instance, sorted by place."""

    def __init__(self, schema: dict[str, Any], forms: dict[str, str] | None = None) -> None:
        bad = list(unsupported(schema))
        if bad:
            raise SchemaNotSupported("keywords the argument validator does not implement: " + ", ".join(bad))
        self.schema = schema
        self.forms = FORMS if forms is None else forms
        self._patterns: dict[str, re.Pattern[str]] = {}

    def problems(self, instance: Any) -> list[ArgumentProblem]:
        found: list[ArgumentProblem] = []
        self._check(self.schema, instance, (), found)
        found.sort(key=lambda p: ([str(x) for x in p.path], p.keyword))
        return found

    def _pattern(self, source: str) -> re.Pattern[str]:
        compiled = self._patterns.get(source)
        if compiled is None:
            compiled = self._patterns[source] = re.compile(whole_value(source))
        return compiled

    def _form(self, path: tuple[str | int, ...]) -> str:
        """The plain words for the form a value at ``path`` must have."""
        name = next((part for part in reversed(path) if isinstance(part, str)), None)
        phrase = self.forms.get(name) if name is not None else None
        return f"must be {phrase}" if phrase else "does not have the expected form"

    def _check(self, schema: dict[str, Any], value: Any, path: tuple[str | int, ...], out: list) -> None:
        def fail(keyword: str, message: str) -> None:
            out.append(ArgumentProblem(path, keyword, message))

        expected = schema.get("type")
        if expected is not None:
            names = [expected] if isinstance(expected, str) else list(expected)
            if not any(_TYPES[name](value) for name in names):
                if isinstance(value, float) and not math.isfinite(value) and {"number", "integer"} & {*names}:
                    fail("type", "must be a finite number")
                elif "pattern" in schema:  # a value with a form: say what the form is
                    fail("type", self._form(path))
                else:
                    fail("type", f"must be of type {' or '.join(names)}")
                return  # the other keywords would only repeat the point
        if "enum" in schema and not any(_same(value, option) for option in schema["enum"]):
            fail("enum", "must be one of " + ", ".join(map(_dumps, schema["enum"])))
        if "const" in schema and not _same(value, schema["const"]):
            fail("const", f"must be {_dumps(schema['const'])}")
        if isinstance(value, str):
            self._check_string(schema, value, path, fail)
        elif _TYPES["number"](value):
            for keyword, sign, broken in (
                ("minimum", ">=", lambda v, b: v < b),
                ("maximum", "<=", lambda v, b: v > b),
                ("exclusiveMinimum", ">", lambda v, b: v <= b),
                ("exclusiveMaximum", "<", lambda v, b: v >= b),
            ):
                if keyword in schema and broken(value, schema[keyword]):
                    fail(keyword, f"must be {sign} {schema[keyword]}")
        elif isinstance(value, list):
            self._check_array(schema, value, path, out, fail)
        elif isinstance(value, dict):
            self._check_object(schema, value, path, out, fail)

    def _check_string(
        self, schema: dict[str, Any], value: str, path: tuple, fail: Callable[[str, str], None]
    ) -> None:
        length = len(value)
        if "maxLength" in schema and length > schema["maxLength"]:
            fail("maxLength", f"must be at most {schema['maxLength']} characters long")
            return  # never run a pattern or a format on a string already too long
        if "minLength" in schema and length < schema["minLength"]:
            least = schema["minLength"]
            fail("minLength", "must not be empty" if least == 1 else f"must be at least {least} characters")
        if "pattern" in schema and not self._pattern(schema["pattern"]).search(value):
            fail("pattern", self._form(path))
        if "format" in schema and not FORMATS[schema["format"]](value):
            fail("format", f"must be {_FORMAT_WORDS[schema['format']]}")

    def _check_array(
        self, schema: dict[str, Any], value: list, path: tuple, out: list, fail: Callable[[str, str], None]
    ) -> None:
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            fail("maxItems", f"must have at most {schema['maxItems']} items")
            return  # an oversized array is not looked into
        if "minItems" in schema and len(value) < schema["minItems"]:
            fail("minItems", f"must have at least {schema['minItems']} items")
        if schema.get("uniqueItems"):
            table: dict[Hashable, int] = {}
            seen: set[int] = set()
            for item in value:
                number = canonical(item, table)
                if number in seen:
                    fail("uniqueItems", "must not repeat items")
                    break
                seen.add(number)
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                self._check(items, item, (*path, index), out)
        elif items is False and value:
            fail("items", "must be empty")

    def _check_object(
        self, schema: dict[str, Any], value: dict, path: tuple, out: list, fail: Callable[[str, str], None]
    ) -> None:
        for name in schema.get("required", ()):
            if name not in value:
                fail("required", f"{name!r} is a required property")
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        unexpected = []
        for name, item in value.items():
            if name in properties:
                self._check(properties[name], item, (*path, name), out)
            elif extra is False:
                unexpected.append(name)
            elif isinstance(extra, dict):
                self._check(extra, item, (*path, name), out)
        if unexpected:
            verb = "was" if len(unexpected) == 1 else "were"
            fail(
                "additionalProperties",
                f"Additional properties are not allowed ({_names(unexpected)} {verb} unexpected)",
            )
