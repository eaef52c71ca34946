"""Writing a complete, consistent national-format e-invoice (for demos, tests and the benchmark)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = ["build_einvoice_xml"]


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
