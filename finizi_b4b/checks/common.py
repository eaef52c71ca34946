"""What every rule shares: the problem line, the report, JSON pointers and a walk over subschemas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

__all__ = [
    "KEYWORDS",
    "Problem",
    "Report",
    "escape",
    "is_object_schema",
    "kinds",
    "pointer",
    "subschemas",
]

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


def escape(part: str | int) -> str:
    """One JSON pointer segment."""
    return str(part).replace("~", "~0").replace("/", "~1")


def pointer(*parts: str | int) -> str:
    return "".join(f"/{escape(p)}" for p in parts)


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
                yield from subschemas(sub, f"{where}/{key}/{escape(name)}")
    for key in _SCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            for index, sub in enumerate(schema[key]):
                yield from subschemas(sub, f"{where}/{key}/{index}")


def is_object_schema(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" or "properties" in schema


def kinds(schema: dict[str, Any]) -> list[str]:
    """The types a schema names, as a list."""
    named = schema.get("type")
    return [named] if isinstance(named, str) else list(named) if isinstance(named, list) else []
