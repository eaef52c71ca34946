"""Encodings: an XML document, in whatever encoding it declares, as UTF-8.

The upload always goes out as UTF-8. Text is already text, so only its
declaration is rewritten; bytes are decoded with the codec they declare (or
that their byte order mark fixes) and written out again as UTF-8.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from finizi_b4b.einvoice_xml.problems import InvoiceXMLError, XmlProblem, shown

__all__ = ["document_as_utf8", "text_as_utf8"]

_DECLARATION = re.compile(r"<\?xml([^?>]{0,400})\?>")
_ENCODING = re.compile(r"""(\sencoding\s*=\s*)(?:"([^"]{0,40})"|'([^']{0,40})')""")
_UTF8 = {"utf-8", "utf-8-sig"}
# Codecs that are not character encodings of a document, or that smuggle markup past a parser.
_REFUSED = {"utf-7", "unicode-escape", "raw-unicode-escape", "idna", "punycode"}
# Legacy Vietnamese code pages write tone marks as combining characters; NFC joins them again.
_DECOMPOSED = {"cp1258"}


def _with_utf8_declaration(text: str) -> str:
    """``text`` with the encoding its XML declaration names (if any) replaced by UTF-8."""
    declaration = _DECLARATION.match(text)
    if declaration is None:
        return text
    rewritten = _ENCODING.sub(lambda m: f'{m.group(1)}"UTF-8"', declaration.group(0), count=1)
    return rewritten + text[declaration.end() :]


def text_as_utf8(text: str) -> bytes:
    """XML text as UTF-8 bytes whose declaration says UTF-8, whatever encoding it named."""
    text = _with_utf8_declaration(text.removeprefix("\ufeff"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvoiceXMLError(
            XmlProblem.UNPAIRED_SURROGATE, code_point=ord(text[exc.start]), at=exc.start
        ) from None


def _codec(name: str) -> codecs.CodecInfo:
    try:
        info = codecs.lookup(name)
    except LookupError:
        info = None
    if info is None or info.name in _REFUSED or not getattr(info, "_is_text_encoding", True):
        raise InvoiceXMLError(XmlProblem.UNSUPPORTED_ENCODING, encoding=shown(name))
    return info


def _sniff(content: bytes) -> str | None:
    """The encoding a byte order mark or the first bytes fix, or None for an ASCII-compatible start."""
    for mark, name in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if content.startswith(mark):
            return name
    if content.startswith(b"<\x00?\x00"):
        return "utf-16-le"
    if content.startswith(b"\x00<\x00?"):
        return "utf-16-be"
    return None


def document_as_utf8(content: bytes) -> bytes:
    """An XML document as UTF-8 bytes, decoded with the encoding it declares (work linear in its size).

    UTF-8 documents are returned unchanged. Others are decoded with Python's codec for
    the declared encoding (or the one their byte order mark fixes) and written out as
    UTF-8 with the declaration rewritten, so that the backend reads the same characters.
    """
    name = _sniff(content)
    if name is None:
        declaration = _DECLARATION.match(content[:512].decode("latin-1"))
        found = _ENCODING.search(declaration.group(1)) if declaration else None
        name = (found.group(2) if found.group(2) is not None else found.group(3)) if found else "utf-8"
        info = _codec(name)
        if info.name not in _UTF8 and "<?xml".encode(info.name, "replace") != b"<?xml":
            raise InvoiceXMLError(XmlProblem.ENCODING_MISMATCH, encoding=shown(name))
    else:
        info = _codec(name)
    if info.name in _UTF8:
        return content
    try:
        text = content.decode(info.name)
    except UnicodeDecodeError as exc:
        raise InvoiceXMLError(XmlProblem.UNDECODABLE, encoding=shown(name), byte=exc.start) from None
    if info.name in _DECOMPOSED:
        text = unicodedata.normalize("NFC", text)
    return text_as_utf8(text)
