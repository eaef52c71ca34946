"""E-invoice XML for import: a file read safely, brought to UTF-8, and checked to be an e-invoice.

Reading a file never blocks and never follows a link swapped in for it: the path
is opened with ``O_NONBLOCK | O_NOFOLLOW`` and the opened descriptor itself is
checked to be a regular file of at most 5 MB before anything is read. A path
whose last component is a symbolic link is refused (give the file's own path);
links in the directories above it are followed as usual. A path that cannot be
expanded (``~nosuchuser/...``) is a bad path, as is a relative one.

Nothing is uploaded unless it is a national-format e-invoice (:func:`identify`):
well-formed XML whose root is ``HDon`` with a series, a number and a seller.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

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
from finizi_b4b.paths import BadPath, expand, sendable_errors, shown

__all__ = ["MAX_XML_BYTES", "as_utf8", "expanded", "identify", "load_xml_file", "parse", "read_xml_file"]

MAX_XML_BYTES = 5 * 1024 * 1024
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_CHUNK = 1024 * 1024


def _too_large(what: str) -> ToolError:
    return ToolError(ErrorCode.FILE_TOO_LARGE, f"{what} is over 5 MB; e-invoice XML is limited to 5 MB.")


def expanded(raw: str) -> Path | None:
    """``raw`` with ``~`` expanded, when it is an absolute path that can be; else None."""
    try:
        path = expand(raw)
    except BadPath:
        return None
    return path if path.is_absolute() else None


def _open(path: Path) -> int:
    try:
        return os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise ToolError(
            ErrorCode.FILE_NOT_FOUND, f"No file at {path}. Check the path and try again."
        ) from None
    except OSError as exc:
        # O_NOFOLLOW on a final symbolic link: ELOOP (Linux, macOS), EMLINK (FreeBSD)
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise ToolError(
                ErrorCode.FILE_NOT_FOUND,
                f"{path} is a symbolic link; links are not followed. Give the path of the XML file itself.",
            ) from None
        raise ToolError(ErrorCode.FILE_NOT_FOUND, f"Cannot read {path}: {exc.strerror}.") from None


def _read_capped(fd: int, path: Path) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_XML_BYTES:
        try:
            chunk = os.read(fd, min(_CHUNK, MAX_XML_BYTES + 1 - size))
        except BlockingIOError:  # not a regular file after all; never wait for it
            raise ToolError(ErrorCode.FILE_NOT_FOUND, f"{path} is not a regular file.") from None
        except OSError as exc:
            raise ToolError(ErrorCode.FILE_NOT_FOUND, f"Cannot read {path}: {exc.strerror}.") from None
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > MAX_XML_BYTES:  # grew since fstat
        raise _too_large(str(path))
    return b"".join(chunks)


def read_xml_file(raw_path: str) -> tuple[str, bytes]:
    """The file's name and bytes, after checking the opened file is a regular file of at most 5 MB.

    Blocking: run it in a worker thread.
    """
    if "\x00" in raw_path:
        raise ToolError.invalid_arguments("file_path contains a NUL character")
    path = expanded(raw_path)
    if path is None:
        raise ToolError.invalid_arguments(
            f"file_path must be an absolute path (a ~user/ that this system knows), got {raw_path[:200]!r}"
        )
    fd = _open(path)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ToolError(
                ErrorCode.FILE_NOT_FOUND, f"{path} is not a regular file. Give the path of an XML file."
            )
        if info.st_size > MAX_XML_BYTES:
            raise ToolError(
                ErrorCode.FILE_TOO_LARGE,
                f"{path} is {info.st_size / 1048576:.1f} MB; e-invoice XML files are limited to 5 MB.",
            )
        return path.name, _read_capped(fd, path)
    finally:
        os.close(fd)


def _unusable(exc: InvoiceXMLError) -> ToolError:
    return ToolError(ErrorCode.INVALID_XML, f"The XML is not usable: {exc} Nothing was uploaded.")


def as_utf8(content: bytes | None, text: str | None) -> bytes:
    """The document as UTF-8 (text as given, or bytes in their declared encoding), at most 5 MB."""
    try:
        converted = text_as_utf8(text) if text is not None else document_as_utf8(content or b"")
    except InvoiceXMLError as exc:
        raise _unusable(exc) from None
    if len(converted) > MAX_XML_BYTES:
        raise _too_large("xml_content" if text is not None else "The file (as UTF-8)")
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
