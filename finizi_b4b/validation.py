"""Argument validation for the keywords the tool schemas use, with every problem listed.

The tool input schemas keep to a small part of JSON Schema 2020-12 (types,
properties, required, additionalProperties, enum, const, patterns, lengths,
bounds, items, uniqueness, the ``date`` format). This module validates exactly
that part; a schema using any other assertion keyword is refused when it is
compiled, so no constraint is ever ignored. ``jsonschema`` (installed, and the
reference of ``check-schemas`` and of the tests, which compare the two on every
case file) is not used in the server, for two figures measured with
``python -m bench.validator_costs`` on 3 December 2026, on a shared virtual
machine with 2 Intel Xeon CPUs, under Python 3.11.7 and jsonschema 4.26:

- **a linear worst case.** 1,000,000 objects where ``maxItems`` is 100 are
  refused here in under a millisecond. jsonschema checks every item and then
  compares the items it cannot sort pair by pair: 12.7 s for 4,000 objects,
  four times as long at each doubling, about 9 days for 1,000,000 (and 4.9 s,
  32 MiB for 1,000,000 strings). Two values nested 100,000 deep under
  ``uniqueItems`` take 0.25 s here; jsonschema raises ``RecursionError``.
- **memory.** Importing this module, compiling every tool schema and
  validating each example adds 0.1 MiB to the peak RSS of a process holding
  the server's dependencies; jsonschema adds 2.6 MiB, a quarter of what the
  benchmark's peak-RSS figure allows over the bare SDK server (1.15x its
  64 MiB).

It is also five to seven times as fast on ordinary arguments (4.5 µs a call
against 25 to 31 µs), which matters less.

Validation runs in time linear in the size of the arguments, whatever they hold:

- a string over its ``maxLength`` (or over the length its id pattern or date
  format allows) is reported without testing its pattern or format, and an
  array over its ``maxItems`` without looking at its items;
- ``uniqueItems`` numbers each item by its structure (JSON equality: ``1``
  equals ``1.0``, ``true`` is not ``1``) and looks the numbers up in a set,
  instead of comparing every pair;
- patterns match whole values, as in JSON Schema (ECMA-262): an unescaped ``$``
  is compiled as ``\\Z``, since Python's ``$`` also matches before a trailing
  newline. ``check-schemas`` keeps nested quantifiers out of the patterns.

Numbers must be finite (``NaN`` and ``Infinity`` are refused), and an integral
float such as ``1.0`` is an integer.

A problem is facts, never words: its place (a JSON path like ``$.fields[1]``),
the :class:`Keyword` broken and what the words need (the limit, the type names,
the pattern, the unexpected property names), never the offending value (it may
be a password). ``finizi_b4b.tools.messages`` words them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Hashable, Iterator, Mapping
from enum import StrEnum
from typing import Any

import attrs

__all__ = [
    "ANNOTATIONS",
    "FORMATS",
    "FORMAT_BOUNDS",
    "ID_MAX_LENGTH",
    "ID_PATTERN",
    "PATTERN_BOUNDS",
    "SUPPORTED",
    "ArgumentProblem",
    "Keyword",
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


class Keyword(StrEnum):
    """The assertion keywords implemented; the comment names the facts a problem of each carries."""

    TYPE = "type"  # types (the names allowed); not_finite (a NaN or infinity where a number goes);
    # pattern (the schema's, when the value has a form: the words say the form, not the type)
    ENUM = "enum"  # options
    CONST = "const"  # value (the schema's)
    PATTERN = "pattern"  # pattern
    FORMAT = "format"  # format
    MIN_LENGTH = "minLength"  # limit
    MAX_LENGTH = "maxLength"  # limit
    MINIMUM = "minimum"  # limit
    MAXIMUM = "maximum"  # limit
    EXCLUSIVE_MINIMUM = "exclusiveMinimum"  # limit
    EXCLUSIVE_MAXIMUM = "exclusiveMaximum"  # limit
    MIN_ITEMS = "minItems"  # limit
    MAX_ITEMS = "maxItems"  # limit
    UNIQUE_ITEMS = "uniqueItems"
    ITEMS = "items"  # (items: false, and the array is not empty)
    REQUIRED = "required"  # name (the missing property)
    ADDITIONAL_PROPERTIES = "additionalProperties"  # names (the unexpected properties, in order)


SUPPORTED = frozenset({"properties", *Keyword})

# Every id argument: a UUID in either letter case, or a positive integer of at most 18 digits (the
# router also takes one as a JSON number), so nothing like / . ? # % or a newline reaches a URL path. The
# pattern bounds the length, so id schemas carry no redundant maxLength (strict clients refuse it).
ID_PATTERN = "^([0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|[1-9][0-9]{0,17})$"
ID_MAX_LENGTH = 36
PATTERN_BOUNDS = {ID_PATTERN: ID_MAX_LENGTH}  # the longest string a pattern matches, where it bounds it

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
# The longest string a format takes: such a string needs no maxLength, and a longer one is refused unread.
FORMAT_BOUNDS = {"date": 10}


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


@attrs.frozen
class ArgumentProblem:
    """One problem: where (a path of property names and indexes), the keyword broken, and its facts."""

    path: tuple[str | int, ...]
    keyword: Keyword
    facts: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def json_path(self) -> str:
        out = "$"
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else f".{part}"
        return out

    @property
    def name(self) -> str | None:
        """The property the value is (or is inside of): the last name in its path."""
        return next((part for part in reversed(self.path) if isinstance(part, str)), None)


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


_Fail = Callable[..., None]  # fail(keyword, **facts): notes one problem at the place being checked
# The bounds of a number, each with the test that it is broken.
_BOUNDS: tuple[tuple[Keyword, Callable[[Any, Any], bool]], ...] = (
    (Keyword.MINIMUM, lambda v, b: v < b),
    (Keyword.MAXIMUM, lambda v, b: v > b),
    (Keyword.EXCLUSIVE_MINIMUM, lambda v, b: v <= b),
    (Keyword.EXCLUSIVE_MAXIMUM, lambda v, b: v >= b),
)


class Validator:
    """A compiled input schema; :meth:`problems` lists every problem of an instance, sorted by place."""

    def __init__(self, schema: dict[str, Any]) -> None:
        bad = list(unsupported(schema))
        if bad:
            raise SchemaNotSupported("keywords the argument validator does not implement: " + ", ".join(bad))
        self.schema = schema
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

    def _check(self, schema: dict[str, Any], value: Any, path: tuple[str | int, ...], out: list) -> None:
        def fail(keyword: Keyword, **facts: Any) -> None:
            out.append(ArgumentProblem(path, keyword, facts))

        expected = schema.get("type")
        if expected is not None:
            names = (expected,) if isinstance(expected, str) else tuple(expected)
            if not any(_TYPES[name](value) for name in names):
                not_finite = isinstance(value, float) and not math.isfinite(value)
                fail(
                    Keyword.TYPE,
                    types=names,
                    not_finite=not_finite and bool({"number", "integer"} & {*names}),
                    pattern=schema.get("pattern"),
                )
                return  # the other keywords would only repeat the point
        if "enum" in schema and not any(_same(value, option) for option in schema["enum"]):
            fail(Keyword.ENUM, options=schema["enum"])
        if "const" in schema and not _same(value, schema["const"]):
            fail(Keyword.CONST, value=schema["const"])
        if isinstance(value, str):
            self._check_string(schema, value, fail)
        elif _TYPES["number"](value):
            for keyword, broken in _BOUNDS:
                if keyword in schema and broken(value, schema[keyword]):
                    fail(keyword, limit=schema[keyword])
        elif isinstance(value, list):
            self._check_array(schema, value, path, out, fail)
        elif isinstance(value, dict):
            self._check_object(schema, value, path, out, fail)

    def _check_string(self, schema: dict[str, Any], value: str, fail: _Fail) -> None:
        length = len(value)
        if "maxLength" in schema and length > schema["maxLength"]:
            fail(Keyword.MAX_LENGTH, limit=schema["maxLength"])
            return  # never run a pattern or a format on a string already too long
        if "minLength" in schema and length < schema["minLength"]:
            fail(Keyword.MIN_LENGTH, limit=schema["minLength"])
        if "pattern" in schema:
            source = schema["pattern"]
            # Never run a pattern on a string longer than anything it matches.
            if length > PATTERN_BOUNDS.get(source, length) or not self._pattern(source).search(value):
                fail(Keyword.PATTERN, pattern=source)
        if "format" in schema:
            form = schema["format"]
            if length > FORMAT_BOUNDS.get(form, length) or not FORMATS[form](value):
                fail(Keyword.FORMAT, format=form)

    def _check_array(self, schema: dict[str, Any], value: list, path: tuple, out: list, fail: _Fail) -> None:
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            fail(Keyword.MAX_ITEMS, limit=schema["maxItems"])
            return  # an oversized array is not looked into
        if "minItems" in schema and len(value) < schema["minItems"]:
            fail(Keyword.MIN_ITEMS, limit=schema["minItems"])
        if schema.get("uniqueItems"):
            table: dict[Hashable, int] = {}
            seen: set[int] = set()
            for item in value:
                number = canonical(item, table)
                if number in seen:
                    fail(Keyword.UNIQUE_ITEMS)
                    break
                seen.add(number)
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                self._check(items, item, (*path, index), out)
        elif items is False and value:
            fail(Keyword.ITEMS)

    def _check_object(self, schema: dict[str, Any], value: dict, path: tuple, out: list, fail: _Fail) -> None:
        for name in schema.get("required", ()):
            if name not in value:
                fail(Keyword.REQUIRED, name=name)
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
            fail(Keyword.ADDITIONAL_PROPERTIES, names=tuple(unexpected))
