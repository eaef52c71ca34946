"""Minimal mode over real HTTP: only what the real API is known to send, and the default mode unchanged."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from finizi_b4b.sandbox import DEMO_ACCOUNTANT, DEMO_ADMIN, Sandbox
from tests.integration.sandbox.client import API, Api, big, count_invoices, upload, xml
from tests.integration.sandbox.test_command import first_line

pytestmark = pytest.mark.anyio

PAGE_KEYS = {"items", "total", "page", "per_page", "pages", "has_next", "has_prev"}
ITEM_KEYS = {
    "id", "invoice_series", "invoice_number", "issue_date", "direction", "status", "vendor_id", "vendor_name",
    "total_amount_before_tax", "total_tax_amount", "total_amount",
}  # fmt: skip
FULL_CASSETTE = Path(__file__).resolve().parents[2] / "cassettes" / "full.jsonl"


def invoices_url(box: Sandbox) -> str:
    return f"{API}/entities/{big(box)['id']}/invoices"


# -- 1, 2: invoice list pages ------------------------------------------------------------------------


async def test_invoice_pages_carry_no_totals_and_lean_items(minimal_api):
    box = minimal_api.box
    page = await minimal_api.ok("GET", invoices_url(box), params={"page_size": 200, "page": 2})
    assert set(page) == PAGE_KEYS
    assert page["total"] == len(box.state.invoices[big(box)["id"]]) and len(page["items"]) == 200
    records = box.state.invoice_index
    for item in page["items"]:
        assert set(item) == ITEM_KEYS
        invoice = records[item["id"]]
        counterparty = invoice["seller_name"] if invoice["direction"] == 0 else invoice["buyer_name"]
        assert item["vendor_name"] == counterparty
        for key in ITEM_KEYS - {"vendor_name"}:
            assert item[key] == invoice[key], key
    assert {item["direction"] for item in page["items"]} == {0, 1}


async def test_filters_still_apply_in_minimal_mode(minimal_api):
    box = minimal_api.box
    invoices = box.state.invoices[big(box)["id"]]
    page = await minimal_api.ok("GET", invoices_url(box), params={"status": "paid", "direction": 0})
    assert page["total"] == sum(i["status"] == "paid" and i["direction"] == 0 for i in invoices)
    assert "total_amount" not in page and "aggregations" not in page


async def test_default_pages_keep_their_totals_and_rich_items(api):
    page = await api.ok("GET", invoices_url(api.box), params={"page_size": 5})
    assert set(page) == PAGE_KEYS | {"total_amount", "aggregations"}
    rich = {"seller_name", "seller_tax_id", "buyer_name", "buyer_tax_id", "line_count", "currency"}
    for item in page["items"]:
        assert rich <= set(item)
        assert "vendor_name" not in item


# -- 3: stats/summary ignores its dates ---------------------------------------------------------------


@pytest.mark.parametrize(
    "dates",
    [{"date_from": "2026-01-01"}, {"date_from": "2025-03-01", "date_to": "2025-03-31"}, {"date_to": "nope"}],
)
async def test_statistics_ignore_the_dates(minimal_api, dates):
    box = minimal_api.box
    url = f"{invoices_url(box)}/stats/summary"
    every = await minimal_api.ok("GET", url)
    narrowed = await minimal_api.ok("GET", url, params=dates)
    assert narrowed == every
    invoices = box.state.invoices[big(box)["id"]]
    assert every["total_count"] == len(invoices)
    assert every["total_amount"] == sum(i["total_amount"] for i in invoices if i["status"] != "cancelled")
    assert "date_from" not in every and "date_to" not in every


async def test_default_statistics_honour_and_check_the_dates(api):
    url = f"{invoices_url(api.box)}/stats/summary"
    narrowed = await api.ok("GET", url, params={"date_from": "2026-01-01"})
    invoices = api.box.state.invoices[big(api.box)["id"]]
    assert narrowed["total_count"] == sum(i["issue_date"] >= "2026-01-01" for i in invoices)
    assert narrowed["date_from"] == "2026-01-01"
    assert (await api.call("GET", url, params={"date_to": "nope"}))[0] == 422


# -- 4, 5: entities and the user ------------------------------------------------------------------------


async def test_entities_give_the_tax_id_only_when_detailed(minimal_api):
    box = minimal_api.box
    plain = await minimal_api.ok("GET", f"{API}/users/me/entities")
    assert isinstance(plain, list) and len(plain) == len(box.state.entities)
    assert all(set(item) == {"id", "name", "role"} for item in plain)
    off = await minimal_api.ok("GET", f"{API}/users/me/entities", params={"detailed": "false"})
    assert off == plain
    detailed = await minimal_api.ok("GET", f"{API}/users/me/entities", params={"detailed": "true"})
    assert all(set(item) == {"id", "name", "role", "tax_id"} for item in detailed)
    assert {item["id"]: item["tax_id"] for item in detailed} == {
        eid: entity["tax_id"] for eid, entity in box.state.entities.items()
    }
    await minimal_api.login(DEMO_ACCOUNTANT)
    mine = await minimal_api.ok("GET", f"{API}/users/me/entities")
    assert [item["role"] for item in mine] == ["accountant"]


async def test_the_current_user_is_only_its_id(minimal_api):
    session = await minimal_api.login()
    assert await minimal_api.ok("GET", f"{API}/users/me") == {"id": session["user_id"]}


# -- 6: login and refresh ----------------------------------------------------------------------------


async def test_login_and_refresh_answer_only_the_tokens(minimal_api):
    session = await minimal_api.login()
    assert set(session) == {"access_token", "refresh_token", "user_id"}
    assert session["user_id"] in minimal_api.box.state.users
    refreshed = await minimal_api.ok(
        "POST", f"{API}/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert set(refreshed) == {"access_token", "refresh_token"}
    assert (await minimal_api.call("GET", f"{API}/users/me", token=refreshed["access_token"]))[0] == 200
    assert (await minimal_api.call("GET", f"{API}/users/me", token=session["access_token"]))[0] == 200


# -- 7: vendor and product pages ---------------------------------------------------------------------


async def test_vendor_pages_hold_items_and_total_and_product_pages_items(minimal_api):
    box = minimal_api.box
    eid = big(box)["id"]
    vendors = await minimal_api.ok("GET", f"{API}/entities/{eid}/vendors", params={"page_size": 7})
    assert set(vendors) == {"items", "total"}
    assert vendors["total"] == len(box.state.vendors[eid]) and len(vendors["items"]) == 7
    products = await minimal_api.ok("GET", f"{API}/entities/{eid}/products", params={"per_page": 9})
    assert set(products) == {"items"} and len(products["items"]) == 9
    assert {p["id"] for p in products["items"]} <= {p["id"] for p in box.state.products[eid]}


# -- 8: the XML import ---------------------------------------------------------------------------------


async def test_the_import_answers_only_its_jobs_and_creates_the_invoice(minimal_api):
    box = minimal_api.box
    before = count_invoices(box)
    content = xml(box, number="7700101")
    status, body, _, _ = await upload(minimal_api, content)
    assert status == 201 and set(body) == {"queued_jobs"}
    assert len(body["queued_jobs"]) == 1 and isinstance(body["queued_jobs"][0], str)
    assert count_invoices(box) == before + 1
    found = await minimal_api.ok(
        "GET", invoices_url(box), params={"invoice_series": "C26TKT", "invoice_number": "7700101"}
    )
    assert found["total"] == 1 and found["items"][0]["total_amount"] == 858000
    assert (await upload(minimal_api, content))[0] == 409
    status, body, _, _ = await upload(minimal_api, xml(box, number="7700102"), auto_classify="false")
    assert (status, body) == (201, {"queued_jobs": []})


# -- everything else as in the default mode ------------------------------------------------------------


UNKNOWN = "00000000-0000-4000-8000-000000000000"


def _failing_requests(box: Sandbox) -> list[tuple[str, str, dict]]:
    eid, other = big(box)["id"], list(box.state.entities)[1]
    return [
        ("GET", f"{API}/entities/{eid}/invoices", {"params": {"page_size": 201}}),
        ("GET", f"{API}/entities/{eid}/invoices", {"params": {"status": "lost"}}),
        ("GET", f"{API}/entities/{eid}/invoices/{UNKNOWN}", {}),
        ("GET", f"{API}/entities/{UNKNOWN}/vendors", {}),
        ("GET", f"{API}/entities/not-a-uuid/products", {}),
        ("GET", f"{API}/entities/{other}/vendors/{UNKNOWN}", {}),
        ("POST", f"{API}/entities/{eid}/vendors/search-by-tax-id", {"json": {"tax_id": "0999999998"}}),
        ("POST", f"{API}/auth/login", {"json": {"phone": DEMO_ADMIN.phone, "password": "wrong"}}),
        ("GET", f"{API}/users/me/entities", {"params": {"detailed": "maybe"}}),
    ]


async def test_errors_are_those_of_the_default_mode(api, minimal_api):
    for method, path, kwargs in _failing_requests(api.box):
        default = await api.call(method, path, **kwargs)
        minimal = await minimal_api.call(method, path, **kwargs)
        assert default[0] >= 400 and (minimal[0], minimal[1]) == (default[0], default[1]), path
        assert minimal[2].get("WWW-Authenticate") == default[2].get("WWW-Authenticate")
    no_token = await minimal_api.call("GET", f"{API}/users/me", token="-")
    assert no_token[0] == 401 and no_token[2]["WWW-Authenticate"] == "Bearer"
    await minimal_api.login(DEMO_ACCOUNTANT)
    assert (await minimal_api.call("GET", invoices_url(minimal_api.box)))[0] == 403


async def test_the_semantic_search_still_requires_its_header(minimal_api):
    eid = big(minimal_api.box)["id"]
    body = {"entity_id": eid, "query_text": "cà phê", "top_k": 3, "min_similarity": 0}
    url = f"{API}/semantic-search/products/search"
    status, answer, _, _ = await minimal_api.call("POST", url, json=body)
    assert status == 422 and answer["detail"][0]["loc"] == ["header", "x-entity-id"]
    assert await minimal_api.ok("POST", url, json=body, headers={"X-Entity-Id": eid})


async def test_the_default_mode_answers_the_recorded_demo_reads_unchanged():
    """The reads of the committed demo session, sent again to a fresh default sandbox, get the same JSON."""
    reads = []
    entities_changed = False
    for line in FULL_CASSETTE.read_text(encoding="utf-8").splitlines():
        call = json.loads(line)
        if call.get("tool") == "import_invoice_xml":
            break  # from here on the answers hold what the session itself created
        if call.get("tool") in ("generate_tax_report", "send_tax_report_to_htkk"):
            continue  # their reads follow the jobs the session itself queued
        if call.get("tool") in ("create_entity", "update_entity"):
            entities_changed = True  # the entity answers from here on hold the session's own changes
            continue
        for exchange in call.get("exchanges", ()):
            request, response = exchange["request"], exchange["response"]
            path = request["path"]
            entity_answer = "/entities" in path and not any(
                p in path for p in ("/invoices", "/vendors", "/products")
            )
            if entities_changed and entity_answer:
                continue
            searched = request["path"].endswith("/semantic-search/products/search")
            if (request["method"] == "GET" or searched) and response["status"] == 200:
                reads.append((request, response["json"]))
    assert len(reads) >= 12
    async with Sandbox(seed=0) as box, aiohttp.ClientSession() as http:
        api = Api(box, http)
        await api.login()
        for request, expected in reads:
            headers = {k: v for k, v in request["headers"].items() if not k.startswith("X-Agent")}
            headers.pop("Idempotency-Key", None)
            kwargs = {"params": request.get("query") or [], "headers": headers}
            if "json" in request:
                kwargs["json"] = request["json"]
            body = await api.ok(request["method"], request["path"], **kwargs)
            assert body == expected, request["path"]


# -- the switches ------------------------------------------------------------------------------------


def test_in_thread_and_the_command_take_the_switch():
    with Sandbox.in_thread(minimal=True) as box:
        assert box.minimal
    proc = subprocess.Popen(
        [sys.executable, "-m", "finizi_b4b", "sandbox", "--port", "0", "--minimal"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = first_line(proc).removeprefix("Sandbox listening on ")
        login = urllib.request.Request(
            url + "/api/v1/auth/login",
            data=json.dumps({"phone": DEMO_ADMIN.phone, "password": DEMO_ADMIN.password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(login, timeout=10) as resp:
            assert set(json.load(resp)) == {"access_token", "refresh_token", "user_id"}
    finally:
        proc.terminate()
        proc.wait(10)
