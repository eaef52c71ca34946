"""E-invoice XML for import: a file read safely, brought to UTF-8, and checked to be an e-invoice.

Reading a file never blocks and never follows a link swapped in for it: the path
is opened with ``O_NONBLOCK | O_NOFOLLOW`` and the opened descriptor itself is
checked to be a regular file of at most 5 MB before anything is read. A path
whose last component is a symbolic link is refused (give the file's own path);
links in the directories above it are followed as usual. A path that cannot be
expanded (``~nosuchuser/...``) is a bad path, as is a relative one.

Nothing is uploaded unless it is a national-format e-invoice (:func:`identify`):
well-formed XML whose root is ``HDon`` with a series, a number and a seller.

A file that cannot be used is a :class:`FileProblem` with its facts; the
words are those of ``finizi_b4b.tools.messages``, which is imported only when
an error is raised (it imports this module for the codes).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import anyio
import attrs

from finizi_b4b.api.untrusted import clean
from finizi_b4b.einvoice_xml import (
    InvoiceIdentity,
    InvoiceXMLError,
    ParsedInvoice,
    Party,
    document_as_utf8,
    identify_einvoice,
    parse_einvoice,
    text_as_utf8,
)
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.paths import FileProblem, absolute, sendable_errors, shown
from finizi_b4b.tools import messages
from finizi_b4b.tools.rules import AbsolutePaths

__all__ = [
    "MAX_XML_BYTES",
    "as_utf8",
    "identify",
    "load_xml_file",
    "parse",
    "read_xml_file",
]

MAX_XML_BYTES = 5 * 1024 * 1024
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_CHUNK = 1024 * 1024


# The error code of each: a file that is not there to read, or one too large to send.
_CODES = {
    FileProblem.NO_FILE: ErrorCode.FILE_NOT_FOUND,
    FileProblem.SYMBOLIC_LINK: ErrorCode.FILE_NOT_FOUND,
    FileProblem.NOT_A_FILE: ErrorCode.FILE_NOT_FOUND,
    FileProblem.UNREADABLE: ErrorCode.FILE_NOT_FOUND,
    FileProblem.TOO_LARGE: ErrorCode.FILE_TOO_LARGE,
    FileProblem.GREW_TOO_LARGE: ErrorCode.FILE_TOO_LARGE,
    FileProblem.TEXT_TOO_LARGE: ErrorCode.FILE_TOO_LARGE,
    FileProblem.UTF8_TOO_LARGE: ErrorCode.FILE_TOO_LARGE,
}


def _refused(problem: FileProblem, **facts: Any) -> ToolError:
    return ToolError(_CODES[problem], messages.file_problem(problem, facts))


def _open(path: Path) -> int:
    try:
        return os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise _refused(FileProblem.NO_FILE, path=path) from None
    except OSError as exc:
        # O_NOFOLLOW on a final symbolic link: ELOOP (Linux, macOS), EMLINK (FreeBSD)
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise _refused(FileProblem.SYMBOLIC_LINK, path=path) from None
        raise _refused(FileProblem.UNREADABLE, path=path, reason=exc.strerror) from None


def _read_capped(fd: int, path: Path) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_XML_BYTES:
        try:
            chunk = os.read(fd, min(_CHUNK, MAX_XML_BYTES + 1 - size))
        except BlockingIOError:  # not a regular file after all; never wait for it
            raise _refused(FileProblem.NOT_A_FILE, path=path) from None
        except OSError as exc:
            raise _refused(FileProblem.UNREADABLE, path=path, reason=exc.strerror) from None
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > MAX_XML_BYTES:  # grew since fstat
        raise _refused(FileProblem.GREW_TOO_LARGE, path=path, limit=MAX_XML_BYTES)
    return b"".join(chunks)


def read_xml_file(raw_path: str) -> tuple[str, bytes]:
    """The file's name and bytes, after checking the opened file is a regular file of at most 5 MB.

    Blocking: run it in a worker thread.
    """
    breach = next(AbsolutePaths("file_path").breaches({"file_path": raw_path}), None)
    if breach is not None:  # the tool's rules refuse such a path first; this is for any other caller
        raise messages.invalid_arguments_error([messages.breach(breach)])
    path = absolute(raw_path)
    assert path is not None
    fd = _open(path)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _refused(FileProblem.NOT_A_FILE, path=path)
        if info.st_size > MAX_XML_BYTES:
            raise _refused(FileProblem.TOO_LARGE, path=path, size=info.st_size, limit=MAX_XML_BYTES)
        return path.name, _read_capped(fd, path)
    finally:
        os.close(fd)


def _unusable(exc: InvoiceXMLError) -> ToolError:
    return ToolError(ErrorCode.INVALID_XML, messages.unusable_xml(exc))


def as_utf8(content: bytes | None, text: str | None) -> bytes:
    """The document as UTF-8 (text as given, or bytes in their declared encoding), at most 5 MB."""
    try:
        converted = text_as_utf8(text) if text is not None else document_as_utf8(content or b"")
    except InvoiceXMLError as exc:
        raise _unusable(exc) from None
    if len(converted) > MAX_XML_BYTES:
        too_large = FileProblem.TEXT_TOO_LARGE if text is not None else FileProblem.UTF8_TOO_LARGE
        raise _refused(too_large, limit=MAX_XML_BYTES)
    return converted


async def load_xml_file(path: str) -> tuple[str, bytes]:
    """The file's name and its XML as UTF-8, at most 5 MB (read in a worker thread)."""
    filename, raw = await anyio.to_thread.run_sync(sendable_errors(read_xml_file), path)
    return shown(filename, limit=200), as_utf8(raw, None)  # the name as the upload carries it: text


async def identify(content: bytes) -> InvoiceIdentity:
    """The invoice's series, number and seller, or ``invalid_xml`` for a document that is not a
    national-format e-invoice (read in a worker thread); checked before any upload."""
    try:
        return await anyio.to_thread.run_sync(identify_einvoice, content)
    except InvoiceXMLError as exc:
        raise _unusable(exc) from None


def _cleaned(parsed: ParsedInvoice) -> ParsedInvoice:
    """The invoice with the text its issuer wrote (names, addresses, lines) cleaned, as an API answer is."""

    def party(who: Party) -> Party:
        address = clean(who.address) if who.address is not None else None
        return attrs.evolve(who, name=clean(who.name), address=address)

    lines = tuple(
        attrs.evolve(line, name=clean(line.name), unit=clean(line.unit) if line.unit is not None else None)
        for line in parsed.lines
    )
    return attrs.evolve(parsed, seller=party(parsed.seller), buyer=party(parsed.buyer), lines=lines)


async def parse(content: bytes) -> ParsedInvoice:
    """The invoice read out of the XML (in a worker thread), its issuer's text cleaned; unusable XML is
    ``invalid_xml``."""
    try:
        return _cleaned(await anyio.to_thread.run_sync(parse_einvoice, content))
    except InvoiceXMLError as exc:
        raise _unusable(exc) from None
