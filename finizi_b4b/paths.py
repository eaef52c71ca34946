"""Local paths and file names as text: expanded, checked, escaped; why a local file could not be read.

A name read from the disk is bytes. Python hands back the bytes that are not
UTF-8 as lone surrogates (PEP 383): a file unzipped on Linux from a Vietnamese
Windows archive, ``Hóa đơn.xml`` in windows-1258, comes back as
``'H\\udcf3a \\udcf0\\udcf5n.xml'``. No JSON can carry such a string, and a
strict UTF-8 stream refuses it, so a name is checked with :func:`is_text`
before it may reach a result, a prompt or a completion. A valid name can still
hold a newline or an escape sequence; :func:`shown` writes both kinds out as
escapes, and :class:`EscapedLogs` does it for every argument of a log line.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import ParamSpec, TypeVar

from finizi_b4b.errors import ToolError

__all__ = [
    "BadPath",
    "EscapedLogs",
    "FileProblem",
    "absolute",
    "expand",
    "is_text",
    "sendable",
    "sendable_errors",
    "shown",
]

# C0 and C1 control characters, DEL, and the lone surrogates that stand for bytes that were not UTF-8.
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SHOWN_AT_MOST = 300

P = ParamSpec("P")
T = TypeVar("T")


class FileProblem(StrEnum):
    """Why the XML of an import could not be read; the comment names the facts each carries."""

    NO_FILE = "no_file"  # path
    SYMBOLIC_LINK = "symbolic_link"  # path
    NOT_A_FILE = "not_a_file"  # path (a folder, a device, a FIFO...)
    UNREADABLE = "unreadable"  # path, reason (the system's)
    TOO_LARGE = "too_large"  # path, size, limit
    GREW_TOO_LARGE = "grew_too_large"  # path, limit: over the limit when read, though not when opened
    TEXT_TOO_LARGE = "text_too_large"  # limit: xml_content, as UTF-8
    UTF8_TOO_LARGE = "utf8_too_large"  # limit: a file's content once brought to UTF-8


class BadPath(ValueError):
    """A path that names no place: a ``~user`` that is no user here, or one with a NUL character."""


def is_text(name: str) -> bool:
    """Whether ``name`` is valid text (no lone surrogate), so that JSON and UTF-8 can carry it."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as PEP 383 keeps it: shown as that byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def shown(text: str, *, limit: int | None = _SHOWN_AT_MOST) -> str:
    """``text`` fit for a log line or a message: control characters and bytes that were not UTF-8
    written as escapes (``\\x0a``, ``\\xf3``), and cut to ``limit`` characters (None: not cut)."""
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return _UNSHOWABLE.sub(_escape, text)


def sendable_errors(read: Callable[P, T]) -> Callable[P, T]:
    """``read`` (a function that reads a local file) with the message of any :class:`ToolError` it
    raises made sendable: a path in it that is not valid text (``~`` expanded to a home folder whose
    name is not UTF-8) is escaped, where it would have made the result impossible to send."""

    @functools.wraps(read)
    def reading(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return read(*args, **kwargs)
        except ToolError as error:
            error.message = sendable(error.message)
            raise

    return reading


def sendable(text: str) -> str:
    """``text`` as it may go on the wire: a path or name in it that is not valid text (no JSON can carry
    it) is escaped rather than left to stop the server."""
    return text if is_text(text) else shown(text, limit=None)


def absolute(raw: str) -> Path | None:
    """``raw`` with ``~`` expanded, when it is an absolute path that can be; else None."""
    try:
        path = expand(raw)
    except BadPath:
        return None
    return path if path.is_absolute() else None


def expand(text: str) -> Path:
    """``text`` as a path with ``~`` and ``~user`` expanded; :class:`BadPath` when it cannot be."""
    if "\x00" in text:
        raise BadPath("it contains a NUL character")
    try:
        return Path(text).expanduser()
    except RuntimeError:  # pathlib's way of saying that ~user has no home folder here
        head = text.split(os.sep, 1)[0]
        raise BadPath(f"{shown(head, limit=64)!r} is no user's home folder on this machine") from None


class EscapedLogs(logging.Filter):
    """A handler filter that escapes what a log line's arguments and exception text could smuggle in.

    A file name (or any text from outside) with a newline would forge a log line,
    one with an escape sequence would drive the terminal, and one with a lone
    surrogate cannot be written to a strict UTF-8 stream. The filter changes the
    record in place and never drops it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(shown(a, limit=None) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: shown(v, limit=None) if isinstance(v, str) else v for k, v in record.args.items()
            }
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            # A traceback spans lines of its own; everything else that cannot be shown is escaped.
            record.exc_text = "\n".join(shown(line, limit=None) for line in text.split("\n"))
        return True
