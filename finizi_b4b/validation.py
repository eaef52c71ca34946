"""Argument validation for the keywords the tool schemas use, with every problem listed.

The tool input schemas keep to a small part of JSON Schema 2020-12 (types,
properties, required, additionalProperties, enum, const, patterns, lengths,
bounds, items, uniqueness, the ``date`` format). Validating exactly that part here keeps
``jsonschema`` (and the ~2 MiB it loads) out of the server process; the
reference implementation still checks the schemas in ``check-schemas`` and the
tests compare the two on every case file. A schema using any other assertion
keyword is refused when it is compiled, so no constraint is ever ignored.

Messages name the place (as a JSON path like ``$.fields[1]``) and the rule,
never the offending value: it may be a password.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "ANNOTATIONS",
    "FORMATS",
    "SUPPORTED",
    "ArgumentProblem",
    "SchemaNotSupported",
    "Validator",
    "unsupported",
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
# Formats asserted (as jsonschema's format checker does); any other format is refused when compiled.
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def _is_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


FORMATS: dict[str, Callable[[str], bool]] = {"date": _is_date}

_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
    ),
}


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
    """JSON equality: ``true`` is not ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


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
            compiled = self._patterns[source] = re.compile(source)
        return compiled

    def _check(self, schema: dict[str, Any], value: Any, path: tuple[str | int, ...], out: list) -> None:
        def fail(keyword: str, message: str) -> None:
            out.append(ArgumentProblem(path, keyword, message))

        expected = schema.get("type")
        if expected is not None:
            names = [expected] if isinstance(expected, str) else list(expected)
            if not any(_TYPES[name](value) for name in names):
                fail("type", f"must be of type {' or '.join(names)}")
                return  # the other keywords would only repeat the point
        if "enum" in schema and not any(_same(value, option) for option in schema["enum"]):
            fail("enum", "must be one of " + ", ".join(map(_dumps, schema["enum"])))
        if "const" in schema and not _same(value, schema["const"]):
            fail("const", f"must be {_dumps(schema['const'])}")
        if isinstance(value, str):
            self._check_string(schema, value, fail)
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

    def _check_string(self, schema: dict[str, Any], value: str, fail: Callable[[str, str], None]) -> None:
        length = len(value)
        if "maxLength" in schema and length > schema["maxLength"]:
            fail("maxLength", f"must be at most {schema['maxLength']} characters long")
        if "minLength" in schema and length < schema["minLength"]:
            least = schema["minLength"]
            fail("minLength", "must not be empty" if least == 1 else f"must be at least {least} characters")
        if "pattern" in schema and not self._pattern(schema["pattern"]).search(value):
            fail("pattern", f"does not have the expected form (pattern {schema['pattern']})")
        if "format" in schema and not FORMATS[schema["format"]](value):
            fail("format", "must be a real calendar date written YYYY-MM-DD")

    def _check_array(
        self, schema: dict[str, Any], value: list, path: tuple, out: list, fail: Callable[[str, str], None]
    ) -> None:
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            fail("maxItems", f"must have at most {schema['maxItems']} items")
        if "minItems" in schema and len(value) < schema["minItems"]:
            fail("minItems", f"must have at least {schema['minItems']} items")
        if schema.get("uniqueItems") and any(
            _same(value[i], value[j]) for i in range(len(value)) for j in range(i + 1, len(value))
        ):
            fail("uniqueItems", "must not repeat items")
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
            names = ", ".join(repr(n) for n in unexpected)
            verb = "was" if len(unexpected) == 1 else "were"
            fail("additionalProperties", f"Additional properties are not allowed ({names} {verb} unexpected)")
