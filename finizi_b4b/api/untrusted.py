"""Text written by third parties, made harmless to show: cleaned, flagged, quoted, escaped.

Invoice issuers, vendors and whoever names files write much of what the
server hands a model. These pure functions (standard library only) prepare it:

- :func:`clean` removes every format character (category Cf: zero-width
  characters, U+00AD, U+FEFF, U+180E, bidi embeddings, overrides, isolates and
  marks, tag characters) and other default-ignorable code point (U+034F, the
  Hangul fillers, ...); C0 and C1 controls but newline and tab, with ANSI
  escape sequences whole (CSI, also as U+009B; OSC to BEL or ST; DCS, SOS, PM
  and APC strings; two-character escapes); a variation selector at the start,
  after whitespace or after another one (runs of them hide data), and
  U+E0100..U+E01EF but after a CJK ideograph. Lone surrogates become U+FFFD.
  Then it normalises to NFC, first cutting any run of over 30 combining marks
  to 30 (UAX #15's stream-safe limit), as CPython sorts such runs in quadratic
  time. Emoji joined by U+200D (ZWJ) fall apart into their parts and flags
  lose their tags: the meaning survives, the hiding place does not. NFC text
  with nothing to remove costs a class search and ``unicodedata.is_normalized``.
- :func:`clean_json` cleans every string of a JSON-like value, keys too, and
  returns the same object when nothing needed it; :func:`json_text_is_clean`
  answers that from JSON text alone (an answer's body).
- :mod:`finizi_b4b.api.instructions` says whether free text reads like
  instructions to an AI model.
- :func:`quote` readies an API error detail to be shown apart from the
  server's own words: cleaned, on one line, cut to about ``limit`` characters.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from typing import Any

__all__ = ["HIDDEN", "clean", "clean_json", "json_text_is_clean", "quote"]

MAX_MARKS = 30  # combining marks kept in a row when text is normalised

# Removed wherever they are: controls but tab and newline, every Cf character (Unicode 14 to 15.1)
# and the other default-ignorable code points but variation selectors, judged by what precedes them.
_REMOVED = (
    (0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x34F, 0x34F),
    (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F), (0x890, 0x891),
    (0x8E2, 0x8E2), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F),
    (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE00FF), (0xE01F0, 0xE0FFF),
)  # fmt: skip
_SELECTORS = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
_SURROGATES = ((0xD800, 0xDFFF),)
_ASTRAL = ((0x10000, 0x10FFFF),)
_IDEOGRAPHS = ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")  # bases of U+E0100..U+E01EF


def _char_class(*groups: tuple[tuple[int, int], ...]) -> str:
    return "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for ranges in groups for lo, hi in ranges) + "]"


_REMOVED_RE = re.compile(_char_class(_REMOVED))
HIDDEN = _REMOVED_RE  # what clean() removes, for callers that must escape it instead (a path handed back)
_SUSPECT_RE = re.compile(_char_class(_REMOVED, _SELECTORS, _SURROGATES))
# The same below U+10000, and all above: a cheaper search, confirmed by _SUSPECT_RE on a hit.
_BMP = tuple(r for r in _REMOVED + _SELECTORS if r[1] <= 0xFFFF)
_QUICK_SUSPECT_RE = re.compile(_char_class(_BMP, _SURROGATES, _ASTRAL))
_ASCII_SUSPECT_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATE_RE = re.compile(_char_class(_SURROGATES))
_SELECTORS_CLASS = _char_class(_SELECTORS)
# Selectors at the start, after whitespace or after a selector; then ideographic ones to check.
_ORPHAN_SELECTORS_RE = re.compile(rf"(?:^|(?<=[\s{_SELECTORS_CLASS[1:-1]}])){_SELECTORS_CLASS}+")
_IDEOGRAPHIC_SELECTOR_RE = re.compile(_char_class(_SELECTORS[1:]))
_ANSI_RE = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*+[\x20-\x2f]*+[\x40-\x7e]"  # CSI
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*+(?:\x07|\x1b\\|\x9c)"  # OSC, ended by BEL or ST
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*+(?:\x1b\\|\x9c)"  # DCS, SOS, PM, APC
    r"|\x1b[\x20-\x2f]*+[\x30-\x7e]"  # two-character escapes (and ESC with intermediates)
)
# Stretches that may hold over MAX_MARKS marks in a row (one character adds at most 3).
_LONG_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]{8,}")
# JSON escapes that may hide a control character (an escaped backslash before b, f, r or u: a false alarm).
_JSON_ESCAPE_RE = re.compile(r"\\[bfru]")
# Text of these characters alone (ASCII, Latin-1 but the soft hyphen, Latin Extended-A and -B, and the
# precomposed Vietnamese letters) needs no cleaning and is NFC already: no character here is removed, and
# none composes with another. One possessive run over it is the fast way to tell the usual answer clean.
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n"
_PLAIN_RE = re.compile(r"[\t\n\x20-\x7e\u00a0-\u00ac\u00ae-\u024f\u1ea0-\u1eff]*+")


def _suspect(text: str) -> bool:
    quick = _QUICK_SUSPECT_RE.search(text)
    return quick is not None and _SUSPECT_RE.search(text, quick.start()) is not None


def clean(text: str) -> str:
    """``text`` without invisible, bidi and control characters or ANSI escapes, in NFC."""
    suspect = _ASCII_SUSPECT_RE.search(text) is not None if text.isascii() else _suspect(text)
    if not suspect and unicodedata.is_normalized("NFC", text):
        return text
    result = text
    if suspect:
        result = _REMOVED_RE.sub("", _ANSI_RE.sub("", result))
        result = _ORPHAN_SELECTORS_RE.sub("", _SURROGATE_RE.sub("\ufffd", result))
        if _IDEOGRAPHIC_SELECTOR_RE.search(result) is not None:
            result = _IDEOGRAPHIC_SELECTOR_RE.sub(_keep_ideographic, result)
    if not unicodedata.is_normalized("NFC", result):
        result = unicodedata.normalize("NFC", _LONG_NON_ASCII_RE.sub(_cap_marks, result))
    return text if result == text else result


def _keep_ideographic(match: re.Match[str]) -> str:
    """The ideographic variation selector matched if it follows a CJK ideograph, else nothing."""
    before = match.string[match.start() - 1] if match.start() else ""
    return match.group() if unicodedata.name(before, "").startswith(_IDEOGRAPHS) else ""


@functools.lru_cache(maxsize=4096)
def _marks(char: str) -> tuple[bool, int]:
    """Whether ``char`` holds a starter, and how many marks it adds to the run it is in or ends with."""
    marks = [unicodedata.combining(c) > 0 for c in unicodedata.normalize("NFD", char)]
    return (False, len(marks)) if all(marks) else (True, marks[::-1].index(False))


def _cap_marks(match: re.Match[str]) -> str:
    """The stretch matched with every run of combining marks (counted decomposed) cut to MAX_MARKS."""
    kept: list[str] = []
    run = 0
    for char in match.group():
        starter, count = _marks(char)
        if not starter and run + count > MAX_MARKS:
            continue
        run = count if starter else run + count
        kept.append(char)
    return "".join(kept)


def json_text_is_clean(body: str | bytes) -> bool:
    """Whether no string of the JSON value in ``body`` needs cleaning (false alarms possible, misses not).

    JSON text is NFC exactly when each of its strings is (quotes compose with
    nothing), and hides controls only behind ``\\b``, ``\\f``, ``\\r`` and ``\\u``
    escapes, which count as unclean (so does all ``ensure_ascii`` text).
    """
    if not isinstance(body, str):
        body = bytes(body)
        # The usual answer: its non-ASCII letters alone (printable ASCII deleted in one C pass, a fraction
        # of the body) are plain, and nothing is escaped.
        if b"\\" not in body:
            rest = body.translate(None, _PRINTABLE_ASCII).decode("utf-8", "replace")
            if _PLAIN_RE.match(rest).end() == len(rest):  # type: ignore[union-attr]  # a star always matches
                return True
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return False
    if _JSON_ESCAPE_RE.search(body) is not None:
        return False
    if _PLAIN_RE.match(body).end() == len(body):  # type: ignore[union-attr]  # a star always matches
        return True
    if body.isascii():
        return _ASCII_SUSPECT_RE.search(body) is None
    return not _suspect(body) and unicodedata.is_normalized("NFC", body)


def clean_json(value: Any) -> Any:
    """``value`` with every string in it (dict keys too) cleaned; ``value`` itself when none needed it.

    Checked whole first (``json.dumps`` and :func:`json_text_is_clean`), then
    walked without recursion; only changed branches are rebuilt, ``value`` is
    never changed. Of keys that clean alike, one that needed no cleaning wins,
    else the first.
    """
    if isinstance(value, str):
        return clean(value)
    if not isinstance(value, dict | list | tuple):
        return value
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, RecursionError):  # values json cannot write, or deeper than it goes: walked
        text = None
    if text is not None and json_text_is_clean(text):
        return value
    return _clean_tree(value)


class _Node:
    """One dict, list or tuple being cleaned: where its walk stands and what it becomes."""

    __slots__ = ("child", "items", "key", "out", "same", "source")

    def __init__(self, source: dict[Any, Any] | list[Any] | tuple[Any, ...]) -> None:
        self.source = source
        self.items = iter(source.items()) if isinstance(source, dict) else enumerate(source)
        self.out: dict[Any, Any] | list[Any] = {} if isinstance(source, dict) else []
        self.same = True
        self.key: Any = None
        self.child: Any = None

    def put(self, key: Any, old: Any, new: Any) -> None:
        self.same = self.same and new is old
        if isinstance(self.out, list):
            self.out.append(new)
            return
        cleaned = clean(key) if isinstance(key, str) else key
        if cleaned is not key:
            self.same = False
            if cleaned in self.out or cleaned in self.source:
                return  # the key as it was spelt, or an earlier spelling, keeps its value
        self.out[cleaned] = new

    def result(self) -> Any:
        if self.same:
            return self.source
        return tuple(self.out) if isinstance(self.source, tuple) else self.out


def _clean_tree(root: dict[Any, Any] | list[Any] | tuple[Any, ...]) -> Any:
    stack = [_Node(root)]
    path = {id(root)}
    while True:
        node = stack[-1]
        for key, child in node.items:
            if isinstance(child, dict | list | tuple):
                if id(child) in path:
                    raise ValueError("clean_json: the value contains itself")
                node.key, node.child = key, child
                stack.append(_Node(child))
                path.add(id(child))
                break
            node.put(key, child, clean(child) if isinstance(child, str) else child)
        else:
            stack.pop()
            path.discard(id(node.source))
            done = node.result()
            if not stack:
                return done
            stack[-1].put(stack[-1].key, stack[-1].child, done)


def quote(text: str | None, limit: int = 200) -> str | None:
    """An API error detail to show as a quoted field: cleaned, one line, at most ``limit`` characters.

    Longer text is cut (at a space near the limit if any) and ends with "…"; only
    the first ``16 * limit`` (at least 4,096) characters are read. None if empty.
    """
    if text is None:
        return None
    if limit < 2:
        raise ValueError("quote: limit must be at least 2")
    window = text[: max(16 * limit, 4096)]
    line = " ".join(clean(window).split())
    if len(line) <= limit and len(window) == len(text):
        return line or None
    cut, space = line[: limit - 1], line.rfind(" ", 0, limit)
    if len(line) >= limit and line[limit - 1] != " " and space >= (limit - 1) * 4 // 5:
        cut = line[:space]
    return cut.rstrip() + "…"
