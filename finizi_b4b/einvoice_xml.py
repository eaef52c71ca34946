"""The Vietnamese national e-invoice XML format: safe parsing, reading and writing.

Both sides use this module: the server brings a document to UTF-8 and checks that
it is well-formed before uploading it, and the sandbox reads the invoice out of an
upload. Parsing never
resolves external entities and refuses any document type declaration, so
entity-expansion bombs and external entity tricks are rejected outright.

The layout (root ``HDon``, data under ``DLHDon``)::

    TTChung      KHHDon (series), SHDon (number), NLap (issue date), DVTTe (currency)
    NDHDon/NBan  seller: Ten, MST, DChi
    NDHDon/NMua  buyer:  Ten, MST, DChi
    NDHDon/DSHHDVu/HHDVu   lines: THHDVu, DVTinh, SLuong, DGia, ThTien, TSuat
    NDHDon/TToan totals: TgTCThue (before tax), TgTThue (tax), TgTTTBSo (total)
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from xml.parsers import expat

import attrs

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

__all__ = [
    "VAT_RATES",
    "InvoiceXMLError",
    "ParsedInvoice",
    "ParsedLine",
    "Party",
    "build_einvoice_xml",
    "check_well_formed",
    "document_as_utf8",
    "parse_einvoice",
    "parse_xml_safely",
    "text_as_utf8",
]

VAT_RATES = (0, 5, 8, 10)
TAX_ID = re.compile(r"^([0-9]{10}(-[0-9]{3})?|[0-9]{12,14})$")
SERIES = re.compile(r"^[0-9A-Z]{1,12}$")
NUMBER = re.compile(r"^[0-9]{1,12}$")
# Rates written as "KCT" (not subject to VAT) or "KKKNT" (not declared) carry no tax.
_ZERO_RATES = {"KCT", "KKKNT"}


class InvoiceXMLError(ValueError):
    """The XML is not well-formed, unsafe, or not a complete national e-invoice."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _refuse_doctype(*_: Any) -> None:
    raise InvoiceXMLError("document type declarations (DOCTYPE) are not allowed.")


def _refuse_entity(*_: Any) -> None:
    raise InvoiceXMLError("entity declarations are not allowed.")


def _run_expat(content: bytes, parser: expat.XMLParserType) -> None:
    """Parse with DTDs, entity declarations and external references refused."""
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_entity
    try:
        parser.Parse(content, True)
    except expat.ExpatError as exc:
        raise InvoiceXMLError(
            f"not well-formed XML ({expat.errors.messages[exc.code]} at line "
            f"{exc.lineno}, column {exc.offset + 1})."
        ) from None


# -- encodings ------------------------------------------------------------------
# The upload always goes out as UTF-8. Text is already text, so only its declaration is
# rewritten; bytes are decoded with the codec they declare and written out again as UTF-8.

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
            f"the text holds an unpaired surrogate (U+{ord(text[exc.start]):04X}) at character {exc.start}."
        ) from None


def _codec(name: str) -> codecs.CodecInfo:
    try:
        info = codecs.lookup(name)
    except LookupError:
        info = None
    if info is None or info.name in _REFUSED or not getattr(info, "_is_text_encoding", True):
        raise InvoiceXMLError(
            f"the declared encoding {name[:40]!r} is not supported; save the file as UTF-8."
        )
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
            raise InvoiceXMLError(
                f"the declaration names {name[:40]!r} but the file is not in that encoding."
            )
    else:
        info = _codec(name)
    if info.name in _UTF8:
        return content
    try:
        text = content.decode(info.name)
    except UnicodeDecodeError as exc:
        raise InvoiceXMLError(f"the file is not valid {name[:40]} (byte {exc.start}).") from None
    if info.name in _DECOMPOSED:
        text = unicodedata.normalize("NFC", text)
    return text_as_utf8(text)


def check_well_formed(content: bytes) -> None:
    """Raise :class:`InvoiceXMLError` unless ``content`` is safe, well-formed XML; builds nothing."""
    _run_expat(content, expat.ParserCreate())


def parse_xml_safely(content: bytes) -> ET.Element:
    """Parse XML into elements (namespaces dropped from tags), refusing DTDs and entities."""
    import xml.etree.ElementTree as ET

    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = lambda tag, attrib: builder.start(_local(tag), attrib)
    parser.EndElementHandler = lambda tag: builder.end(_local(tag))
    parser.CharacterDataHandler = builder.data
    _run_expat(content, parser)
    return builder.close()


@attrs.frozen
class Party:
    name: str
    tax_id: str | None
    address: str | None


@attrs.frozen
class ParsedLine:
    name: str
    unit: str | None
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    vat_rate: int


@attrs.frozen
class ParsedInvoice:
    series: str
    number: str
    issue_date: dt.date
    currency: str
    seller: Party
    buyer: Party
    lines: tuple[ParsedLine, ...]
    total_before_tax: Decimal
    total_tax: Decimal
    total: Decimal


class _Reader:
    """Finds elements by path below ``HDon`` and reports precisely what is wrong."""

    def __init__(self, root: ET.Element) -> None:
        self.root = root

    def find(self, node: ET.Element, path: str, where: str, *, required: bool = True) -> ET.Element | None:
        found = node.find(path)
        if found is None and required:
            raise InvoiceXMLError(f"{where}/{path} is missing.")
        return found

    def text(self, node: ET.Element, path: str, where: str, *, required: bool = True) -> str | None:
        element = self.find(node, path, where, required=required)
        value = (element.text or "").strip() if element is not None else ""
        if not value:
            if required:
                raise InvoiceXMLError(f"{where}/{path} is empty.")
            return None
        return value

    def number(self, node: ET.Element, path: str, where: str) -> Decimal:
        raw = self.text(node, path, where)
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise InvoiceXMLError(f"{where}/{path} is not a number: {raw[:40]!r}.") from None
        if not value.is_finite() or value < 0:
            raise InvoiceXMLError(f"{where}/{path} must be a number of zero or more, not {raw[:40]!r}.")
        return value


def _rate(raw: str | None, where: str) -> int:
    if raw is None:
        raise InvoiceXMLError(f"{where}/TSuat is missing.")
    text = raw.strip().upper()
    if text in _ZERO_RATES:
        return 0
    digits = text.removesuffix("%")
    if digits.isdigit() and int(digits) in VAT_RATES:
        return int(digits)
    raise InvoiceXMLError(f"{where}/TSuat {raw[:20]!r} is not a VAT rate in use (0%, 5%, 8%, 10%, KCT).")


def _party(reader: _Reader, node: ET.Element, tag: str, where: str, *, tax_id_required: bool) -> Party:
    element = reader.find(node, tag, where)
    here = f"{where}/{tag}"
    name = reader.text(element, "Ten", here)
    tax_id = reader.text(element, "MST", here, required=tax_id_required)
    if tax_id is not None and not TAX_ID.match(tax_id):
        raise InvoiceXMLError(
            f"{here}/MST {tax_id[:20]!r} is not a tax id (10 digits, 10-3 or 12-14 digits)."
        )
    return Party(name=name, tax_id=tax_id, address=reader.text(element, "DChi", here, required=False))


def _close(a: Decimal, b: Decimal) -> bool:
    """Amounts agree to within one dong (rounding on the issuer's side)."""
    return abs(a - b) <= 1


def parse_einvoice(content: bytes) -> ParsedInvoice:
    """Read a national-format e-invoice; any missing or inconsistent part is an error naming it."""
    root = parse_xml_safely(content)
    if root.tag != "HDon":
        raise InvoiceXMLError(f"the root element is <{root.tag}>, not <HDon>.")
    reader = _Reader(root)
    data = reader.find(root, "DLHDon", "HDon")
    general = reader.find(data, "TTChung", "HDon/DLHDon")
    where = "HDon/DLHDon/TTChung"
    series = reader.text(general, "KHHDon", where)
    if not SERIES.match(series):
        raise InvoiceXMLError(
            f"{where}/KHHDon {series[:20]!r} is not a series (up to 12 letters and digits)."
        )
    number = reader.text(general, "SHDon", where)
    if not NUMBER.match(number):
        raise InvoiceXMLError(f"{where}/SHDon {number[:20]!r} is not an invoice number (digits only).")
    raw_date = reader.text(general, "NLap", where)
    try:
        issue_date = dt.date.fromisoformat(raw_date[:10])
    except ValueError:
        raise InvoiceXMLError(f"{where}/NLap {raw_date[:20]!r} is not a date (YYYY-MM-DD).") from None
    currency = reader.text(general, "DVTTe", where, required=False) or "VND"

    content_node = reader.find(data, "NDHDon", "HDon/DLHDon")
    where = "HDon/DLHDon/NDHDon"
    seller = _party(reader, content_node, "NBan", where, tax_id_required=True)
    buyer = _party(reader, content_node, "NMua", where, tax_id_required=False)

    line_list = reader.find(content_node, "DSHHDVu", where)
    lines = []
    for index, node in enumerate(line_list.findall("HHDVu"), start=1):
        here = f"{where}/DSHHDVu/HHDVu[{index}]"
        quantity = reader.number(node, "SLuong", here)
        unit_price = reader.number(node, "DGia", here)
        amount = reader.number(node, "ThTien", here)
        if not _close(amount, quantity * unit_price):
            raise InvoiceXMLError(f"{here}/ThTien is {amount} but SLuong x DGia is {quantity * unit_price}.")
        lines.append(
            ParsedLine(
                name=reader.text(node, "THHDVu", here),
                unit=reader.text(node, "DVTinh", here, required=False),
                quantity=quantity,
                unit_price=unit_price,
                amount=amount,
                vat_rate=_rate(reader.text(node, "TSuat", here, required=False), here),
            )
        )
    if not lines:
        raise InvoiceXMLError(f"{where}/DSHHDVu has no HHDVu line.")

    totals = reader.find(content_node, "TToan", where)
    here = f"{where}/TToan"
    before_tax = reader.number(totals, "TgTCThue", here)
    tax = reader.number(totals, "TgTThue", here)
    total = reader.number(totals, "TgTTTBSo", here)
    line_sum = sum((line.amount for line in lines), Decimal(0))
    if not _close(before_tax, line_sum):
        raise InvoiceXMLError(f"{here}/TgTCThue is {before_tax} but the lines add up to {line_sum}.")
    if not _close(total, before_tax + tax):
        raise InvoiceXMLError(f"{here}/TgTTTBSo is {total} but TgTCThue + TgTThue is {before_tax + tax}.")
    return ParsedInvoice(
        series=series,
        number=number,
        issue_date=issue_date,
        currency=currency,
        seller=seller,
        buyer=buyer,
        lines=tuple(lines),
        total_before_tax=before_tax,
        total_tax=tax,
        total=total,
    )


def _dong(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _fmt(value: Decimal | int | float) -> str:
    number = Decimal(str(value))
    return format(number.normalize(), "f") if number != number.to_integral() else str(int(number))


def build_einvoice_xml(
    *,
    series: str,
    number: str | int,
    issue_date: dt.date,
    seller: Mapping[str, Any],
    buyer: Mapping[str, Any],
    lines: Iterable[Mapping[str, Any]],
    currency: str = "VND",
) -> bytes:
    """Write a complete, consistent e-invoice; ``lines`` hold name, unit, quantity, unit_price, vat_rate."""
    import xml.etree.ElementTree as ET

    root = ET.Element("HDon")
    data = ET.SubElement(root, "DLHDon", Id="data")
    general = ET.SubElement(data, "TTChung")
    for tag, value in (
        ("PBan", "2.0.1"),
        ("THDon", "Hóa đơn giá trị gia tăng"),
        ("KHMSHDon", "1"),
        ("KHHDon", series),
        ("SHDon", str(number)),
        ("NLap", issue_date.isoformat()),
        ("DVTTe", currency),
        ("TGia", "1"),
    ):
        ET.SubElement(general, tag).text = value
    body = ET.SubElement(data, "NDHDon")
    for tag, party in (("NBan", seller), ("NMua", buyer)):
        node = ET.SubElement(body, tag)
        ET.SubElement(node, "Ten").text = str(party["name"])
        if party.get("tax_id"):
            ET.SubElement(node, "MST").text = str(party["tax_id"])
        if party.get("address"):
            ET.SubElement(node, "DChi").text = str(party["address"])
    items = ET.SubElement(body, "DSHHDVu")
    before_tax = tax = Decimal(0)
    for index, line in enumerate(lines, start=1):
        quantity, price = Decimal(str(line["quantity"])), Decimal(str(line["unit_price"]))
        amount = _dong(quantity * price)
        rate = int(line["vat_rate"])
        before_tax += amount
        tax += _dong(amount * rate / 100)
        node = ET.SubElement(items, "HHDVu")
        for tag, value in (
            ("TChat", "1"),
            ("STT", str(index)),
            ("THHDVu", str(line["name"])),
            ("DVTinh", str(line.get("unit") or "")),
            ("SLuong", _fmt(quantity)),
            ("DGia", _fmt(price)),
            ("TSuat", f"{rate}%"),
            ("ThTien", _fmt(amount)),
        ):
            ET.SubElement(node, tag).text = value
    totals = ET.SubElement(body, "TToan")
    for tag, value in (("TgTCThue", before_tax), ("TgTThue", tax), ("TgTTTBSo", before_tax + tax)):
        ET.SubElement(totals, tag).text = _fmt(value)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
