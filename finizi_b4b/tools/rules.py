"""Rules over a tool's arguments that a JSON Schema cannot state portably, checked before anything runs.

Several MCP clients reject top-level combinators (``oneOf``, ``anyOf``), so
"exactly one of file_path, file_paths and xml_content" is a rule here rather
than in the schema. The router checks a tool's rules right after its schema,
before any sign-in or request: everything that can be decided from the
arguments alone is decided first, so that a bad range never costs a login.

A rule reports :class:`Breach` facts (which rule, which arguments); the words
are chosen in :mod:`finizi_b4b.tools.messages`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any, Protocol

import attrs

from finizi_b4b.paths import absolute

__all__ = [
    "RANGES",
    "AbsolutePaths",
    "AtLeastOne",
    "BothOrNeither",
    "Breach",
    "ExactlyOne",
    "InOrder",
    "Kind",
    "Rule",
]


class Kind(StrEnum):
    EXACTLY_ONE = "exactly_one"
    AT_LEAST_ONE = "at_least_one"
    BOTH_OR_NEITHER = "both_or_neither"
    IN_ORDER = "in_order"
    NOT_ABSOLUTE = "not_absolute"
    NUL_CHARACTER = "nul_character"


@attrs.frozen
class Breach:
    """One broken rule: its kind, the arguments it is about, and the facts the words need."""

    kind: Kind
    names: tuple[str, ...]
    facts: Mapping[str, Any] = attrs.Factory(dict)


class Rule(Protocol):
    def breaches(self, args: Mapping[str, Any]) -> Iterator[Breach]: ...


def _given(args: Mapping[str, Any], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if args.get(name) is not None]


@attrs.frozen
class ExactlyOne:
    names: tuple[str, ...]

    def breaches(self, args: Mapping[str, Any]) -> Iterator[Breach]:
        if len(_given(args, self.names)) != 1:
            yield Breach(Kind.EXACTLY_ONE, self.names)


@attrs.frozen
class AtLeastOne:
    names: tuple[str, ...]

    def breaches(self, args: Mapping[str, Any]) -> Iterator[Breach]:
        if not _given(args, self.names):
            yield Breach(Kind.AT_LEAST_ONE, self.names)


@attrs.frozen
class BothOrNeither:
    names: tuple[str, str]

    def breaches(self, args: Mapping[str, Any]) -> Iterator[Breach]:
        if len(_given(args, self.names)) == 1:
            yield Breach(Kind.BOTH_OR_NEITHER, self.names)


@attrs.frozen
class InOrder:
    """``first`` (a date) is not after ``last``, when both are given."""

    first: str
    last: str

    def breaches(self, args: Mapping[str, Any]) -> Iterator[Breach]:
        start, end = args.get(self.first), args.get(self.last)
        if isinstance(start, str) and isinstance(end, str) and start > end:
            yield Breach(Kind.IN_ORDER, (self.first, self.last), {"first": start, "last": end})


@attrs.frozen
class AbsolutePaths:
    """Every path in ``name`` (a string or a list of them) is absolute and can be expanded."""

    name: str

    def breaches(self, args: Mapping[str, Any]) -> Iterator[Breach]:
        value = args.get(self.name)
        paths = [(self.name, value)] if isinstance(value, str) else []
        if isinstance(value, list):
            paths = [
                (f"{self.name}[{index}]", item) for index, item in enumerate(value) if isinstance(item, str)
            ]
        for where, path in paths:
            if "\x00" in path:
                yield Breach(Kind.NUL_CHARACTER, (where,))
            elif absolute(path) is None:
                yield Breach(Kind.NOT_ABSOLUTE, (where,))


# The date ranges of every tool: a first day after the last is refused from the arguments alone.
RANGES: tuple[Rule, ...] = (InOrder("date_from", "date_to"),)
