"""One unit for every VAT rate the server shows: percent (8 for 8 %), on products as on invoice lines,
named in the output schemas, whatever form the API sends a product's rate in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import body_of

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = json.loads((ROOT / "tests/snapshots/tools-list.json").read_text(encoding="utf-8"))


def _rate_words(tool: str, path: str) -> str:
    """The words of ``vat_rate`` in a tool's output schema, down the JSON Schema keys of ``path``."""
    schema = next(t for t in SNAPSHOT if t["name"] == tool)["outputSchema"]
    for key in path.split("/"):
        schema = schema[key]
    return schema["properties"]["vat_rate"]["description"]


def test_the_output_schemas_name_the_unit():
    for tool in ("list_products", "search_similar_products"):
        assert "percent" in _rate_words(tool, "properties/data/properties/items/items")
    assert "percent" in _rate_words("get_invoice", "properties/data/properties/line_items/items")


async def test_products_and_invoice_lines_show_rates_in_one_unit(connect, sandbox, world, era):
    products = sandbox.state.products[world.big]
    assert {p["vat_rate"] for p in products} <= {0, 0.05, 0.08, 0.1}  # the API's fractions
    invoice = next(i for i in world.invoices if i["line_items"])
    async with connect(era) as client:
        listed = body_of(await client.call_tool("list_products", {"entity_id": world.big, "page_size": 100}))
        similar = body_of(
            await client.call_tool(
                "search_similar_products", {"entity_id": world.big, "query": products[0]["name"], "top_k": 3}
            )
        )
        lines = body_of(
            await client.call_tool("get_invoice", {"entity_id": world.big, "invoice_id": invoice["id"]})
        )
    by_id = {p["id"]: p for p in products}
    shown = {item["id"]: item["vat_rate"] for item in listed["data"]["items"]}
    assert shown and all(rate == round(by_id[pid]["vat_rate"] * 100) for pid, rate in shown.items())
    assert all(type(rate) is int for rate in shown.values())  # 7, never 7.000000000000001
    assert {item["vat_rate"] for item in similar["data"]["items"]} <= {0, 5, 8, 10}
    assert [line["vat_rate"] for line in lines["data"]["line_items"]] == [
        line["vat_rate"] for line in invoice["line_items"]
    ]
    assert set(shown.values()) | {line["vat_rate"] for line in lines["data"]["line_items"]} <= {0, 5, 8, 10}
    assert "message" not in listed and "message" not in lines  # nothing to say when the API is as assumed


async def test_a_product_rate_not_sent_as_a_fraction_is_null_and_said(connect, sandbox, world, era):
    product = sandbox.state.products[world.big][0]
    product["vat_rate"] = 8  # in percent, not the fraction the server reads
    async with connect(era) as client:
        listed = body_of(await client.call_tool("list_products", {"entity_id": world.big, "page_size": 100}))
    row = next(item for item in listed["data"]["items"] if item["id"] == product["id"])
    assert row["vat_rate"] is None
    assert listed["message"].startswith(
        "1 product(s) carry a vat_rate that is not a fraction between 0 and 1"
    )
    assert "in percent (8 for 8 %)" in listed["message"]


async def test_invoice_lines_sent_as_fractions_are_shown_in_percent_and_said(connect, sandbox, world, era):
    invoice = next(i for i in world.invoices if len(i["line_items"]) >= 2)
    invoice["line_items"][0]["vat_rate"] = 0.07
    invoice["line_items"][1]["vat_rate"] = 0.05
    async with connect(era) as client:
        body = body_of(
            await client.call_tool("get_invoice", {"entity_id": world.big, "invoice_id": invoice["id"]})
        )
    assert [line["vat_rate"] for line in body["data"]["line_items"][:2]] == [7, 5]
    assert body["message"].startswith("2 line(s) carried vat_rate as a fraction (such as 0.08)")
