"""The sample e-invoice: one home for the invoice the demo, the benchmark and the tests import.

It is a complete national-format invoice (one line of printing paper, VAT 10 %)
written by :func:`finizi_b4b.einvoice_xml.build_einvoice_xml`, so every caller
exercises the same parser path with the same figures: 20 reams at 78,000 VND,
1,560,000 VND before tax, 156,000 VND VAT, 1,716,000 VND in all.
"""

from __future__ import annotations

import datetime as dt
import uuid

from finizi_b4b.einvoice_xml import build_einvoice_xml

__all__ = [
    "SAMPLE_ISSUE_DATE",
    "SAMPLE_SELLER_NAME",
    "SAMPLE_SELLER_TAX_ID",
    "SAMPLE_TOTAL",
    "sample_invoice_number",
    "sample_invoice_xml",
]

SAMPLE_SELLER_NAME = "Công ty TNHH Giấy Sài Gòn"
SAMPLE_SELLER_TAX_ID = "0305556667"  # not the tax id of any sandbox entity: the seller is a vendor
SAMPLE_SELLER_ADDRESS = "Quận 7, TP. Hồ Chí Minh"
SAMPLE_ISSUE_DATE = dt.date(2026, 5, 20)
SAMPLE_LINE = {"name": "Giấy in A4", "unit": "ram", "quantity": 20, "unit_price": 78_000, "vat_rate": 10}
SAMPLE_TOTAL = 1_716_000


def sample_invoice_number() -> str:
    """A random invoice number of up to seven digits, so that two new samples do not conflict."""
    return str(uuid.uuid4().int % 10**7)


def sample_invoice_xml(
    series: str,
    buyer_tax_id: str,
    *,
    seller_tax_id: str = SAMPLE_SELLER_TAX_ID,
    number: str | None = None,
    buyer_name: str = "Sao Việt",
) -> bytes:
    """The sample invoice bought by ``buyer_tax_id``, numbered uniquely unless ``number`` is given."""
    return build_einvoice_xml(
        series=series,
        number=number or sample_invoice_number(),
        issue_date=SAMPLE_ISSUE_DATE,
        seller={"name": SAMPLE_SELLER_NAME, "tax_id": seller_tax_id, "address": SAMPLE_SELLER_ADDRESS},
        buyer={"name": buyer_name, "tax_id": buyer_tax_id},
        lines=[SAMPLE_LINE],
    )
