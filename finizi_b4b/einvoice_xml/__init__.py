"""The Vietnamese national e-invoice XML format: safe parsing, reading and writing.

Both sides use this package: the server brings a document to UTF-8 and checks that
it is well-formed before uploading it, and the sandbox reads the invoice out of an
upload. One job a module:

- ``problems``: what can be wrong, as codes and facts (:class:`XmlProblem`); no words;
- ``safe``: parsing that refuses DTDs and entities; the well-formedness check;
- ``encoding``: any declared encoding to UTF-8;
- ``reading``: the invoice out of a document, every part checked;
- ``writing``: a complete, consistent invoice document.

The layout (root ``HDon``, data under ``DLHDon``)::

    TTChung      KHHDon (series), SHDon (number), NLap (issue date), DVTTe (currency)
    NDHDon/NBan  seller: Ten, MST, DChi
    NDHDon/NMua  buyer:  Ten, MST, DChi
    NDHDon/DSHHDVu/HHDVu   lines: THHDVu, DVTinh, SLuong, DGia, ThTien, TSuat
    NDHDon/TToan totals: TgTCThue (before tax), TgTThue (tax), TgTTTBSo (total)
"""

from __future__ import annotations

from finizi_b4b.einvoice_xml.encoding import document_as_utf8, text_as_utf8
from finizi_b4b.einvoice_xml.problems import InvoiceXMLError, XmlProblem
from finizi_b4b.einvoice_xml.reading import (
    VAT_RATES,
    InvoiceIdentity,
    ParsedInvoice,
    ParsedLine,
    Party,
    identify_einvoice,
    parse_einvoice,
)
from finizi_b4b.einvoice_xml.safe import check_well_formed, parse_xml_safely
from finizi_b4b.einvoice_xml.writing import build_einvoice_xml

__all__ = [
    "VAT_RATES",
    "InvoiceIdentity",
    "InvoiceXMLError",
    "ParsedInvoice",
    "ParsedLine",
    "Party",
    "XmlProblem",
    "build_einvoice_xml",
    "check_well_formed",
    "document_as_utf8",
    "identify_einvoice",
    "parse_einvoice",
    "parse_xml_safely",
    "text_as_utf8",
]
