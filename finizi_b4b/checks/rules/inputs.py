"""What the server's argument validator needs of an input schema.

Closed objects that say what they require (``"required": []`` when nothing is,
as strict clients expect), a description for every property, keywords the
validator implements, every string and array bounded (so that validation time
is bounded too), ids in the one shared form (bounded by their pattern, with no
redundant maxLength), page sizes with a maximum, and plain words for the
messages about every pattern.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from finizi_b4b.checks.common import KEYWORDS, Problem, escape, is_object_schema, kinds, pointer, subschemas
from finizi_b4b.checks.context import Context

__all__ = ["PAGE_SIZES", "input_schema"]

PAGE_SIZES = ("page_size", "per_page", "top_k", "limit")


def input_schema(ctx: Context, path: Path, schema: dict[str, Any]) -> Iterator[Problem]:
    from finizi_b4b.validation import FORMATS, unsupported

    for bad in unsupported(schema, pointer("inputSchema")):
        if bad.rsplit("/", 1)[-1] in KEYWORDS:  # unknown words are reported as typos already
            formats = ", ".join(sorted(FORMATS))
            yield ctx.problem(
                path,
                bad,
                "the server's argument validator does not implement this (see finizi_b4b/validation.py; "
                f"formats: {formats})",
            )
    if isinstance(schema, dict) and not isinstance(schema.get("required"), list):
        yield ctx.problem(
            path,
            pointer("inputSchema", "required"),
            'inputs list what they require, "required": [] when nothing is (strict clients expect it)',
        )
    for where, sub in subschemas(schema, pointer("inputSchema")):
        if is_object_schema(sub) and sub.get("additionalProperties") is not False:
            yield ctx.problem(
                path, f"{where}/additionalProperties", "inputs must set additionalProperties: false"
            )
        yield from bounds(ctx, path, where, sub)
        for name, prop in (sub.get("properties") or {}).items():
            here = f"{where}/properties/{escape(name)}"
            if not isinstance(prop, dict):
                continue
            if not isinstance(prop.get("description"), str) or not prop["description"].strip():
                yield ctx.problem(path, f"{here}/description", "every input property needs a description")
            yield from input_property(ctx, path, here, name, prop)


def bounds(ctx: Context, path: Path, where: str, sub: dict[str, Any]) -> Iterator[Problem]:
    """Every input string and array is bounded, so that validation time is too; a string bounded by its
    format or pattern carries no maxLength besides."""
    from finizi_b4b.validation import FORMAT_BOUNDS, PATTERN_BOUNDS, is_id_schema

    named = kinds(sub)
    implied = sub.get("pattern") in PATTERN_BOUNDS or sub.get("format") in FORMAT_BOUNDS
    if "string" in named and implied and "maxLength" in sub and not is_id_schema(sub):
        yield ctx.problem(
            path,
            f"{where}/maxLength",
            f"a {sub.get('format') or 'pattern'} string needs no maxLength: its "
            f"{'format' if sub.get('format') in FORMAT_BOUNDS else 'pattern'} bounds it, and a redundant "
            "maxLength keeps some clients' strict modes from taking the tool",
        )
    bounded = "maxLength" in sub or implied
    if "string" in named and "enum" not in sub and "const" not in sub and not bounded:
        yield ctx.problem(
            path,
            f"{where}/maxLength",
            "strings need a maxLength (or an enum), so that no pattern or format runs on an unbounded string",
        )
    if "array" in named and "maxItems" not in sub:
        yield ctx.problem(path, f"{where}/maxItems", "arrays need a maxItems")


def input_property(ctx: Context, path: Path, here: str, name: str, prop: dict[str, Any]) -> Iterator[Problem]:
    from finizi_b4b.tools.pattern_words import PHRASES
    from finizi_b4b.validation import ID_MAX_LENGTH, is_id_schema

    if name.endswith("_id") and name != "tax_id" and not is_id_schema(prop):
        yield ctx.problem(
            path,
            f"{here}/pattern",
            "ids use the shared id form (type string, pattern ID_PATTERN of finizi_b4b/validation.py), "
            "so that nothing like ../ reaches a URL path",
        )
    elif is_id_schema(prop) and "maxLength" in prop:
        yield ctx.problem(
            path,
            f"{here}/maxLength",
            f"ids need no maxLength: their pattern bounds them to {ID_MAX_LENGTH} characters, and a "
            "redundant maxLength keeps some clients' strict modes from taking the tool",
        )
    elif name.endswith("_id") and "string" in kinds(prop) and "pattern" not in prop:
        yield ctx.problem(
            path, f"{here}/pattern", "ids need a pattern, so that nothing like ../ reaches a URL path"
        )
    if "pattern" in prop and name not in PHRASES:
        yield ctx.problem(
            path,
            f"{here}/pattern",
            f"no plain words for messages about {name!r}: add it to PHRASES in "
            "finizi_b4b/tools/pattern_words.py",
        )
    if name in PAGE_SIZES and "maximum" not in prop:
        yield ctx.problem(path, f"{here}/maximum", "page sizes need a maximum")
