"""The company registry and the entity search over real HTTP (contract part B3)."""

from __future__ import annotations

import pytest

from finizi_b4b.sandbox import DEMO_ACCOUNTANT, Sandbox
from finizi_b4b.sandbox.data import build_state
from finizi_b4b.sandbox.similarity import fold
from tests.integration.sandbox.client import API, big

pytestmark = pytest.mark.anyio


def scoped(box) -> dict:
    return {"X-Entity-Id": big(box)["id"]}


async def company(api, tax_id: str):
    url = f"{API}/entities/{big(api.box)['id']}/companies/{tax_id}"
    return await api.call("GET", url, headers=scoped(api.box))


def counterparties(box: Sandbox) -> dict[str, tuple[str, str | None]]:
    """Every seeded vendor and customer: tax id -> (name, address) as their invoices carry them."""
    found = {}
    for invoices in box.state.invoices.values():
        for invoice in invoices:
            side = "seller" if invoice["direction"] == 0 else "buyer"
            found[invoice[f"{side}_tax_id"]] = (invoice[f"{side}_name"], invoice[f"{side}_address"])
    for vendors in box.state.vendors.values():
        for vendor in vendors:
            found.setdefault(vendor["tax_id"], (vendor["name"], vendor["address"]))
    return found


async def test_every_seeded_counterparty_is_in_the_registry_as_its_invoices_name_it(api):
    box = api.box
    renamed, unknown = set(box.state.renamed_tax_ids), set(box.state.unregistered_tax_ids)
    assert len(renamed) == len(box.state.entities) == len(unknown) - 1 and not renamed & unknown
    for vendors in box.state.vendors.values():  # one of each among every entity's suppliers
        tax_ids = {v["tax_id"] for v in vendors}
        assert len(tax_ids & renamed) == 1 and len(tax_ids & unknown) == 1
    everyone = counterparties(box)
    assert renamed | unknown <= set(everyone)
    for tax_id, (name, address) in everyone.items():
        status, body, _, _ = await company(api, tax_id)
        if tax_id in unknown:
            assert status == 404 and "detail" in body
            continue
        assert status == 200 and body["tax_code"] == tax_id and body["address"] == address
        assert (body["name"] != name) if tax_id in renamed else (body["name"] == name), tax_id
        assert "status" not in body and "taxpayer_status" not in body


async def test_a_branch_tax_id_gives_the_branch_and_an_unknown_branch_is_404(api):
    vendors = api.box.state.vendors[big(api.box)["id"]]
    branch = next(v for v in vendors if v["tax_id"].endswith("-001"))
    status, body, _, _ = await company(api, branch["tax_id"])
    assert status == 200 and body["name"] == branch["name"] and body["is_branch"] is True
    assert body["parent_tax_code"] == branch["parent_tax_id"]
    assert (await company(api, branch["parent_tax_id"] + "-009"))[0] == 404
    assert (await company(api, "0999999999"))[0] == 404


@pytest.mark.parametrize("bad", ["12345", "0316247298-01", "03162472981234567", "0316247298x"])
async def test_a_malformed_tax_id_is_422(api, bad):
    status, body, _, _ = await company(api, bad)
    assert status == 422 and body["detail"][0]["loc"] == ["path", "tax_code"]


async def test_the_registry_requires_the_header_and_access(api):
    tax_id = big(api.box)["tax_id"]
    url = f"{API}/entities/{big(api.box)['id']}/companies/{tax_id}"
    status, body, _, _ = await api.call("GET", url)
    assert status == 422 and body["detail"][0]["loc"] == ["header", "x-entity-id"]
    await api.login(DEMO_ACCOUNTANT)
    assert (await api.call("GET", url, headers=scoped(api.box)))[0] == 403


def test_the_registry_seeding_is_deterministic_and_leaves_the_invoices_alone():
    one, two, other = build_state(0), build_state(0), build_state(5)
    assert (one.renamed_tax_ids, one.unregistered_tax_ids) == (two.renamed_tax_ids, two.unregistered_tax_ids)
    assert one.renamed_tax_ids != other.renamed_tax_ids
    for tax_id in one.renamed_tax_ids:
        names = {v["name"] for vendors in one.vendors.values() for v in vendors if v["tax_id"] == tax_id}
        assert len(names) == 1 and one.registry[tax_id]["name"] not in names


# -- the search -------------------------------------------------------------------------------------


async def search(api, **params):
    url = f"{API}/entities/{big(api.box)['id']}/search"
    return await api.call("GET", url, params=params, headers=scoped(api.box))


async def test_search_finds_products_lines_and_units_best_first(api):
    eid = big(api.box)["id"]
    product = api.box.state.products[eid][4]
    status, body, _, _ = await search(api, query=product["name"], max_results=50, min_similarity=0.5)
    assert status == 200 and body["search_type"] == "hybrid"
    items = body["items"]
    assert {item["type"] for item in items} >= {"product", "line_item"}
    assert all(set(item) == {"type", "id", "similarity", "data"} for item in items)
    scores = [item["similarity"] for item in items]
    assert scores == sorted(scores, reverse=True) and all(0.5 <= s <= 1 for s in scores)
    assert items[0]["similarity"] == 1.0
    assert any(i["type"] == "product" and i["id"] == product["id"] for i in items)
    keys = [f"{item['type']}:{item['id']}" for item in items]
    assert len(keys) == len(set(keys))
    line = next(i for i in items if i["type"] == "line_item")
    invoice = api.box.state.invoice_index[line["data"]["invoice_id"]]
    assert line["id"] == f"{invoice['id']}:{line['data']['line_number']}"
    assert (
        invoice["line_items"][line["data"]["line_number"] - 1]["description"] == line["data"]["description"]
    )
    assert body["total"] >= len(items)


async def test_search_types_and_data_types(api):
    eid = big(api.box)["id"]
    units = await search(api, query="hộp", data_types="units", search_type="keyword")
    (unit,) = units[1]["items"]
    expected = sum(p["unit_of_measurement"] == "hộp" for p in api.box.state.products[eid])
    assert (unit["type"], unit["id"], unit["data"]["product_count"]) == ("unit", "hộp", expected)
    keyword = (
        await search(
            api, query="ca phe robusta", data_types="products", search_type="keyword", max_results=100
        )
    )[1]
    assert keyword["items"] and all(i["type"] == "product" for i in keyword["items"])
    for item in keyword["items"]:
        words = fold(item["data"]["name"] + " " + item["data"]["description"])
        assert item["similarity"] == round(sum(w in words for w in ("ca", "phe", "robusta")) / 3, 4)
    vector = (await search(api, query="ca phe robusta", data_types="products", search_type="vector"))[1]
    hybrid = (
        await search(api, query="ca phe robusta", data_types="products", max_results=100, min_similarity=0)
    )[1]
    best = {i["id"]: i["similarity"] for i in hybrid["items"]}
    for item in vector["items"]:
        assert best[item["id"]] >= min(round(item["similarity"] * 1.1, 4), 1.0) - 1e-9
    assert len(vector["items"]) <= 10


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"query": ""},
        {"query": "x" * 501},
        {"query": "giấy", "search_type": "fuzzy"},
        {"query": "giấy", "data_types": "products,invoices"},
        {"query": "giấy", "max_results": 0},
        {"query": "giấy", "max_results": 101},
        {"query": "giấy", "min_similarity": 1.5},
    ],
)
async def test_bad_search_queries_are_422(api, params):
    status, body, _, _ = await search(api, **params)
    assert status == 422 and body["detail"][0]["loc"][0] == "query"


async def test_search_requires_the_header(api):
    url = f"{API}/entities/{big(api.box)['id']}/search"
    status, body, _, _ = await api.call("GET", url, params={"query": "giấy"})
    assert status == 422 and body["detail"][0]["loc"] == ["header", "x-entity-id"]


async def test_minimal_registry_answers_name_and_address(minimal_api):
    state = minimal_api.box.state
    vendor = next(v for v in state.vendors[big(minimal_api.box)["id"]] if v["tax_id"] in state.registry)
    status, body, _, _ = await company(minimal_api, vendor["tax_id"])
    assert status == 200 and set(body) == {"name", "address"} and body["address"] == vendor["address"]
