"""The sandbox's data and answer shapes of contract revision 2, over real HTTP on loopback.

ProductBase fields, tax ids, list totals, integer ids, branch tax ids on
import, and every alternative answer shape.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

from finizi_b4b.sandbox import Sandbox
from tests.integration.sandbox.client import API, big, upload, xml

pytestmark = pytest.mark.anyio

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# -- products, tax ids, list totals ----------------------------------------------------------------


async def test_products_follow_product_base(api):
    eid = big(api.box)["id"]
    page = await api.ok("GET", f"{API}/entities/{eid}/products", params={"per_page": 200})
    assert len(page["items"]) == 200 and page["per_page"] == 200
    for product in page["items"]:
        assert {
            "id", "code", "name", "unit_of_measurement", "default_sell_price", "inventory_type",
            "default_vat_rate_id", "vat_rate",
        } <= set(product)  # fmt: skip
        assert not {"sku", "unit", "unit_price"} & set(product)
        assert product["vat_rate"] in (0, 0.05, 0.08, 0.1) and UUID.match(product["default_vat_rate_id"])
        assert product["inventory_type"] in ("goods", "service") and product["default_sell_price"] > 0
    every = api.box.state.products[eid]
    assert len({p["code"] for p in every}) == len(every)
    assert len({(p["vat_rate"], p["default_vat_rate_id"]) for p in every}) == 4
    code = every[7]["code"]
    found = await api.ok("GET", f"{API}/entities/{eid}/products", params={"search": code})
    assert [p["id"] for p in found["items"]] == [every[7]["id"]]


@pytest.mark.parametrize(
    ("tax_id", "status"),
    [
        ("01234567890123", 201),
        ("012345678901", 201),
        ("0123456789012-001", 201),
        ("012345678", 422),
        ("012345678901234", 422),
        ("0123456789-01", 422),
    ],
)
async def test_tax_ids_of_10_to_14_digits_with_an_optional_branch(api, tax_id, status):
    answer = await api.call("POST", f"{API}/entities", json={"name": "Công ty Số", "tax_id": tax_id})
    assert answer[0] == status, answer[1]


async def test_vendor_search_answers_success_and_data(api):
    eid = big(api.box)["id"]
    vendor = api.box.state.vendors[eid][5]
    url = f"{API}/entities/{eid}/vendors/search-by-tax-id"
    found = await api.ok("POST", url, json={"tax_id": vendor["tax_id"]})
    assert found["success"] is True and found["data"]["vendor"]["id"] == vendor["id"]
    assert (await api.call("POST", url, json={"tax_id": "0999999998"}))[0] == 404


async def test_list_totals_are_over_every_filtered_invoice_not_the_page(api):
    eid = big(api.box)["id"]
    invoices = api.box.state.invoices[eid]
    vendor = next(i["vendor_id"] for i in invoices if i["vendor_id"])
    params = {"direction": 0, "vendor_id": vendor, "date_from": "2025-01-01", "date_to": "2026-06-30"}
    matching = [
        i
        for i in invoices
        if i["direction"] == 0
        and i["vendor_id"] == vendor
        and "2025-01-01" <= i["issue_date"] <= "2026-06-30"
    ]
    assert len(matching) >= 2
    page = await api.ok("GET", f"{API}/entities/{eid}/invoices", params={**params, "page_size": 1})
    assert len(page["items"]) == 1 and page["total"] == len(matching)
    assert page["total_amount"] == sum(i["total_amount"] for i in matching)
    sums = page["aggregations"]
    assert sums["count"] == len(matching)
    for key in ("total_amount_before_tax", "total_tax_amount", "total_amount"):
        assert sums[key] == sum(i[key] for i in matching)
    assert sums["by_currency"]["VND"]["total_amount"] == page["total_amount"]
    assert sum(s["count"] for s in sums["by_status"].values()) == len(matching)
    paid = [i for i in matching if i["status"] == "paid"]
    assert sums["by_status"].get("paid", {"total_amount": 0})["total_amount"] == sum(
        i["total_amount"] for i in paid
    )
    empty = await api.ok("GET", f"{API}/entities/{eid}/invoices", params={"invoice_series": "NONE"})
    assert empty["total_amount"] == 0 and empty["aggregations"]["count"] == 0


async def test_uuids_in_paths_in_either_letter_case(api):
    eid = big(api.box)["id"]
    invoice, vendor = api.box.state.invoices[eid][0], api.box.state.vendors[eid][0]
    assert (await api.ok("GET", f"{API}/entities/{eid.upper()}"))["id"] == eid
    got = await api.ok("GET", f"{API}/entities/{eid.upper()}/invoices/{invoice['id'].upper()}")
    assert got["id"] == invoice["id"]
    assert (await api.ok("GET", f"{API}/entities/{eid}/vendors/{vendor['id'].upper()}"))["id"] == vendor["id"]
    status, body, _, _ = await api.call("GET", f"{API}/entities/{eid}/invoices/17")
    assert status == 422 and body["detail"][0]["type"] == "uuid_parsing"


# -- integer ids -----------------------------------------------------------------------------------


async def test_integer_ids_round_trip(int_api):
    api, state = int_api, int_api.box.state
    eid = big(api.box)["id"]
    assert UUID.match(eid)
    page = await api.ok("GET", f"{API}/entities/{eid}/invoices", params={"page_size": 5})
    ids = [i["id"] for i in page["items"]]
    assert all(type(i) is int and i > 0 for i in ids)
    one = await api.ok("GET", f"{API}/entities/{eid}/invoices/{ids[2]}")
    assert one["id"] == ids[2] and one["line_items"]
    vendors = await api.ok("GET", f"{API}/entities/{eid}/vendors")
    vendor_id = next(i["vendor_id"] for i in state.invoices[eid] if i["vendor_id"])
    assert type(vendor_id) is int and all(type(v["id"]) is int for v in vendors["items"])
    assert (await api.ok("GET", f"{API}/entities/{eid}/vendors/{vendor_id}"))["id"] == vendor_id
    filtered = await api.ok("GET", f"{API}/entities/{eid}/invoices", params={"vendor_id": str(vendor_id)})
    assert filtered["total"] == sum(i["vendor_id"] == vendor_id for i in state.invoices[eid]) >= 1
    products = await api.ok("GET", f"{API}/entities/{eid}/products")
    assert all(type(p["id"]) is int for p in products["items"])
    every = [i["id"] for invoices in state.invoices.values() for i in invoices]
    assert sorted(every) == list(range(1, len(every) + 1))


@pytest.mark.parametrize("bad", ["abc", "1.5", "00000000-0000-4000-8000-000000000000"])
async def test_integer_ids_refuse_what_is_not_an_integer_like_fastapi(int_api, bad):
    eid = big(int_api.box)["id"]
    status, body, _, _ = await int_api.call("GET", f"{API}/entities/{eid}/invoices/{bad}")
    assert status == 422
    assert body["detail"] == [
        {
            "type": "int_parsing",
            "loc": ["path", "invoice_id"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": bad,
        }
    ]
    assert (await int_api.call("GET", f"{API}/entities/{eid}/vendors/999999"))[0] == 404
    listed = f"{API}/entities/{eid}/invoices"
    status, body, _, _ = await int_api.call("GET", listed, params={"vendor_id": bad})
    assert status == 422 and body["detail"][0]["loc"] == ["query", "vendor_id"]


async def test_imports_get_the_next_integer_ids(int_api):
    state = int_api.box.state
    top_invoice = max(state.invoice_index)
    top_vendor = max(state.vendor_index)
    status, created, _, _ = await upload(int_api, xml(int_api.box, seller="0312121212"))
    assert status == 201 and created["id"] == top_invoice + 1 and created["vendor_id"] == top_vendor + 1
    again = await int_api.ok("GET", f"{API}/entities/{big(int_api.box)['id']}/invoices/{created['id']}")
    assert again["vendor_id"] == top_vendor + 1


# -- branch tax ids on import ----------------------------------------------------------------------


async def test_an_invoice_to_a_branch_of_the_entity_is_a_purchase(api):
    branch = big(api.box)["tax_id"] + "-002"
    status, created, _, _ = await upload(api, xml(api.box, buyer=branch))
    assert status == 201, created
    assert created["direction"] == 0 and created["buyer_tax_id"] == branch


async def test_an_invoice_from_a_branch_of_the_entity_is_a_sale(api):
    branch = big(api.box)["tax_id"] + "-001"
    status, created, _, _ = await upload(api, xml(api.box, seller=branch, buyer="0109999999"))
    assert status == 201, created
    assert created["direction"] == 1 and created["seller_tax_id"] == branch
    stranger = await upload(api, xml(api.box, buyer="0100000001-001"))
    assert stranger[0] == 422 and "neither the seller" in stranger[1]["detail"]


# -- the alternative shapes ------------------------------------------------------------------------


async def test_normal_shapes(api):
    eid = big(api.box)["id"]
    assert isinstance(await api.ok("GET", f"{API}/users/me/entities"), list)
    status, created, _, _ = await upload(api, xml(api.box))
    assert status == 201 and all(isinstance(job, str) for job in created["queued_jobs"])
    assert (await api.call("GET", f"{API}/entities/{eid}/vendors/{uuid.uuid4()}"))[1] == {
        "detail": "Vendor not found"
    }


async def test_alternative_shapes(alt_api):
    api = alt_api
    eid = big(api.box)["id"]
    entities = await api.ok("GET", f"{API}/users/me/entities")
    assert set(entities) == {"items"} and {e["id"] for e in entities["items"]} >= {eid}
    vendor = api.box.state.vendors[eid][3]
    url = f"{API}/entities/{eid}/vendors/search-by-tax-id"
    assert (await api.ok("POST", url, json={"tax_id": vendor["tax_id"]}))["vendor"]["id"] == vendor["id"]
    even = await api.ok("POST", url, json={"tax_id": "0999999998"})
    assert even == {"success": True, "data": {"vendor": None}}
    assert await api.ok("POST", url, json={"tax_id": "0999999997"}) == {"success": True, "data": None}
    results = await api.ok(
        "POST",
        f"{API}/semantic-search/products/search",
        json={"entity_id": eid, "query_text": "cà phê", "top_k": 3, "min_similarity": 0},
        headers={"X-Entity-Id": eid},
    )
    ids = {p["id"] for p in api.box.state.products[eid]}
    assert results and all("id" not in r["data"] and r["entity_id"] in ids for r in results)
    status, created, _, _ = await upload(api, xml(api.box))
    assert status == 201 and all(isinstance(job, dict) and job["id"] for job in created["queued_jobs"])


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/entities/{eid}/vendors/{unknown}", {"error": "Vendor not found"}),
        ("/entities/{eid}/invoices/{unknown}", {"message": "Invoice not found"}),
        ("/entities/{unknown}", {"message": "Entity not found"}),
        ("/nowhere", {"message": "Not Found"}),
    ],
)
async def test_alternative_error_bodies(alt_api, path, body):
    eid = big(alt_api.box)["id"]
    status, answer, _, _ = await alt_api.call("GET", API + path.format(eid=eid, unknown=uuid.uuid4()))
    assert status == 404 and answer == body


async def test_alternative_shapes_keep_the_422_list_and_explicit_fault_bodies(alt_api):
    eid = big(alt_api.box)["id"]
    status, answer, _, _ = await alt_api.call("GET", f"{API}/entities/{eid}/invoices", params={"page": 0})
    assert status == 422 and answer["detail"][0]["loc"] == ["query", "page"]
    alt_api.box.inject_fault(503)
    assert (await alt_api.call("GET", f"{API}/users/me"))[1] == {"message": "Service Unavailable"}
    alt_api.box.inject_fault(409, body=json.dumps({"detail": "as given"}))
    assert (await alt_api.call("GET", f"{API}/users/me"))[1] == {"detail": "as given"}
    assert (await alt_api.call("GET", f"{API}/users/me", token="-"))[1] == {
        "message": "Could not validate credentials"
    }


def test_in_thread_takes_the_new_switches():
    with Sandbox.in_thread(int_ids=True, alt_shapes=True) as box:
        assert box.int_ids and box.alt_shapes and box.state.int_ids
        assert all(type(i) is int for i in box.state.invoice_index)
