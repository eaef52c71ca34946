"""import_invoice_xml with ``preview``: what would be imported, read locally, with nothing uploaded."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import body_of, invoice_xml

pytestmark = pytest.mark.anyio

ROUTE = "invoices.import_xml"
OTHER_SELLER = "0305556667"  # invoice_xml's default seller: not one of the demo entities


def _number() -> str:
    return str(uuid.uuid4().int % 10**7)


async def preview(client, sandbox, entity_id: str, arguments: dict) -> dict:
    """The preview's body; it must not have uploaded anything."""
    before = sandbox.counts[ROUTE]
    body = body_of(
        await client.call_tool("import_invoice_xml", {"entity_id": entity_id, "preview": True, **arguments})
    )
    assert sandbox.counts[ROUTE] == before, "a preview uploaded the XML"
    return body


async def _ok(client, sandbox, entity_id: str, xml: bytes) -> dict:
    body = await preview(client, sandbox, entity_id, {"xml_content": xml.decode("utf-8")})
    assert body["success"] is True, body
    assert body["data"]["preview"] is True
    return body


async def test_preview_of_a_purchase(connect, sandbox, world, era):
    number = _number()
    async with connect(era) as client:
        await client.call_tool("login", {})
        body = await _ok(client, sandbox, world.big, invoice_xml("C26TPV", world.big_tax_id, number=number))
    data = body["data"]
    assert data["direction"] == "purchase" and data["exists"] is False
    assert (data["invoice_series"], data["invoice_number"]) == ("C26TPV", number)
    assert data["issue_date"] == "2026-05-20"
    assert data["seller"] == {
        "name": "Công ty TNHH Giấy Sài Gòn",
        "tax_id": OTHER_SELLER,
        "address": "Quận 7, TP. Hồ Chí Minh",
    }
    assert data["buyer"]["tax_id"] == world.big_tax_id
    assert (data["total_amount_before_tax"], data["total_tax_amount"], data["total_amount"]) == (
        1_560_000,
        156_000,
        1_716_000,
    )
    assert data["currency"] == "VND" and data["line_count"] == 1
    assert "can be imported as a purchase invoice" in body["message"]
    assert "Nothing was uploaded" in body["message"]


async def test_preview_of_a_sales_invoice_from_a_file(connect, sandbox, world, tmp_path, era):
    path = tmp_path / "sale.xml"
    path.write_bytes(invoice_xml("C26TPS", "0401234567", seller_tax_id=world.big_tax_id, number=_number()))
    async with connect(era) as client:
        await client.call_tool("login", {})
        body = await preview(client, sandbox, world.big, {"file_path": str(path)})
    assert body["success"] is True, body
    assert body["data"]["direction"] == "sales" and body["data"]["seller"]["tax_id"] == world.big_tax_id


async def test_preview_of_an_invoice_bought_by_a_branch(connect, sandbox, world):
    branch = f"{world.big_tax_id}-002"
    async with connect() as client:
        await client.call_tool("login", {})
        body = await _ok(client, sandbox, world.big, invoice_xml("C26TPB", branch, number=_number()))
        assert body["data"]["direction"] == "purchase" and body["data"]["buyer"]["tax_id"] == branch
        # a longer tax id that merely starts with the entity's is someone else
        other = await _ok(client, sandbox, world.big, invoice_xml("C26TPB", f"{world.big_tax_id}12"))
        assert other["data"]["direction"] is None


async def test_preview_of_an_imported_invoice_says_it_exists(connect, sandbox, world, era):
    number = _number()
    xml = invoice_xml("C26TPE", world.big_tax_id, number=number)
    async with connect(era) as client:
        await client.call_tool("login", {})
        assert (await _ok(client, sandbox, world.big, xml))["data"]["exists"] is False
        created = body_of(
            await client.call_tool(
                "import_invoice_xml", {"entity_id": world.big, "xml_content": xml.decode()}
            )
        )
        assert created["success"] is True, created
        body = await _ok(client, sandbox, world.big, xml)
        assert body["data"]["exists"] is True
        assert body["data"]["existing_invoice_id"] == created["data"]["id"]
        assert "already imported" in body["message"]
        # leading zeros do not make another invoice, as in the backend's duplicate check
        padded = invoice_xml("C26TPE", world.big_tax_id, number=f"00{number}")
        assert (await _ok(client, sandbox, world.big, padded))["data"]["exists"] is True
        # the same series and number from another seller is another invoice
        other = invoice_xml("C26TPE", world.big_tax_id, seller_tax_id="0305556668", number=number)
        assert (await _ok(client, sandbox, world.big, other))["data"]["exists"] is False


async def test_preview_of_a_seeded_invoice_says_it_exists(connect, sandbox, world):
    seeded = next(inv for inv in world.invoices if inv["direction"] == 0)
    xml = invoice_xml(
        seeded["invoice_series"],
        world.big_tax_id,
        seller_tax_id=seeded["seller_tax_id"],
        number=seeded["invoice_number"],
    )
    async with connect() as client:
        await client.call_tool("login", {})
        body = await _ok(client, sandbox, world.big, xml)
    assert body["data"]["exists"] is True and body["data"]["existing_invoice_id"] == seeded["id"]


async def test_preview_of_a_foreign_invoice_says_so_and_the_import_is_refused(connect, sandbox, world, era):
    xml = invoice_xml("C26TPF", "0401234567", number=_number())
    async with connect(era) as client:
        await client.call_tool("login", {})
        body = await _ok(client, sandbox, world.big, xml)
        assert body["data"]["direction"] is None
        assert "names neither seller" in body["message"] and world.big_tax_id in body["message"]
        refused = body_of(
            await client.call_tool(
                "import_invoice_xml", {"entity_id": world.big, "xml_content": xml.decode()}
            )
        )
    assert refused["success"] is False and refused["code"] == "validation_failed", refused
    assert "neither the seller" in refused["api_detail"]


async def test_preview_of_unusable_xml_is_invalid_xml(connect, sandbox, world):
    incomplete = (
        invoice_xml("C26TPX", world.big_tax_id)
        .replace(b"<SHDon>", b"<SHDonX>")
        .replace(b"</SHDon>", b"</SHDonX>")
    )
    async with connect() as client:
        await client.call_tool("login", {})
        for xml in ("<HDon><DLHDon></HDon>", incomplete.decode()):
            body = await preview(client, sandbox, world.big, {"xml_content": xml})
            assert body["success"] is False and body["code"] == "invalid_xml", body
            assert "Nothing was uploaded" in body["error"]
        assert "SHDon is missing" in body["error"]


async def test_preview_needs_a_login_and_a_known_entity(connect, sandbox, world):
    xml = invoice_xml("C26TPL", world.big_tax_id).decode()
    async with connect(phone=None, password=None) as client:
        body = await preview(client, sandbox, world.big, {"xml_content": xml})
        assert body["code"] == "not_authenticated", body
    async with connect() as client:
        await client.call_tool("login", {})
        unknown = "00000000-0000-4000-8000-000000000000"
        body = await preview(client, sandbox, unknown, {"xml_content": xml})
        assert body["success"] is False and body["code"] in ("not_found", "forbidden"), body
