"""Reading a national-format e-invoice into :class:`ParsedInvoice`, checking every part.

Any missing, malformed or inconsistent part is an :class:`InvoiceXMLError`
with its :class:`XmlProblem` and the part's path as a fact
(``XmlProblem.MISSING``, ``path="HDon/DLHDon/TTChung/KHHDon"``).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import attrs

from finizi_b4b.api.money import in_range
from finizi_b4b.einvoice_xml.problems import InvoiceXMLError, XmlProblem, shown
from finizi_b4b.einvoice_xml.safe import parse_xml_safely

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

__all__ = [
    "VAT_RATES",
    "InvoiceIdentity",
    "ParsedInvoice",
    "ParsedLine",
    "Party",
    "identify_einvoice",
    "parse_einvoice",
]

VAT_RATES = (0, 5, 8, 10)
TAX_ID = re.compile(r"^([0-9]{10}(-[0-9]{3})?|[0-9]{12,14})$")
SERIES = re.compile(r"^[0-9A-Z]{1,12}$")
NUMBER = re.compile(r"^[0-9]{1,12}$")
# Rates written as "KCT" (not subject to VAT) or "KKKNT" (not declared) carry no tax.
_ZERO_RATES = {"KCT", "KKKNT"}


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
    """Finds elements by path below ``HDon`` and reports precisely what is wrong, and where."""

    def __init__(self, root: ET.Element) -> None:
        self.root = root

    def find(self, node: ET.Element, path: str, where: str, *, required: bool = True) -> ET.Element | None:
        found = node.find(path)
        if found is None and required:
            raise InvoiceXMLError(XmlProblem.MISSING, path=f"{where}/{path}")
        return found

    def text(self, node: ET.Element, path: str, where: str, *, required: bool = True) -> str | None:
        element = self.find(node, path, where, required=required)
        value = (element.text or "").strip() if element is not None else ""
        if not value:
            if required:
                raise InvoiceXMLError(XmlProblem.EMPTY, path=f"{where}/{path}")
            return None
        return value

    def number(self, node: ET.Element, path: str, where: str) -> Decimal:
        raw = self.text(node, path, where)
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise InvoiceXMLError(XmlProblem.NOT_A_NUMBER, path=f"{where}/{path}", value=shown(raw)) from None
        if not value.is_finite() or value < 0:
            raise InvoiceXMLError(XmlProblem.NEGATIVE, path=f"{where}/{path}", value=shown(raw))
        if not in_range(value):
            raise InvoiceXMLError(XmlProblem.OUT_OF_RANGE, path=f"{where}/{path}", value=shown(raw))
        return value


def _rate(raw: str | None, where: str) -> int:
    if raw is None:
        raise InvoiceXMLError(XmlProblem.MISSING, path=f"{where}/TSuat")
    text = raw.strip().upper()
    if text in _ZERO_RATES:
        return 0
    digits = text.removesuffix("%")
    if digits.isdigit() and int(digits) in VAT_RATES:
        return int(digits)
    raise InvoiceXMLError(XmlProblem.NOT_A_VAT_RATE, path=f"{where}/TSuat", value=shown(raw))


def _party(reader: _Reader, node: ET.Element, tag: str, where: str, *, tax_id_required: bool) -> Party:
    element = reader.find(node, tag, where)
    here = f"{where}/{tag}"
    name = reader.text(element, "Ten", here)
    tax_id = reader.text(element, "MST", here, required=tax_id_required)
    if tax_id is not None and not TAX_ID.match(tax_id):
        raise InvoiceXMLError(XmlProblem.BAD_TAX_ID, path=f"{here}/MST", value=shown(tax_id))
    return Party(name=name, tax_id=tax_id, address=reader.text(element, "DChi", here, required=False))


def _close(a: Decimal, b: Decimal) -> bool:
    """Amounts agree to within one dong (rounding on the issuer's side)."""
    return abs(a - b) <= 1


@attrs.frozen
class InvoiceIdentity:
    """What names an invoice: its series, number and seller's tax id."""

    series: str
    number: str
    seller_tax_id: str


def _identity(root: ET.Element) -> tuple[_Reader, ET.Element, ET.Element, str, str]:
    """The reader, the data and general elements, and the series and number, all checked."""
    if root.tag != "HDon":
        raise InvoiceXMLError(XmlProblem.WRONG_ROOT, value=shown(root.tag))
    reader = _Reader(root)
    data = reader.find(root, "DLHDon", "HDon")
    general = reader.find(data, "TTChung", "HDon/DLHDon")
    where = "HDon/DLHDon/TTChung"
    series = reader.text(general, "KHHDon", where)
    if not SERIES.match(series):
        raise InvoiceXMLError(XmlProblem.BAD_SERIES, path=f"{where}/KHHDon", value=shown(series))
    number = reader.text(general, "SHDon", where)
    if not NUMBER.match(number):
        raise InvoiceXMLError(XmlProblem.BAD_NUMBER, path=f"{where}/SHDon", value=shown(number))
    return reader, data, general, series, number


def identify_einvoice(content: bytes) -> InvoiceIdentity:
    """The series, number and seller of a national-format e-invoice; an error for a document that is
    not one. Lighter than :func:`parse_einvoice`: lines and totals are left to the API."""
    reader, data, _, series, number = _identity(parse_xml_safely(content))
    content_node = reader.find(data, "NDHDon", "HDon/DLHDon")
    seller = _party(reader, content_node, "NBan", "HDon/DLHDon/NDHDon", tax_id_required=True)
    assert seller.tax_id is not None
    return InvoiceIdentity(series, number, seller.tax_id)


def parse_einvoice(content: bytes) -> ParsedInvoice:
    """Read a national-format e-invoice; any missing or inconsistent part is an error naming it."""
    reader, data, general, series, number = _identity(parse_xml_safely(content))
    where = "HDon/DLHDon/TTChung"
    raw_date = reader.text(general, "NLap", where)
    try:
        issue_date = dt.date.fromisoformat(raw_date[:10])
    except ValueError:
        raise InvoiceXMLError(XmlProblem.BAD_DATE, path=f"{where}/NLap", value=shown(raw_date)) from None
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
            raise InvoiceXMLError(
                XmlProblem.LINE_MISMATCH, path=f"{here}/ThTien", found=amount, expected=quantity * unit_price
            )
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
        raise InvoiceXMLError(XmlProblem.NO_LINES, path=f"{where}/DSHHDVu")

    totals = reader.find(content_node, "TToan", where)
    here = f"{where}/TToan"
    before_tax = reader.number(totals, "TgTCThue", here)
    tax = reader.number(totals, "TgTThue", here)
    total = reader.number(totals, "TgTTTBSo", here)
    line_sum = sum((line.amount for line in lines), Decimal(0))
    if not _close(before_tax, line_sum):
        raise InvoiceXMLError(
            XmlProblem.BEFORE_TAX_MISMATCH, path=f"{here}/TgTCThue", found=before_tax, expected=line_sum
        )
    if not _close(total, before_tax + tax):
        raise InvoiceXMLError(
            XmlProblem.TOTAL_MISMATCH, path=f"{here}/TgTTTBSo", found=total, expected=before_tax + tax
        )
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
