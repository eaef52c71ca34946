"""One bad file, one bad amount: each stays its own outcome, and every figure stays within bounds.

A quantity of ``1E+500000`` in one file, numbers of a megabyte, a path no
system can expand, an XML that is not an e-invoice given to a real import, and
amounts the API sends out of any sane range: each is that file's (or that
call's) clear outcome, never an ``internal_error``, a crash, or a result of
megabytes.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.conftest import body_of, invoice_xml

pytestmark = pytest.mark.anyio

LIST_PATH = "/api/v1/entities/{}/invoices"


def series() -> str:
    return "C26E" + uuid.uuid4().hex[:8].upper()


def with_quantity(xml: bytes, quantity: str) -> bytes:
    """The sample invoice with its one line's quantity replaced (as written, unchecked)."""
    start = xml.index(b"<SLuong>") + len(b"<SLuong>")
    end = xml.index(b"</SLuong>")
    return xml[:start] + quantity.encode() + xml[end:]


def with_line_amount(xml: bytes, amount: str) -> bytes:
    start = xml.index(b"<ThTien>") + len(b"<ThTien>")
    end = xml.index(b"</ThTien>")
    return xml[:start] + amount.encode() + xml[end:]


def with_total(xml: bytes, total: str) -> bytes:
    start = xml.index(b"<TgTTTBSo>") + len(b"<TgTTTBSo>")
    end = xml.index(b"</TgTTTBSo>")
    return xml[:start] + total.encode() + xml[end:]


async def test_an_overflowing_quantity_is_that_files_outcome_in_a_preview(connect, world, tmp_path, era):
    s = series()
    paths = []
    for number in range(1, 5):
        xml = invoice_xml(s, world.big_tax_id, number=str(number))
        if number == 2:
            xml = with_quantity(xml, "1E+500000")
        path = tmp_path / f"{number}.xml"
        path.write_bytes(xml)
        paths.append(str(path))
    async with connect(era) as client:
        result = await client.call_tool(
            "import_invoice_xml", {"entity_id": world.big, "file_paths": paths, "preview": True}
        )
    body = body_of(result)
    assert not result.is_error, body
    outcomes = [f["outcome"] for f in body["data"]["files"]]
    assert outcomes == ["new", "invalid", "new", "new"]
    reason = body["data"]["files"][1]["reason"]
    assert "SLuong is out of range" in reason and len(reason) < 300


async def test_a_hundred_huge_mismatched_files_make_a_small_result(connect, world, tmp_path):
    s = series()
    huge = "9" * 900_000  # a 0.9 MB number where the line's amount goes
    paths = []
    for number in range(1, 101):
        path = tmp_path / f"{number:03d}.xml"
        path.write_bytes(with_line_amount(invoice_xml(s, world.big_tax_id, number=str(number)), huge))
        paths.append(str(path))
    async with connect() as client:
        result = await client.call_tool(
            "import_invoice_xml", {"entity_id": world.big, "file_paths": paths, "preview": True}
        )
    body = body_of(result)
    assert body["data"]["counts"]["invalid"] == 100
    assert len(result.content[0].text.encode()) < 64 * 1024
    assert all(len(f["reason"]) <= 240 for f in body["data"]["files"])


async def test_a_path_no_system_can_expand_is_a_bad_path(connect, sandbox, world):
    async with connect() as client:
        sandbox.clear_seen()
        batch = await client.call_tool(
            "import_invoice_xml", {"entity_id": world.big, "file_paths": ["~nosuchuser-b4b/x.xml"]}
        )
        single = await client.call_tool(
            "import_invoice_xml", {"entity_id": world.big, "file_path": "~nosuchuser-b4b/x.xml"}
        )
    for result in (batch, single):
        body = body_of(result)
        assert result.is_error and body["code"] == "invalid_arguments", body
        assert "absolute path" in body["error"]
    assert not [s for s in sandbox.seen if s.path.endswith("/invoices/xml")]


async def test_a_real_import_sends_only_e_invoices(connect, sandbox, world, tmp_path):
    settings = tmp_path / "settings.xml"
    settings.write_text("<settings><password>hunter2</password></settings>", encoding="utf-8")
    async with connect() as client:
        before = sandbox.counts["invoices.import_xml"]
        result = await client.call_tool(
            "import_invoice_xml", {"entity_id": world.big, "file_path": str(settings)}
        )
        text = await client.call_tool(
            "import_invoice_xml",
            {"entity_id": world.big, "xml_content": "<?xml version='1.0'?><Note>hello</Note>"},
        )
    for outcome in (result, text):
        body = body_of(outcome)
        assert outcome.is_error and body["code"] == "invalid_xml", body
        assert "not <HDon>" in body["error"] and "Nothing was uploaded" in body["error"]
    assert sandbox.counts["invoices.import_xml"] == before


async def test_an_xml_total_out_of_range_is_invalid_xml_in_a_preview(connect, world):
    xml = with_total(invoice_xml(series(), world.big_tax_id), "1E+5000").decode()
    async with connect() as client:
        result = await client.call_tool(
            "import_invoice_xml", {"entity_id": world.big, "xml_content": xml, "preview": True}
        )
    body = body_of(result)
    assert result.is_error and body["code"] == "invalid_xml", body
    assert "TgTTTBSo is out of range" in body["error"]


@pytest.mark.parametrize("amount", ["1e4300", "1e-999999", "9e999999", 10**25])
async def test_an_api_amount_out_of_range_is_a_bad_response(connect, sandbox, world, amount):
    item = {
        "id": str(uuid.uuid4()),
        "issue_date": "2026-01-05",
        "direction": 0,
        "status": "issued",
        "currency": "VND",
        "total_amount_before_tax": 100,
        "total_tax_amount": 10,
        "total_amount": amount,
    }
    body = json.dumps({"items": [item], "total": 1, "page": 1, "pages": 1, "has_next": False})
    async with connect() as client:
        sandbox.inject_fault(200, body=body, path=LIST_PATH.format(world.big), method="GET")
        result = await client.call_tool("summarize_invoices", {"entity_id": world.big, "group_by": ["month"]})
    answer = body_of(result)
    assert result.is_error and answer["code"] == "bad_response", answer
    assert "out of range" in answer["error"]
    assert len(result.content[0].text) < 1000
