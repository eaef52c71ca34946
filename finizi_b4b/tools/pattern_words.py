"""Patterns in plain words: the phrase for a known property, else the pattern's structure described.

The one place where a regex becomes words, for the messages of the argument
validator (``finizi_b4b.tools.messages``: "$.invoice_number: must be an invoice
number (SHDon) of 1 to 12 digits") and for the tool reference
(``finizi_b4b.devtools.reference``). :func:`form_words` chooses: the phrase in
:data:`PHRASES` for a property known by name, else :func:`describe_pattern`,
else None (the caller says the value "does not have the expected form").

``describe_pattern("^[0-9]{1,12}$")`` is "1 to 12 digits". Only the small part of
regex syntax the tool schemas use is read: literals, character classes (ranges,
negation, ``\\d``), groups, alternatives and counts. Anything else raises
``ValueError``, so that a caller can fall back to other words instead of
printing the regex. A pattern is never shown as it is.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

__all__ = ["PHRASES", "describe_pattern", "form_words"]

# What a property whose form is a pattern must be, by the property's name ("must be ..."). check-schemas
# holds every pattern of an input schema to having a phrase here.
PHRASES: dict[str, str] = {
    "entity_id": "an id as shown by list_entities",
    "invoice_id": "an id as shown by list_invoices",
    "vendor_id": "an id as shown by list_vendors",
    "tax_id": "a tax id (MST): 10 to 14 digits, optionally followed by a dash and a 3-digit branch number",
    "phone": "a Vietnamese phone number such as +84909495665 or 0909 495 665",
    "email": "an email address such as name@example.com",
    "invoice_series": "an invoice series (KHHDon) of up to 12 letters and digits, such as C25TAA",
    "invoice_number": "an invoice number (SHDon) of 1 to 12 digits",
    "status": "a short lower-case word such as draft, issued, validated, paid or cancelled",
    "period": "a month as YYYY-MM or a quarter as YYYY-Qn, such as 2026-03 or 2026-Q1",
    "account": "an account code of up to 32 letters, digits, dots, dashes or underscores, such as 1331",
}

_Count = tuple[int, int | None]  # least and most repetitions (None: no limit)
_Item = tuple[str, Any, _Count]  # ("text", str, count), ("class", (negated, parts), count), ("group", ...)

_CLASS_WORDS = {
    "0-9": ("digit", "digits"),
    "a-z": ("lower-case letter", "lower-case letters"),
    "A-Z": ("capital letter", "capital letters"),
    " ": ("space", "spaces"),
    "\\s": ("white-space character", "white-space characters"),
}
_ESCAPES = {"d": "0-9", "s": "\\s"}  # the class escapes read, as parts of a character class


class _Unreadable(ValueError):
    """A pattern outside the small grammar described in words."""


@attrs.define
class _Reader:
    """Reads the regex subset the tool schemas use: literals, classes, groups, alternatives, counts."""

    text: str
    pos: int = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        char = self.peek()
        if not char:
            raise _Unreadable("unexpected end")
        self.pos += 1
        return char

    def alternatives(self) -> list[list[_Item]]:
        options = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            options.append(self.sequence())
        return options

    def sequence(self) -> list[_Item]:
        items: list[_Item] = []
        while self.peek() not in ("", "|", ")", "$"):
            kind, value = self.atom()
            count = self.count()
            if kind == "text" and count == (1, 1) and items and items[-1][0::2] == ("text", (1, 1)):
                items[-1] = ("text", items[-1][1] + value, (1, 1))  # consecutive literals read as one
            else:
                items.append((kind, value, count))
        return items

    def atom(self) -> tuple[str, Any]:
        char = self.take()
        if char == "(":
            if self.text.startswith("?:", self.pos):
                self.pos += 2
            inner = self.alternatives()
            if self.take() != ")":
                raise _Unreadable("unclosed group")
            return "group", inner
        if char == "[":
            return "class", self.char_class()
        if char == "\\":
            escaped = self.take()
            if escaped in _ESCAPES:
                return "class", (False, [_ESCAPES[escaped]])
            if escaped.isalnum():
                raise _Unreadable(f"escape \\{escaped}")
            return "text", escaped
        if char in ".*+?{^":
            raise _Unreadable(f"unexpected {char!r}")
        return "text", char

    def char_class(self) -> tuple[bool, list[str]]:
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        parts: list[str] = []
        while self.peek() != "]":
            char = self.take()
            if char == "\\":
                char = self.take()
                if char in _ESCAPES:
                    parts.append(_ESCAPES[char])
                    continue
                if char.isalnum():
                    raise _Unreadable(f"escape \\{char}")
            if self.peek() == "-" and self.text[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.pos += 1
                parts.append(f"{char}-{self.take()}")
            else:
                parts.append(char)
        self.pos += 1
        return negated, parts

    def count(self) -> _Count:
        char = self.peek()
        simple = {"?": (0, 1), "*": (0, None), "+": (1, None)}
        if char in simple:
            self.pos += 1
            return simple[char]
        if char != "{":
            return (1, 1)
        end = self.text.find("}", self.pos)
        match = re.fullmatch(r"(\d+)(,(\d*))?", self.text[self.pos + 1 : end]) if end > 0 else None
        if match is None:
            raise _Unreadable("bad count")
        self.pos = end + 1
        low = int(match[1])
        if match[2] is None:
            return (low, low)
        return (low, int(match[3]) if match[3] else None)


def _part_words(part: str, plural: bool) -> str:
    if part in _CLASS_WORDS:
        return _CLASS_WORDS[part][plural]
    if len(part) == 3 and part[1] == "-":
        low, high = part[0], part[2]
        noun = (
            ("digit", "digits")
            if low.isdigit()
            else ("letter", "letters")
            if low.isalpha()
            else ("character", "characters")
        )
        return f"{noun[plural]} {low} to {high}"
    return f"`{part}`"


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _class_words(negated: bool, parts: list[str], plural: bool) -> str:
    if negated:
        others = _either([_part_words(part, False) for part in parts])
        return f"{'characters' if plural else 'character'} other than {others}"
    return _either([_part_words(part, plural) for part in parts])


def _count_words(count: _Count) -> tuple[str, bool]:
    low, high = count
    if (low, high) == (1, 1):
        return "a", False
    if high is None:
        return ("one or more" if low == 1 else "any number of" if low == 0 else f"at least {low}"), True
    if low == high:
        return str(low), True
    if high == low + 1:
        return f"{low} or {high}", True
    return (f"up to {high}" if low == 0 else f"{low} to {high}"), True


def _item_words(kind: str, value: Any, count: _Count) -> str:
    optional = count == (0, 1)
    if kind == "text":
        words = f"`{value}`"
        if count not in ((1, 1), (0, 1)):
            amount, _ = _count_words(count)
            words = f"{amount} times {words}"
    elif kind == "class":
        amount, plural = _count_words((1, 1) if optional else count)
        words = f"{amount} {_class_words(*value, plural)}"
    else:
        words = _alternatives_words(value, inner=True)
        if count not in ((1, 1), (0, 1)):
            amount, _ = _count_words(count)
            words = f"{amount} times ({words})"
    return f"optionally {words}" if optional else words


def _sequence_words(items: list[_Item], inner: bool) -> str:
    if not items:
        raise _Unreadable("empty alternative")
    words = [_item_words(*item) for item in items]
    glue = " and " if inner else ", then "
    then = "".join(glue + w for w in words[1:])
    return words[0] + then.replace(glue + "optionally", (" " if inner else ", ") + "optionally followed by")


def _alternatives_words(options: list[list[_Item]], inner: bool) -> str:
    if not inner and len(options) == 1 and len(options[0]) == 1 and options[0][0][0] == "group":
        _, value, count = options[0][0]
        if count == (1, 1):  # ^(a|b)$: the alternatives of the whole value
            return _alternatives_words(value, inner=False)
    texts = [_sequence_words(items, inner) for items in options]
    if len(texts) == 1:
        return texts[0]
    return "either " + " or ".join(texts) if inner else "; or ".join(texts)


def describe_pattern(pattern: str) -> str:
    """A whole-value pattern in plain words, e.g. ``^[0-9]{1,12}$`` -> "1 to 12 digits"."""
    if not (pattern.startswith("^") and pattern.endswith("$")) or pattern.endswith("\\$"):
        raise ValueError(f"not a whole-value pattern: {pattern!r}")
    reader = _Reader(pattern[1:-1])
    options = reader.alternatives()
    if reader.pos != len(reader.text):
        raise _Unreadable("trailing text")
    return _alternatives_words(options, inner=False)


def form_words(name: str | None, pattern: str) -> str | None:
    """What a value of the property ``name`` (None: not a named property) matching ``pattern`` is, as a
    noun phrase: the phrase for a known property, else the pattern's structure, else None."""
    phrase = PHRASES.get(name) if name is not None else None
    if phrase is not None:
        return phrase
    try:
        return describe_pattern(pattern)
    except ValueError:
        return None
