"""The national e-invoice XML: writing, reading, and refusing what is unsafe or inconsistent.

A refusal is a code with facts; each test checks the code, and the words the
server's messages make of it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest

from finizi_b4b.einvoice_xml import (
    InvoiceXMLError,
    XmlProblem,
    build_einvoice_xml,
    check_well_formed,
    document_as_utf8,
    parse_einvoice,
    text_as_utf8,
)
from finizi_b4b.tools.messages import xml_problem


@contextlib.contextmanager
def refused(problem: XmlProblem, words: str) -> Iterator[None]:
    """The block raises an InvoiceXMLError with ``problem``, which the messages word to match ``words``."""
    with pytest.raises(InvoiceXMLError) as caught:
        yield
    assert caught.value.problem is problem, caught.value
    said = xml_problem(caught.value)
    assert re.search(words, said), said


SELLER = {
    "name": "Công ty TNHH Cà Phê Cao Nguyên",
    "tax_id": "6001234567",
    "address": "Buôn Ma Thuột, Đắk Lắk",
}
BUYER = {"name": "Công ty TNHH Thương mại Dịch vụ Sao Việt", "tax_id": "0316247298-001"}
LINES = [
    {
        "name": "Cà phê Robusta rang xay 500g",
        "unit": "gói",
        "quantity": 40,
        "unit_price": 95_000,
        "vat_rate": 8,
    },
    {"name": "Phí vận chuyển", "unit": "chuyến", "quantity": 1, "unit_price": 250_000, "vat_rate": 10},
]


def sample() -> bytes:
    return build_einvoice_xml(
        series="C26TDM",
        number="123",
        issue_date=dt.date(2026, 3, 15),
        seller=SELLER,
        buyer=BUYER,
        lines=LINES,
    )


def test_round_trip_keeps_every_part_and_the_vietnamese_text():
    parsed = parse_einvoice(sample())
    assert (parsed.series, parsed.number, parsed.issue_date, parsed.currency) == (
        "C26TDM",
        "123",
        dt.date(2026, 3, 15),
        "VND",
    )
    assert parsed.seller.name == SELLER["name"] and parsed.buyer.tax_id == "0316247298-001"
    assert [line.name for line in parsed.lines] == [line["name"] for line in LINES]
    assert [line.vat_rate for line in parsed.lines] == [8, 10]
    assert parsed.total_before_tax == Decimal(3_800_000 + 250_000)
    assert parsed.total_tax == Decimal(304_000 + 25_000)
    assert parsed.total == parsed.total_before_tax + parsed.total_tax


@pytest.mark.parametrize(
    ("raw", "rate"), [(b"<TSuat>KCT</TSuat>", 0), (b"<TSuat>8%</TSuat>", 8), (b"<TSuat>5</TSuat>", 5)]
)
def test_vat_rates_as_written_on_invoices(raw, rate):
    xml = sample().replace(b"<TSuat>10%</TSuat>", raw)
    assert parse_einvoice(xml).lines[1].vat_rate == rate


def test_a_rate_not_in_use_is_refused():
    with refused(XmlProblem.NOT_A_VAT_RATE, r"HHDVu\[2\]/TSuat '7%' is not a VAT rate in use"):
        parse_einvoice(sample().replace(b"<TSuat>10%</TSuat>", b"<TSuat>7%</TSuat>"))


def test_namespaced_documents_are_read():
    xml = sample().replace(b"<HDon>", b'<HDon xmlns="http://example.gov.vn/hoadon">')
    assert parse_einvoice(xml).number == "123"


@pytest.mark.parametrize(
    ("change", "problem", "message"),
    [
        (lambda x: x.replace(b"<MST>6001234567</MST>", b""), XmlProblem.MISSING, "NBan/MST is missing"),
        (
            lambda x: x.replace(b"<NLap>2026-03-15</NLap>", b"<NLap>15/03/2026</NLap>"),
            XmlProblem.BAD_DATE,
            "NLap '15/03/2026' is not a date",
        ),
        (
            lambda x: x.replace(b"<ThTien>3800000</ThTien>", b"<ThTien>3800</ThTien>"),
            XmlProblem.LINE_MISMATCH,
            "ThTien is 3800 but SLuong x DGia",
        ),
        (
            lambda x: x.replace(b"<HDon>", b"<Invoice>").replace(b"</HDon>", b"</Invoice>"),
            XmlProblem.WRONG_ROOT,
            "root element is <Invoice>",
        ),
    ],
)
def test_incomplete_or_inconsistent_invoices_name_the_element(change, problem, message):
    with refused(problem, message):
        parse_einvoice(change(sample()))


@pytest.mark.parametrize(
    "unsafe",
    [
        b'<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>',
        b'<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>',
        b'<!DOCTYPE a SYSTEM "http://example.com/a.dtd"><a/>',
    ],
)
def test_document_type_declarations_are_refused(unsafe):
    for check in (check_well_formed, parse_einvoice):
        with refused(XmlProblem.DOCTYPE, "DOCTYPE"):
            check(unsafe)


def test_not_well_formed_says_where():
    with refused(XmlProblem.NOT_WELL_FORMED, r"not well-formed XML \(mismatched tag at line 1, column 17\)"):
        check_well_formed(b"<HDon><DLHDon></HDon>")
    check_well_formed(sample())


# -- encodings ----------------------------------------------------------------------

DECLARED = '<?xml version="1.0" encoding="{}"?><HDon>Cà phê Đắk Lắk</HDon>'


@pytest.mark.parametrize("name", ["UTF-16", "windows-1258", "ISO-8859-1", "utf-8", "bogus"])
def test_text_gets_a_utf8_declaration_whatever_it_named(name):
    content = text_as_utf8(DECLARED.format(name))
    assert content == DECLARED.format("UTF-8").encode("utf-8")
    check_well_formed(content)


def test_text_without_a_declaration_or_with_a_bom_is_plain_utf8():
    assert text_as_utf8("<HDon>Đà Nẵng</HDon>") == "<HDon>Đà Nẵng</HDon>".encode()
    with_bom = text_as_utf8("\ufeff<?xml version='1.0' encoding='utf-16'?><a/>")
    assert with_bom == b"<?xml version='1.0' encoding=\"UTF-8\"?><a/>"
    with refused(XmlProblem.UNPAIRED_SURROGATE, r"unpaired surrogate \(U\+D800\) at character 6"):
        text_as_utf8("<HDon>\ud800</HDon>")


def test_utf8_documents_are_left_as_they_are():
    for content in (sample(), b"<a/>", "\ufeff<a>ế</a>".encode("utf-8")):
        assert document_as_utf8(content) is content


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "iso-8859-1"])
def test_documents_in_other_encodings_become_utf8(codec):
    text = '<?xml version="1.0" encoding="{}"?><a>Cà phê</a>'
    content = document_as_utf8(text.format(codec.upper()).encode(codec))
    assert content == text.format("UTF-8").encode("utf-8")


def test_windows_1258_documents_are_decoded_and_tone_marks_joined():
    raw = b'<?xml version="1.0" encoding="windows-1258"?><a>\xd0\xe3\xeck L\xe3\xeck</a>'  # tones apart
    assert document_as_utf8(raw) == '<?xml version="1.0" encoding="UTF-8"?><a>Đắk Lắk</a>'.encode()


UNSUPPORTED, MISMATCH = XmlProblem.UNSUPPORTED_ENCODING, XmlProblem.ENCODING_MISMATCH


@pytest.mark.parametrize(
    ("content", "problem", "message"),
    [
        (b'<?xml version="1.0" encoding="rot13"?><a/>', UNSUPPORTED, "'rot13' is not supported"),
        (b'<?xml version="1.0" encoding="no-such"?><a/>', UNSUPPORTED, "'no-such' is not supported"),
        (b'<?xml version="1.0" encoding="UTF-7"?><a/>', UNSUPPORTED, "'UTF-7' is not supported"),
        (b'<?xml version="1.0" encoding="UTF-16"?><a/>', MISMATCH, "names 'UTF-16' but the file is not"),
        (b'<?xml version="1.0" encoding="cp500"?><a/>', MISMATCH, "names 'cp500' but the file is not"),
        (
            b'<?xml version="1.0" encoding="shift_jis"?><a>\x81</a>',
            XmlProblem.UNDECODABLE,
            r"not valid shift_jis \(byte 45\)",
        ),
    ],
)
def test_documents_in_unusable_encodings_are_refused(content, problem, message):
    with refused(problem, message):
        document_as_utf8(content)


def test_a_declared_encoding_costs_time_linear_in_the_size():
    # a declaration that never closes is read only from the first 512 bytes
    document_as_utf8(b"<?xml version='1.0' encoding='" + b"a" * 5_000_000)
    assert text_as_utf8("<?xml " + " " * 5_000_000).startswith(b"<?xml ")
