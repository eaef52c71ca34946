"""Text from strangers, end to end: every corpus string planted in every third-party field there is.

tests/data/injection-corpus.json holds hostile and ordinary text (invisible and
bidi characters, ANSI escapes, control characters, role markers, chat-template
tokens, instruction sentences in Vietnamese and English) with the cleaned text
and the flag expected of each. Each string is planted as an invoice's seller
name, notes and first line, as a vendor's and a product's name, as an imported
invoice's seller, as a file name in a folder, and as an API error detail; each
tool that shows it must show it cleaned, flag it where it should (a
``warnings`` entry naming the record and field, the text kept as data), and
quote an API detail apart from the server's own words.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path

import pytest
from mcp import Client

from finizi_b4b.api.untrusted import clean, quote
from finizi_b4b.devtools.samples import sample_invoice_xml
from finizi_b4b.einvoice_xml import build_einvoice_xml
from finizi_b4b.sandbox import Sandbox
from finizi_b4b.server import build_server
from tests.conftest import body_of, settings_for

pytestmark = pytest.mark.anyio

CORPUS = json.loads(
    (Path(__file__).parents[2] / "data" / "injection-corpus.json").read_text(encoding="utf-8")
)
# What the corpus holds that no seller name can be: empty once cleaned (nothing left to name).
NAMED = [row for row in CORPUS if row["clean"].strip()]


@pytest.fixture(scope="module")
def planted():
    """A sandbox of its own whose first entity carries a corpus string in every third-party field."""
    with Sandbox.in_thread(seed=11) as box:
        entity_id = next(iter(box.state.entities))
        purchases = [inv for inv in box.state.invoices[entity_id] if inv["direction"] == 0]
        vendors, products = box.state.vendors[entity_id], box.state.products[entity_id]
        assert min(len(purchases), len(products)) >= len(NAMED) and len(vendors) >= 50
        for index, (row, invoice, product) in enumerate(zip(NAMED, purchases, products, strict=False)):
            invoice["seller_name"] = row["text"]
            invoice["notes"] = row["text"]
            invoice["line_items"][0]["description"] = row["text"]
            product["name"] = row["text"]
            if index < len(vendors):
                vendors[index]["name"] = row["text"]
        yield box, entity_id, purchases[: len(NAMED)]


def client_of(box, **changes) -> Client:
    return Client(build_server(settings_for(box, **changes)), mode="legacy")


def warned(body: dict) -> set[tuple[str, str]]:
    return {(w["record"], w["field"].rsplit(".", 1)[-1]) for w in body.get("warnings", [])}


def flags_match(body: dict, should: set[tuple[str, str]]) -> None:
    """The warnings name exactly the fields that should be flagged: at most 20 of them, the rest counted."""
    assert warned(body) <= should, warned(body) - should
    assert len(body.get("warnings", [])) == min(20, len(should))
    assert len(body.get("warnings", [])) + body.get("warnings_more", 0) == len(should)


def no_hidden_characters(text: str) -> bool:
    return clean(text) == text


async def test_invoice_fields_arrive_cleaned_and_flagged_in_list_and_detail(planted):
    box, entity_id, invoices = planted
    async with client_of(box) as client:
        listed = body_of(
            await client.call_tool(
                "list_invoices",
                {
                    "entity_id": entity_id,
                    "direction": "purchase",
                    "page_size": 200,
                    "fields": ["seller_name"],
                },
            )
        )
        by_id = {item["id"]: item for item in listed["data"]["items"]}
        should = set()
        for row, invoice in zip(NAMED, invoices, strict=False):
            assert by_id[invoice["id"]]["seller_name"] == row["clean"], (row["note"], by_id[invoice["id"]])
            if row["flag"]:
                should.add((invoice["id"], "seller_name"))
        flags_match(listed, should)
        for row, invoice in zip(NAMED, invoices, strict=False):
            body = body_of(
                await client.call_tool("get_invoice", {"entity_id": entity_id, "invoice_id": invoice["id"]})
            )
            data = body["data"]
            assert (
                data["seller_name"] == data["notes"] == data["line_items"][0]["description"] == row["clean"]
            )
            fields = {field for record, field in warned(body) if record == invoice["id"]}
            assert fields == ({"seller_name", "notes", "description"} if row["flag"] else set()), row["note"]
            assert all(w["reads_like"] == row["flag"] for w in body.get("warnings", []))


async def test_vendor_and_product_names_arrive_cleaned_and_flagged(planted):
    box, entity_id, _ = planted
    vendors = {v["id"]: v for v in box.state.vendors[entity_id]}
    products = {p["id"]: p for p in box.state.products[entity_id]}
    expected = {row["text"]: row for row in NAMED}
    async with client_of(box) as client:
        for tool, records in (("list_vendors", vendors), ("list_products", products)):
            body = body_of(await client.call_tool(tool, {"entity_id": entity_id, "page_size": 200}))
            should = set()
            for item in body["data"]["items"]:
                row = expected.get(records[item["id"]]["name"])
                if row is None:
                    assert no_hidden_characters(item["name"])  # not planted
                    continue
                assert item["name"] == row["clean"], row["note"]
                if row["flag"]:
                    should.add((item["id"], "name"))
            flags_match(body, should)
        similar = body_of(
            await client.call_tool(
                "search_similar_products",
                {
                    "entity_id": entity_id,
                    "query": "instructions assistant hướng dẫn",
                    "top_k": 50,
                    "min_similarity": 0,
                },
            )
        )
    assert similar["data"]["items"], "the search found planted products"
    should = set()
    for item in similar["data"]["items"]:
        assert no_hidden_characters(item["name"])
        row = expected.get(products[item["id"]]["name"])
        if row is not None:
            assert item["name"] == row["clean"]
            if row["flag"]:
                should.add((item["id"], "name"))
    flags_match(similar, should)


async def test_a_summary_shows_the_cleaned_names_and_flags_them(planted):
    box, entity_id, invoices = planted
    async with client_of(box) as client:
        body = body_of(
            await client.call_tool(
                "summarize_invoices",
                {
                    "entity_id": entity_id,
                    "direction": "purchase",
                    "group_by": ["vendor"],
                    "top": 50,
                    "status": "issued",
                },
            )
        )
    for row in body["data"]["groups"]:
        if row.get("name"):
            assert no_hidden_characters(row["name"])
    flagged_names = {w["field"] for w in body.get("warnings", [])}
    planted_flagged = [
        r for r, inv in zip(NAMED, invoices, strict=False) if r["flag"] and inv["status"] == "issued"
    ]
    if planted_flagged:
        assert flagged_names, "a planted instruction among the vendors' names is flagged"


# XML 1.0 cannot carry C0 controls but tab and newline: those strings reach the other fields only.
IN_XML = [r for r in NAMED if all(c in "\t\n" or ord(c) >= 0x20 for c in r["text"])]


@pytest.mark.parametrize("row", IN_XML[:30])
async def test_an_imported_invoices_seller_is_cleaned_and_flagged_in_a_preview(planted, row):
    box, entity_id, _ = planted
    entity = box.state.entities[entity_id]
    xml = build_einvoice_xml(
        series="C26J" + uuid.uuid4().hex[:6].upper(),
        number="1",
        issue_date=dt.date(2026, 5, 1),
        seller={"name": row["text"], "tax_id": "0305556667", "address": row["text"]},
        buyer={"name": entity["name"], "tax_id": entity["tax_id"]},
        lines=[{"name": "Giấy in A4", "unit": "ram", "quantity": 1, "unit_price": 1000, "vat_rate": 10}],
    ).decode()
    async with client_of(box) as client:
        body = body_of(
            await client.call_tool(
                "import_invoice_xml", {"entity_id": entity_id, "xml_content": xml, "preview": True}
            )
        )
    assert body["data"]["seller"]["name"] == row["clean"].strip()
    assert no_hidden_characters(body["data"]["seller"]["name"])
    assert bool(body.get("warnings")) == (row["flag"] is not None), row["note"]


@pytest.mark.parametrize("row", CORPUS[::4])
async def test_an_api_error_detail_is_quoted_apart_cleaned(planted, row):
    box, entity_id, _ = planted
    detail = json.dumps({"detail": row["text"] or "x"})
    async with client_of(box) as client:
        await client.call_tool("whoami", {})
        box.inject_fault(422, body=detail, path=f"/api/v1/entities/{entity_id}/vendors", method="GET")
        result = await client.call_tool("list_vendors", {"entity_id": entity_id})
    body = body_of(result)
    assert body["code"] == "validation_failed"
    shown = quote(row["text"] or "x")
    assert body.get("api_detail") == shown
    if shown and len(shown) > 12:
        assert shown not in body["error"]  # never spliced into the server's own sentence


async def test_file_names_in_a_folder_reach_the_prompt_harmless(planted, tmp_path):
    box, entity_id, _ = planted
    disguised = "invoice\u202egpj.xml"  # a right-to-left override hides the real extension
    zero_width = "ho\u200ba don.xml"
    for name in (disguised, zero_width, "ordinary.xml"):
        (tmp_path / name).write_bytes(sample_invoice_xml("C26TAA", box.state.entities[entity_id]["tax_id"]))
    (tmp_path / os.fsdecode(b"H\xf3a \xf0\xf5n.xml")).write_bytes(b"<HDon/>")  # windows-1258 bytes
    async with client_of(box) as client:
        prompt = await client.get_prompt(
            "import_invoice_folder", {"company": entity_id, "folder": str(tmp_path)}
        )
    text = prompt.messages[0].content.text
    assert "\u202e" not in text and "\u200b" not in text
    assert "ordinary.xml" in text
    assert "not valid text" in text  # the windows-1258 name is left out and counted


# Names of the user's own companies (the entity tools) are the user's words, not a third party's.
_OWN_WORDS = frozenset({"login", "whoami", "list_entities", "get_entity", "create_entity", "update_entity"})


async def test_every_tool_that_shows_text_written_by_others_says_in_its_description_that_it_is_data(sandbox):
    """Read from what the tools return in the full scenario (every toolset), not from a list kept by hand:
    a tool whose result holds a free-text field (a name, an address, a description, a note) written by a
    third party must say in its description that such text is data written by others."""
    from finizi_b4b.config import TOOLSETS
    from finizi_b4b.devtools.scenarios import mcp_caller, play
    from finizi_b4b.schemas import load_definitions
    from finizi_b4b.third_party import _free_texts

    showing: set[str] = set()
    async with Client(build_server(settings_for(sandbox, toolsets=TOOLSETS)), mode="legacy") as client:
        inner = mcp_caller(client)

        async def call(tool, arguments):
            answer = await inner(tool, arguments)
            if not answer.is_error and any(text.strip() for text in _free_texts(answer.body)):
                showing.add(tool)
            return answer

        run = await play(call, "full", sandbox=sandbox)
    assert [o.summary for o in run.outcomes if not o.good] == []
    descriptions = {name: d["description"] for name, d in load_definitions().items()}
    assert {"list_invoices", "get_invoice", "list_vendors", "summarize_invoices"} <= showing
    silent = sorted(t for t in showing - _OWN_WORDS if "data written by" not in descriptions[t])
    assert silent == []
