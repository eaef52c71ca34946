"""Every tool against an API that sends only what the evidence ledger shows (the sandbox's minimal mode).

In minimal mode list pages carry no sums, invoice items no parties' tax ids,
names or currency, ``stats/summary`` ignores dates, the entity list gives tax
ids only when asked for detail, ``/users/me`` only the id, and an import answers
only its queued jobs. Each tool either works from what is left, with figures
checked against the sandbox's own records here, or says what the answer lacked
and what it did instead; none fills in a zero or another period's totals.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

import pytest
from mcp import Client

from finizi_b4b.sandbox import Sandbox
from finizi_b4b.server import build_server
from tests.conftest import body_of, invoice_xml, settings_for

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def minimal():
    with Sandbox.in_thread(seed=0, minimal=True) as box:
        yield box


@pytest.fixture
def big(minimal) -> str:
    return next(iter(minimal.state.entities))


async def call(client, tool: str, arguments: dict) -> dict:
    result = await client.call_tool(tool, arguments)
    body = body_of(result)
    assert not result.is_error, body
    return body


def open_client(box, mode: str = "legacy") -> Client:
    return Client(build_server(settings_for(box)), mode=mode)


async def test_the_full_scenario_goes_as_expected(minimal, era):
    from finizi_b4b.devtools.scenarios import mcp_caller, play

    async with open_client(minimal, era) as client:
        run = await play(mcp_caller(client), "full", sandbox=minimal)
    assert [o.summary for o in run.outcomes if not o.good] == []


async def test_a_summary_without_sums_or_currencies_pages_and_says_what_it_assumed(minimal, big):
    invoices = [inv for inv in minimal.state.invoices[big] if inv["status"] != "cancelled"]
    async with open_client(minimal) as client:
        body = await call(client, "summarize_invoices", {"entity_id": big})
    data = body["data"]
    assert data["source"] == "invoices"  # no aggregations to take: every page read
    assert data["totals"]["total"] == sum(inv["total_amount"] for inv in invoices)
    assert data["without_currency"] == len(minimal.state.invoices[big])
    assert "came without a currency and were taken as VND" in body["message"]


async def test_vendors_are_grouped_by_what_the_items_carry_and_it_is_said(minimal, big):
    purchases = [
        inv for inv in minimal.state.invoices[big] if inv["direction"] == 0 and inv["status"] != "cancelled"
    ]
    expected: dict[str, int] = defaultdict(int)
    for inv in purchases:
        expected[inv["vendor_id"]] += inv["total_amount"]
    arguments = {"entity_id": big, "direction": "purchase", "group_by": ["vendor"], "top": 50}
    async with open_client(minimal) as client:
        body = await call(client, "summarize_invoices", arguments)
    data = body["data"]
    assert data["vendor_key"] == "vendor_id" and data["group_count"] == len(expected)
    assert all(expected[row["vendor"]] == row["total"] for row in data["groups"] if "vendor" in row)
    assert all(row["name"] for row in data["groups"] if "vendor" in row)  # the vendor_name of the items
    assert "grouped by vendor id" in body["message"]


async def test_period_statistics_are_the_periods_even_where_stats_summary_ignores_dates(minimal, big):
    period = {"date_from": "2025-07-01", "date_to": "2025-09-30"}
    chosen = [inv for inv in minimal.state.invoices[big] if "2025-07-01" <= inv["issue_date"] <= "2025-09-30"]
    async with open_client(minimal) as client:
        body = await call(client, "get_invoice_statistics", {"entity_id": big, **period})
        all_time = await call(client, "get_invoice_statistics", {"entity_id": big})
    assert body["data"]["total_count"] == len(chosen) < len(minimal.state.invoices[big])
    assert body["data"]["total_amount"] == sum(
        i["total_amount"] for i in chosen if i["status"] != "cancelled"
    )
    assert all_time["data"]["scope"] == "all_time"


async def test_the_entity_list_has_its_tax_ids(minimal):
    async with open_client(minimal) as client:
        body = await call(client, "list_entities", {})
    assert [item["tax_id"] for item in body["data"]["items"]] == [
        e["tax_id"] for e in minimal.state.entities.values()
    ][: len(body["data"]["items"])]


async def test_whoami_shows_what_the_api_sent(minimal):
    async with open_client(minimal) as client:
        body = await call(client, "whoami", {})
    assert set(body["user"]) == {"id"}


async def test_an_import_answered_with_only_its_jobs_names_the_invoice_and_finds_a_copy(minimal, big):
    entity = minimal.state.entities[big]
    vendor = minimal.state.vendors[big][0]
    series = "C26M" + uuid.uuid4().hex[:8].upper()
    xml = invoice_xml(series, entity["tax_id"], seller_tax_id=vendor["tax_id"], number="9").decode()
    async with open_client(minimal) as client:
        created = await call(client, "import_invoice_xml", {"entity_id": big, "xml_content": xml})
        preview = await call(
            client, "import_invoice_xml", {"entity_id": big, "xml_content": xml, "preview": True}
        )
    (stored,) = [inv for inv in minimal.state.invoices[big] if inv["invoice_series"] == series]
    assert created["data"]["id"] == stored["id"]
    assert "found by its series and number" in created["message"]
    assert preview["data"]["direction"] == "purchase"
    assert preview["data"]["exists"] is True and preview["data"]["match_basis"] == "vendor_id"
