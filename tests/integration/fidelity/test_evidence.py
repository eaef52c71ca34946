"""Figures an accountant can sign: what the server sends and relies on, against the evidence ledger.

Revision 3 of the API contract grades every endpoint and field the server
relies on: VERIFIED (the company's own client sends or reads it) or ASSUMED.
These tests hold the server to it: writes after a refresh take a new key, a
retried write that meets 409 says the invoice is in, period statistics never
rest on ``stats/summary`` honouring dates, the entity's tax id comes from the
detailed entity list, grouping and duplicate checks work without the list
items' tax ids, the API's aggregations are used only when they agree, and the
whole scenario sends only (method, path) pairs the ledger shows.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections import defaultdict

import pytest
from mcp import Client

from finizi_b4b.server import build_server
from tests.conftest import body_of, invoice_xml, settings_for

pytestmark = pytest.mark.anyio

API = "/api/v1"
LIST_PATH = API + "/entities/{}/invoices"


def upload_path(entity_id: str) -> str:
    return f"{API}/entities/{entity_id}/invoices/xml"


def series() -> str:
    return "C26V" + uuid.uuid4().hex[:8].upper()


def query_of(seen) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in seen.query.split("&") if pair)


async def call(client, tool: str, arguments: dict) -> dict:
    result = await client.call_tool(tool, arguments)
    body = body_of(result)
    assert not result.is_error, body
    return body


# -- 1, 2: the keys of writes, and a 409 after a lost answer ------------------------------------------


async def test_an_import_after_the_token_expired_takes_a_new_key_and_succeeds(connect, sandbox, world, era):
    xml = invoice_xml(series(), world.big_tax_id).decode()
    async with connect(era) as client:
        await call(client, "whoami", {})
        sandbox.expire_access_tokens()
        sandbox.clear_seen()
        body = await call(client, "import_invoice_xml", {"entity_id": world.big, "xml_content": xml})
    uploads = [s for s in sandbox.seen if s.path == upload_path(world.big)]
    assert len(uploads) == 2  # the 401, then the upload with the refreshed token
    keys = [s.headers.get("idempotency-key") for s in uploads]
    assert None not in keys and keys[0] != keys[1]  # the backend bound the first key to its 401
    assert body["data"]["id"] in {inv["id"] for inv in sandbox.state.invoices[world.big]}


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
async def test_a_409_after_a_lost_answer_says_the_invoice_is_in_finizi(
    connect, sandbox, world, tmp_path, batch
):
    s = series()
    path = tmp_path / "invoice.xml"
    path.write_bytes(invoice_xml(s, world.big_tax_id, number="77"))
    arguments = {"entity_id": world.big} | (
        {"file_paths": [str(path)]} if batch else {"file_path": str(path)}
    )
    async with connect() as client:
        await call(client, "whoami", {})
        # The upload is carried out and its answer lost; the retry (same key) meets a backend that does
        # not replay the first answer but refuses the duplicate.
        sandbox.inject_fault(kind="lose_answer", path=upload_path(world.big), method="POST")
        duplicate = json.dumps({"detail": "Invoice already exists"})
        sandbox.inject_fault(409, body=duplicate, path=upload_path(world.big), method="POST")
        body = await call(client, "import_invoice_xml", arguments)
    created = [inv for inv in sandbox.state.invoices[world.big] if inv["invoice_series"] == s]
    assert len(created) == 1
    if batch:
        (entry,) = body["data"]["files"]
        assert entry["outcome"] == "in_finizi" and entry["invoice_id"] == created[0]["id"]
        assert body["data"]["counts"]["in_finizi"] == 1
    else:
        assert body["data"]["invoice_id"] == created[0]["id"]
        assert f"is in Finizi (id {created[0]['id']})" in body["message"]
        assert "Nothing was changed" not in body["message"]


# -- 3: period statistics from the invoice list ---------------------------------------------------------


def reference_statistics(invoices, date_from: str, date_to: str) -> dict:
    chosen = [inv for inv in invoices if date_from <= inv["issue_date"] <= date_to]
    by_status: dict[str, dict] = defaultdict(lambda: {"count": 0, "total_amount": 0})
    by_direction = {d: {"count": 0, "total_amount": 0} for d in ("purchase", "sales")}
    for inv in chosen:
        by_status[inv["status"]]["count"] += 1
        by_status[inv["status"]]["total_amount"] += inv["total_amount"]
        if inv["status"] != "cancelled":
            bucket = by_direction["sales" if inv["direction"] == 1 else "purchase"]
            bucket["count"] += 1
            bucket["total_amount"] += inv["total_amount"]
    return {"total_count": len(chosen), "by_status": dict(by_status), "by_direction": by_direction}


async def test_period_statistics_never_rest_on_stats_summary_honouring_dates(connect, sandbox, world, era):
    period = {"date_from": "2025-04-01", "date_to": "2025-06-30"}
    async with connect(era) as client:
        sandbox.clear_seen()
        body = await call(client, "get_invoice_statistics", {"entity_id": world.big, **period})
        stats_requests = [s for s in sandbox.seen if s.path.endswith("/stats/summary")]
        all_time = await call(client, "get_invoice_statistics", {"entity_id": world.big})
    assert stats_requests == []  # a period is never asked of stats/summary
    data = body["data"]
    expected = reference_statistics(sandbox.state.invoices[world.big], **period)
    assert data["scope"] == "period" and data["total_count"] == expected["total_count"]
    assert {
        k: {"count": v["count"], "total_amount": v["total_amount"]} for k, v in data["by_status"].items()
    } == (expected["by_status"])
    for direction, bucket in expected["by_direction"].items():
        assert data["by_direction"][direction]["count"] == bucket["count"]
        assert data["by_direction"][direction]["total_amount"] == bucket["total_amount"]
    assert all_time["data"]["scope"] == "all_time" and "All-time" in all_time["message"]
    last = [s for s in sandbox.seen if s.path.endswith("/stats/summary")][-1]
    assert last.query == ""  # stats/summary is asked with no parameter, as the company's client does


# -- 4, 8: the entity list, detailed ---------------------------------------------------------------------


async def test_preview_reads_the_entity_tax_id_from_the_detailed_entity_list(connect, sandbox, world):
    xml = invoice_xml(series(), world.big_tax_id).decode()
    async with connect() as client:
        await call(client, "whoami", {})
        sandbox.clear_seen()
        body = await call(
            client, "import_invoice_xml", {"entity_id": world.big, "xml_content": xml, "preview": True}
        )
    assert body["data"]["direction"] == "purchase"
    paths = [(s.method, s.path, s.query) for s in sandbox.seen]
    assert ("GET", f"{API}/users/me/entities", "detailed=true") in paths
    assert not [p for p in paths if p[1] == f"{API}/entities/{world.big}"]


async def test_list_entities_always_asks_for_the_detailed_list(connect, sandbox):
    async with connect() as client:
        await call(client, "whoami", {})
        sandbox.clear_seen()
        body = await call(client, "list_entities", {})
    (request,) = [s for s in sandbox.seen if s.path == f"{API}/users/me/entities"]
    assert query_of(request) == {"detailed": "true"}
    assert all("tax_id" in item for item in body["data"]["items"])
    assert "invoice_count" not in body["data"]["items"][0]  # the counts only when asked for


# -- 5: no tax ids in the list items ---------------------------------------------------------------------


def without_parties(invoice: dict, *, keep_vendor_id: bool = True) -> dict:
    """A list item as a backend that sends only ``vendor_id`` and ``vendor_name`` would."""
    item = {
        k: v
        for k, v in invoice.items()
        if k not in ("line_items", "seller_name", "seller_tax_id", "buyer_name", "buyer_tax_id")
    }
    counterparty = invoice["seller_name"] if invoice["direction"] == 0 else invoice["buyer_name"]
    item["vendor_name"] = counterparty
    if not keep_vendor_id:
        item.pop("vendor_id", None)
    return item


@pytest.mark.parametrize("keep_vendor_id", [True, False], ids=["vendor_id", "name"])
async def test_grouping_by_vendor_falls_back_when_items_carry_no_tax_id(
    connect, sandbox, world, keep_vendor_id
):
    purchases = [inv for inv in sandbox.state.invoices[world.big] if inv["direction"] == 0]
    purchases = [inv for inv in purchases if inv["status"] != "cancelled"][:300]
    items = [without_parties(inv, keep_vendor_id=keep_vendor_id) for inv in purchases]
    pages = [items[:200], items[200:]]
    async with connect() as client:
        for number, chunk in enumerate(pages, start=1):
            body = {"items": chunk, "total": len(items), "page": number, "pages": 2, "has_next": number == 1}
            sandbox.inject_fault(200, body=json.dumps(body), path=LIST_PATH.format(world.big), method="GET")
        result = await call(
            client,
            "summarize_invoices",
            {"entity_id": world.big, "direction": "purchase", "group_by": ["vendor"], "top": 50},
        )
    data = result["data"]
    key = "vendor_id" if keep_vendor_id else "name"
    assert data["vendor_key"] == key
    expected: dict[str, int] = defaultdict(int)
    for inv in purchases:
        expected[inv["vendor_id"] if keep_vendor_id else inv["seller_name"]] += inv["total_amount"]
    shown = {row["vendor"]: row["total"] for row in data["groups"] if "vendor" in row}
    assert data["group_count"] == len(expected) and len(shown) == min(50, len(expected))
    assert all(expected[vendor] == total for vendor, total in shown.items())
    assert None not in shown and "without_vendor_key" not in data
    assert f"grouped by {key.replace('_', ' ')}" in result["message"]


async def test_a_duplicate_is_found_without_the_sellers_tax_id_in_the_list(connect, sandbox, world):
    s = series()
    vendor = world.vendors[0]
    xml = invoice_xml(s, world.big_tax_id, seller_tax_id=vendor["tax_id"], number="5").decode()
    async with connect() as client:
        await call(client, "import_invoice_xml", {"entity_id": world.big, "xml_content": xml})
        (stored,) = [inv for inv in sandbox.state.invoices[world.big] if inv["invoice_series"] == s]
        assert stored["vendor_id"] == vendor["id"]
        lookup = {"items": [without_parties(stored)], "total": 1, "page": 1, "pages": 1, "has_next": False}
        sandbox.inject_fault(200, body=json.dumps(lookup), path=LIST_PATH.format(world.big), method="GET")
        body = await call(
            client, "import_invoice_xml", {"entity_id": world.big, "xml_content": xml, "preview": True}
        )
    assert body["data"]["exists"] is True and body["data"]["existing_invoice_id"] == stored["id"]
    assert body["data"]["match_basis"] == "vendor_id"
    assert "already imported" in body["message"]


# -- 6: the aggregations shortcut only when it agrees -----------------------------------------------------


async def test_aggregations_that_contradict_themselves_are_not_used(connect, sandbox, world, era):
    from finizi_b4b.sandbox.routes.invoices import aggregate

    invoices = sandbox.state.invoices[world.big]
    real = aggregate(invoices)
    broken = copy.deepcopy(real)
    # The cancelled bucket claims more money than there is: taking it off would leave a negative total.
    broken["by_status"]["cancelled"]["total_amount"] = real["total_amount"] + 400
    probe = {"items": [], "total": len(invoices), "page": 1, "per_page": 1, "pages": len(invoices)}
    probe |= {"has_next": True, "aggregations": broken, "total_amount": real["total_amount"]}
    async with connect(era) as client:
        sandbox.inject_fault(200, body=json.dumps(probe), path=LIST_PATH.format(world.big), method="GET")
        body = await call(client, "summarize_invoices", {"entity_id": world.big})
    kept = [inv for inv in invoices if inv["status"] != "cancelled"]
    assert body["data"]["source"] == "invoices"
    assert body["data"]["totals"]["total"] == sum(inv["total_amount"] for inv in kept) > 0


async def test_aggregations_that_disagree_with_the_total_are_not_used(connect, sandbox, world):
    from finizi_b4b.sandbox.routes.invoices import aggregate

    invoices = sandbox.state.invoices[world.big]
    probe = {"items": [], "total": len(invoices) + 5, "page": 1, "per_page": 1, "has_next": True}
    probe["aggregations"] = aggregate(invoices)
    async with connect() as client:
        sandbox.inject_fault(200, body=json.dumps(probe), path=LIST_PATH.format(world.big), method="GET")
        body = await call(client, "summarize_invoices", {"entity_id": world.big})
    assert body["data"]["source"] == "invoices"


async def test_list_invoices_shows_the_apis_sums_only_when_they_agree(connect, sandbox, world, era):
    from finizi_b4b.sandbox.routes.invoices import aggregate

    invoices = sandbox.state.invoices[world.big]
    real = aggregate(invoices)
    page = {"items": [], "total": len(invoices), "page": 1, "per_page": 1, "pages": len(invoices)}
    page |= {"has_next": True, "aggregations": real, "total_amount": real["total_amount"]}
    broken = copy.deepcopy(real)
    broken["by_currency"]["VND"]["count"] += 1  # one invoice more by currency than in all
    async with connect(era) as client:
        agreeing = await call(client, "list_invoices", {"entity_id": world.big})
        sandbox.inject_fault(
            200, body=json.dumps(page | {"aggregations": broken}), path=LIST_PATH.format(world.big)
        )
        contradicting = await call(client, "list_invoices", {"entity_id": world.big})
        sandbox.inject_fault(
            200,
            body=json.dumps(page | {"aggregations": None} | {"total_amount": 7}),
            path=LIST_PATH.format(world.big),
        )
        alone = await call(client, "list_invoices", {"entity_id": world.big})
    assert agreeing["data"]["aggregations"]["count"] == len(invoices) and "message" not in agreeing
    assert "aggregations" not in contradicting["data"] and "total_amount" not in contradicting["data"]
    assert "contradict" in contradicting["message"]
    assert alone["data"]["total_amount"] == 7
    assert (
        f"sum over all {len(invoices)} matching" in alone["message"] and "as it was sent" in alone["message"]
    )


# -- 7, 9, 10: what the writes and filters send ------------------------------------------------------------


async def test_auto_classify_is_sent_true_by_default(connect, sandbox, world):
    xml = invoice_xml(series(), world.big_tax_id).decode()
    async with connect() as client:
        sandbox.clear_seen()
        await call(client, "import_invoice_xml", {"entity_id": world.big, "xml_content": xml})
    (upload,) = [s for s in sandbox.seen if s.path == upload_path(world.big)]
    assert query_of(upload)["auto_classify"] == "true"


async def test_a_lower_case_series_is_accepted_and_sent_in_upper_case(connect, sandbox, world):
    invoice = world.invoices[0]
    async with connect() as client:
        sandbox.clear_seen()
        body = await call(
            client,
            "list_invoices",
            {"entity_id": world.big, "invoice_series": invoice["invoice_series"].lower(), "page_size": 200},
        )
    (request,) = [s for s in sandbox.seen if s.path == LIST_PATH.format(world.big)]
    assert query_of(request)["invoice_series"] == invoice["invoice_series"]
    assert invoice["id"] in {item["id"] for item in body["data"]["items"]}


async def test_an_upload_may_take_longer_than_other_requests(connect, sandbox, world):
    xml = invoice_xml(series(), world.big_tax_id).decode()
    async with connect(request_timeout=1.0) as client:
        await call(client, "whoami", {})
        sandbox.clear_seen()
        sandbox.inject_fault(None, delay=2.0, count=3, path=upload_path(world.big), method="POST")
        body = await call(client, "import_invoice_xml", {"entity_id": world.big, "xml_content": xml})
        sandbox.clear_faults()
    assert body["data"]["id"] in {inv["id"] for inv in sandbox.state.invoices[world.big]}
    assert len([s for s in sandbox.seen if s.path == upload_path(world.big)]) == 1  # one try was enough


# -- the whole scenario: only what the ledger shows ---------------------------------------------------------

ID = r"[^/]+"
# (method, path) pairs the ledger marks VERIFIED (part A), as patterns.
VERIFIED = [
    ("POST", r"/api/v1/auth/(login|refresh|logout)"),
    ("GET", r"/api/v1/users/me"),
    ("GET", r"/api/v1/users/me/entities"),
    ("GET", rf"/api/v1/entities/{ID}/invoices"),
    ("GET", rf"/api/v1/entities/{ID}/invoices/stats/summary"),
    ("GET", rf"/api/v1/entities/{ID}/invoices/{ID}"),
    ("POST", rf"/api/v1/entities/{ID}/invoices/xml"),
    ("GET", rf"/api/v1/entities/{ID}/vendors"),
    ("GET", rf"/api/v1/entities/{ID}/vendors/{ID}"),
    ("POST", rf"/api/v1/entities/{ID}/vendors/search-by-tax-id"),
    ("GET", rf"/api/v1/entities/{ID}/products"),
    ("POST", r"/api/v1/semantic-search/products/search"),
    # Part B1: sent by the company's client (generate_tax_report, dispatch_job, get_trial_balance,
    # get_general_ledger).
    ("POST", rf"/api/v1/entities/{ID}/tax-reports/generate"),
    ("GET", rf"/api/v1/celery/jobs/{ID}"),
    ("GET", rf"/api/v1/entities/{ID}/journal/gl/trial-balance"),
    ("GET", rf"/api/v1/entities/{ID}/general-ledger"),
]
# Endpoints of contract part B that the company's client is shown to send (its evidence column).
PART_B = [
    ("GET", rf"/api/v1/entities/{ID}/companies/{ID}"),  # B3: get_company:27-67
    ("GET", rf"/api/v1/invoices/{ID}/payments"),  # B2: cash_bank_payments:224-236
    ("POST", rf"/api/v1/entities/{ID}/invoices/{ID}/payments"),  # B2: pay_invoice:32-59
    ("GET", rf"/api/v1/entities/{ID}/payments"),  # B2: cash_bank_payments:188-212
]
# The entity tools the product has always had (ledger row 31: assumed paths), and only for them.
ENTITY_TOOLS = [
    ("GET", rf"/api/v1/entities/{ID}"),
    ("PUT", rf"/api/v1/entities/{ID}"),
    ("POST", r"/api/v1/entities"),
]


async def test_the_full_scenario_sends_only_what_the_ledger_shows(sandbox):
    from finizi_b4b.devtools.scenarios import mcp_caller, play

    async with Client(build_server(settings_for(sandbox)), mode="legacy") as client:
        sandbox.clear_seen()
        run = await play(mcp_caller(client), "full", sandbox=sandbox)
    assert [o.summary for o in run.outcomes if not o.good] == []
    unverified = set()
    for seen in sandbox.seen:
        pair = (seen.method, seen.path)
        if any(m == pair[0] and re.fullmatch(p, pair[1]) for m, p in VERIFIED + PART_B):
            continue
        tool = seen.headers.get("x-agent-tool-name")
        allowed = tool in ("get_entity", "update_entity", "create_entity")
        if allowed and any(m == pair[0] and re.fullmatch(p, pair[1]) for m, p in ENTITY_TOOLS):
            continue
        unverified.add((*pair, tool))
    assert unverified == set()
