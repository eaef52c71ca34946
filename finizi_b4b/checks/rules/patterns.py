"""No pattern that can take exponential time: no group holding a quantifier repeated without bound."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from finizi_b4b.checks.common import Problem, pointer, subschemas
from finizi_b4b.checks.context import Context

__all__ = ["nested_quantifier", "patterns"]

_QUANTIFIER = re.compile(r"[*+?]|\{[0-9]+(,[0-9]*)?\}")


def patterns(ctx: Context, path: Path, data: dict[str, Any]) -> Iterator[Problem]:
    """Every pattern of the input and output schemas (clients may run the output ones)."""
    for key in ("inputSchema", "outputSchema"):
        for where, sub in subschemas(data.get(key), pointer(key)):
            pattern = sub.get("pattern")
            if isinstance(pattern, str) and nested_quantifier(pattern):
                yield ctx.problem(
                    path,
                    f"{where}/pattern",
                    "nested quantifiers (a repeated group that holds a quantifier) can take exponential "
                    "time to fail: repeat the group a bounded number of times, or rewrite it",
                )


def nested_quantifier(pattern: str) -> bool:
    """Whether a group holding a quantifier is itself repeated without bound: ``(a+)+``, ``(a|b*)*``,
    ``(x{2})+``, ``((a+))+``, ``(a+){2,}``. Such patterns can take exponential time to fail; a bounded
    repetition of a group (``(-[0-9]{4}){3}``) cannot. One pass over the pattern."""
    groups: list[bool] = []  # for each open group: whether it holds a quantifier
    closed: bool | None = None  # the last atom, if it was a group: whether it held a quantifier
    index, size = 0, len(pattern)
    while index < size:
        char = pattern[index]
        quantifier = _QUANTIFIER.match(pattern, index)
        if char == "\\":
            index, closed = index + 2, None
        elif char == "[":  # a class: quantifier characters in it are members
            index += 2 if pattern[index + 1 : index + 2] == "^" else 1
            index += 1 if pattern[index : index + 1] == "]" else 0
            while index < size and pattern[index] != "]":
                index += 2 if pattern[index] == "\\" else 1
            index, closed = index + 1, None
        elif char == "(":
            groups.append(False)
            index += 2 if pattern[index + 1 : index + 2] == "?" else 1  # (?: (?= (?! ...: no quantifier
            closed = None
        elif char == ")":
            closed = groups.pop() if groups else False
            if closed and groups:
                groups[-1] = True
            index += 1
        elif quantifier:
            token = quantifier.group()
            if closed and (token in ("*", "+") or token.endswith(",}")):
                return True
            if groups:
                groups[-1] = True
            index, closed = quantifier.end(), None
        else:
            index, closed = index + 1, None
    return False
