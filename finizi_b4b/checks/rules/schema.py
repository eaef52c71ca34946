"""The input and output schemas of a tool as portable JSON Schema 2020-12."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from finizi_b4b.checks.common import KEYWORDS, Problem, escape, pointer, subschemas
from finizi_b4b.checks.context import Context

__all__ = ["COMBINATORS", "SAFE_FORMATS", "json_schema"]

SAFE_FORMATS = frozenset({"date", "date-time", "email", "uri", "uuid"})
COMBINATORS = ("anyOf", "oneOf", "allOf", "not", "if", "then", "else")


def json_schema(ctx: Context, path: Path, key: str, schema: dict[str, Any]) -> Iterator[Problem]:
    """``key`` (inputSchema or outputSchema) against the metaschema and what common clients accept."""
    from jsonschema import Draft202012Validator

    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
    for error in sorted(meta.iter_errors(schema), key=lambda e: list(map(str, e.absolute_path))):
        yield ctx.problem(
            path, pointer(key, *error.absolute_path), f"not valid JSON Schema 2020-12: {error.message}"
        )
    if schema.get("type") != "object":
        yield ctx.problem(
            path, pointer(key, "type"), 'the root must be "type": "object" (required by MCP clients)'
        )
    for combinator in COMBINATORS:
        if combinator in schema:
            yield ctx.problem(
                path, pointer(key, combinator), "no combinators at the root: several clients reject them"
            )
    for where, sub in subschemas(schema, pointer(key)):
        yield from _portable(ctx, path, where, sub)


def _portable(ctx: Context, path: Path, where: str, sub: dict[str, Any]) -> Iterator[Problem]:
    for word in sub:
        if word not in KEYWORDS:
            near = difflib.get_close_matches(word, KEYWORDS, n=1)
            hint = f" (a typo of {near[0]!r}?)" if near else ""
            yield ctx.problem(path, f"{where}/{escape(word)}", f"unknown JSON Schema keyword{hint}")
    ref = sub.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        yield ctx.problem(path, f"{where}/$ref", "external $ref: clients cannot fetch it; inline the schema")
    fmt = sub.get("format")
    if fmt is not None and fmt not in SAFE_FORMATS:
        yield ctx.problem(
            path,
            f"{where}/format",
            f"format {fmt!r} is not one clients support ({', '.join(sorted(SAFE_FORMATS))})",
        )
    required, properties = sub.get("required"), sub.get("properties")
    # An object that names no properties and stays open may list the keys it requires and no more (a lean
    # output schema does); once it names properties or closes itself, a required key must be among them.
    describes_keys = properties is not None or sub.get("additionalProperties") is False
    if isinstance(required, list) and describes_keys:
        defined = properties if isinstance(properties, dict) else {}
        for index, name in enumerate(required):
            if name not in defined:
                yield ctx.problem(
                    path, f"{where}/required/{index}", f"names {name!r}, which is not among the properties"
                )
