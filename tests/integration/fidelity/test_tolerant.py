"""The tolerant reader: each documented alternative answer shape, through each tool it reaches.

A sandbox serving the alternative shapes (``alt_shapes=True``) answers the
entity list as ``{"items": [...]}``, the vendor search in the older
``{"vendor": {...}}`` form (and a miss as ``data: null`` or ``vendor: null``),
semantic-search matches whose ``data`` has no ``id`` (only ``entity_id``), and
plain-string errors as ``{"message": ...}`` or ``{"error": ...}``.
"""

from __future__ import annotations

import pytest
from mcp import Client

from finizi_b4b.server import build_server
from tests.conftest import body_of, settings_for

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def alt():
    from finizi_b4b.sandbox import Sandbox

    with Sandbox.in_thread(seed=0, alt_shapes=True) as box:
        yield box


@pytest.fixture
def big(alt):
    return next(iter(alt.state.entities.values()))


async def call(box, tool: str, arguments: dict, *, era: str = "legacy") -> dict:
    async with Client(build_server(settings_for(box)), mode=era) as client:
        login = await client.call_tool("login", {})
        assert not login.is_error, body_of(login)
        return body_of(await client.call_tool(tool, arguments))


async def test_entities_as_an_items_object(alt, era):
    body = await call(alt, "list_entities", {}, era=era)
    assert body["success"] and len(body["data"]["items"]) == body["data"]["total"] >= 3


async def test_vendor_by_tax_id_in_the_older_shape(alt, big, era):
    vendor = alt.state.vendors[big["id"]][5]
    body = await call(alt, "get_vendor", {"entity_id": big["id"], "tax_id": vendor["tax_id"]}, era=era)
    assert body["success"], body
    assert body["data"]["id"] == vendor["id"] and body["data"]["tax_id"] == vendor["tax_id"]


@pytest.mark.parametrize("last_digit", ["2", "3"], ids=["vendor-null", "data-null"])
async def test_a_vendor_search_miss_in_either_null_shape_is_not_found(alt, big, last_digit):
    body = await call(alt, "get_vendor", {"entity_id": big["id"], "tax_id": "099999999" + last_digit})
    assert body["code"] == "not_found", body
    assert "not found" in body["error"]


async def test_semantic_search_reads_the_product_id_from_entity_id(alt, big, era):
    product = alt.state.products[big["id"]][4]
    arguments = {"entity_id": big["id"], "query": product["name"], "top_k": 3}
    body = await call(alt, "search_similar_products", arguments, era=era)
    assert body["success"], body
    top = body["data"]["items"][0]
    assert top["id"] == product["id"] and top["name"] == product["name"]


async def test_error_bodies_in_message_or_error_form_reach_the_user(alt, big):
    # A duplicate tax id: a plain-string 409 detail, served as {"message"} or {"error"}.
    other = list(alt.state.entities.values())[1]
    body = await call(alt, "update_entity", {"entity_id": big["id"], "tax_id": other["tax_id"]})
    assert body["code"] == "conflict", body
    assert "The API's own words are in api_detail." in body["error"]
    assert body["api_detail"]  # the plain-string detail, read from either form


async def test_products_carry_the_product_base_fields(sandbox, world):
    body = await call(sandbox, "list_products", {"entity_id": world.big, "page_size": 5})
    for item in body["data"]["items"]:
        assert {"id", "code", "name", "unit_of_measurement", "default_sell_price"} <= set(item), item
        assert item["vat_rate"] in (0, 5, 8, 10)  # the API's fraction, shown in percent as lines are
    similar = await call(sandbox, "search_similar_products", {"entity_id": world.big, "query": "giấy"})
    assert all("code" in item for item in similar["data"]["items"])


async def test_list_invoices_passes_on_the_sums_over_all_matching_invoices(sandbox, world):
    invoices = [i for i in world.invoices if i["direction"] == 0]
    body = await call(
        sandbox, "list_invoices", {"entity_id": world.big, "direction": "purchase", "page_size": 1}
    )
    data = body["data"]
    assert len(data["items"]) == 1 and data["total"] == len(invoices)
    assert data["total_amount"] == sum(i["total_amount"] for i in invoices)
    assert data["aggregations"]["count"] == len(invoices)


async def test_unknown_fields_pass_through(sandbox, world):
    invoice = world.invoices[0]
    body = await call(sandbox, "get_invoice", {"entity_id": world.big, "invoice_id": invoice["id"]})
    known = {"id", "invoice_series", "invoice_number", "line_items", "direction", "status"}
    extra = set(invoice) - known
    assert extra and extra <= set(body["data"]), extra - set(body["data"])
