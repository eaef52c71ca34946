"""The sandbox against the API contract (../shared/b4b-api-contract.md), over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
import uuid
from collections import Counter

import aiohttp
import pytest

from finizi_b4b.einvoice_xml import build_einvoice_xml
from finizi_b4b.sandbox import DEMO_ACCOUNTANT, DEMO_ADMIN, Sandbox
from finizi_b4b.sandbox.data import build_state
from tests.integration.sandbox.client import Api

pytestmark = pytest.mark.anyio

API = "/api/v1"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
async def box():
    async with Sandbox(seed=0) as sandbox:
        yield sandbox


@pytest.fixture
async def api(box):
    async with aiohttp.ClientSession() as http:
        client = Api(box, http)
        await client.login()
        yield client


def ids(box: Sandbox) -> tuple[str, str, str]:
    big, accountants, third = list(box.state.entities)[:3]
    return big, accountants, third


# -- auth ---------------------------------------------------------------------------


async def test_health(api):
    assert await api.ok("GET", f"{API}/health", token="-") == {"status": "ok"}


async def test_login_answers_the_contract_shape_and_phones_in_both_forms(api):
    e164 = await api.login(phone="+84909495665")
    local = await api.login(phone="0909495665")
    assert set(e164) >= {"access_token", "refresh_token", "token_type", "expires_in", "user_id"}
    assert e164["token_type"] == "bearer" and e164["expires_in"] == 900
    assert e164["user_id"] == local["user_id"]
    assert e164["access_token"] != local["access_token"]


async def test_wrong_password_and_unknown_phone_answer_alike(api):
    wrong = await api.call("POST", f"{API}/auth/login", json={"phone": DEMO_ADMIN.phone, "password": "nope"})
    unknown = await api.call("POST", f"{API}/auth/login", json={"phone": "0911111111", "password": "nope"})
    assert wrong[0] == unknown[0] == 401
    assert wrong[1] == unknown[1] == {"detail": "Incorrect phone number or password"}
    assert wrong[2]["WWW-Authenticate"] == "Bearer"


async def test_invalid_login_bodies_answer_the_422_list_form(api):
    status, body, _, _ = await api.call("POST", f"{API}/auth/login", json={"phone": DEMO_ADMIN.phone})
    assert status == 422
    assert body["detail"][0]["loc"] == ["body", "password"] and body["detail"][0]["type"] == "missing"
    status, body, _, _ = await api.call(
        "POST", f"{API}/auth/login", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert status == 422 and body["detail"][0]["type"] == "json_invalid"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer garbage", "Basic abc"])
async def test_calls_without_a_valid_token_answer_401(api, header):
    headers = {"Authorization": header} if header else {}
    async with api.http.get(api.box.url + f"{API}/users/me", headers=headers) as resp:
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"] == "Bearer"
        assert "detail" in await resp.json()


async def test_access_tokens_expire_after_their_ttl():
    async with Sandbox(token_ttl=0.3) as box, aiohttp.ClientSession() as http:
        api = Api(box, http)
        await api.login()
        assert (await api.call("GET", f"{API}/users/me"))[0] == 200
        await asyncio.sleep(0.5)
        status, body, _, _ = await api.call("GET", f"{API}/users/me")
        assert status == 401 and body == {"detail": "Token has expired"}


async def test_refresh_rotates_and_the_old_refresh_token_stops_working(api):
    tokens = await api.login()
    api.box.expire_access_tokens()
    assert (await api.call("GET", f"{API}/users/me"))[0] == 401
    before = api.box.counts["auth.refresh"]
    fresh = await api.ok("POST", f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert api.box.counts["auth.refresh"] == before + 1
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert (await api.call("GET", f"{API}/users/me", token=fresh["access_token"]))[0] == 200
    again = await api.call("POST", f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again[0] == 401
    assert tokens["access_token"] in api.box.issued_tokens and fresh["access_token"] in api.box.issued_tokens


async def test_logout_revokes_both_tokens(api):
    tokens = await api.login()
    assert (await api.ok("POST", f"{API}/auth/logout"))["message"]
    assert (await api.call("GET", f"{API}/users/me"))[0] == 401
    assert (await api.call("POST", f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}))[
        0
    ] == 401


# -- users and entities ------------------------------------------------------------------


async def test_users(api):
    admin = await api.ok("GET", f"{API}/users/me")
    assert admin["email"] == DEMO_ADMIN.email and admin["is_super_admin"] is True
    await api.login(DEMO_ACCOUNTANT)
    accountant = await api.ok("GET", f"{API}/users/me")
    assert accountant["phone"] == DEMO_ACCOUNTANT.phone and accountant["is_super_admin"] is False


async def test_my_entities(api):
    entities = await api.ok("GET", f"{API}/users/me/entities")
    assert isinstance(entities, list) and len(entities) >= 3
    assert {e["role"] for e in entities} == {"owner"}
    assert all(re.fullmatch(r"[0-9]{10}", e["tax_id"]) and not e["name"].isascii() for e in entities)
    assert "invoice_count" not in entities[0]
    detailed = await api.ok("GET", f"{API}/users/me/entities", params={"detailed": "true"})
    assert all({"invoice_count", "vendor_count", "product_count"} <= set(e) for e in detailed)
    await api.login(DEMO_ACCOUNTANT)
    mine = await api.ok("GET", f"{API}/users/me/entities")
    assert [(e["id"], e["role"]) for e in mine] == [(ids(api.box)[1], "accountant")]


async def test_another_users_entity_answers_403_everywhere(api):
    big, accountants, _ = ids(api.box)
    await api.login(DEMO_ACCOUNTANT)
    for method, path, kwargs in (
        ("GET", f"/entities/{big}", {}),
        ("GET", f"/entities/{big}/invoices", {}),
        ("GET", f"/entities/{big}/invoices/stats/summary", {}),
        ("GET", f"/entities/{big}/vendors", {}),
        ("GET", f"/entities/{big}/products", {}),
        ("POST", f"/entities/{big}/vendors/search-by-tax-id", {"json": {"tax_id": "0316247298"}}),
        (
            "POST",
            "/semantic-search/products/search",
            {
                "json": {"entity_id": big, "query_text": "giấy", "top_k": 3, "min_similarity": 0},
                "headers": {"X-Entity-Id": big},
            },
        ),
    ):
        status, body, _, _ = await api.call(method, API + path, **kwargs)
        assert status == 403 and "detail" in body, (path, status)
    assert (await api.call("GET", f"{API}/entities/{accountants}"))[0] == 200


async def test_unknown_and_malformed_entity_ids(api):
    assert (await api.call("GET", f"{API}/entities/{UNKNOWN}"))[:2] == (404, {"detail": "Entity not found"})
    status, body, _, _ = await api.call("GET", f"{API}/entities/not-a-uuid/invoices")
    assert status == 422 and body["detail"][0]["loc"] == ["path", "entity_id"]


async def test_create_and_update_entities(api):
    tax_id = f"03{uuid.uuid4().int % 10**8:08d}"
    status, created, _, _ = await api.call(
        "POST", f"{API}/entities", json={"name": "Công ty Mới", "tax_id": tax_id}
    )
    assert status == 201 and created["role"] == "owner" and created["tax_id"] == tax_id
    assert created["id"] in {e["id"] for e in await api.ok("GET", f"{API}/users/me/entities")}
    updated = await api.ok("PUT", f"{API}/entities/{created['id']}", json={"name": "Công ty Đổi Tên"})
    assert updated["name"] == "Công ty Đổi Tên"
    assert (await api.ok("GET", f"{API}/entities/{created['id']}"))["name"] == "Công ty Đổi Tên"
    duplicate = await api.call("POST", f"{API}/entities", json={"name": "X", "tax_id": tax_id})
    assert duplicate[0] == 409


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"tax_id": "0312345678"}, ["body", "name"]),
        ({"name": "A", "tax_id": "12345"}, ["body", "tax_id"]),
        ({"name": "", "tax_id": "0312345678"}, ["body", "name"]),
        ({"name": "A", "tax_id": "0312345678", "email": "nope"}, ["body", "email"]),
    ],
)
async def test_entity_bodies_are_validated(api, body, loc):
    status, answer, _, _ = await api.call("POST", f"{API}/entities", json=body)
    assert status == 422 and answer["detail"][0]["loc"] == loc


async def test_an_accountant_cannot_update_the_entity(api):
    await api.login(DEMO_ACCOUNTANT)
    status, _, _, _ = await api.call("PUT", f"{API}/entities/{ids(api.box)[1]}", json={"name": "X"})
    assert status == 403


# -- the data -------------------------------------------------------------------------------


def test_the_demo_data_is_large_varied_and_deterministic():
    state = build_state(0)
    counts = {eid: len(invoices) for eid, invoices in state.invoices.items()}
    assert len(state.entities) >= 3 and sum(counts.values()) >= 1000 and max(counts.values()) >= 600
    every = [inv for invoices in state.invoices.values() for inv in invoices]
    assert {inv["direction"] for inv in every} == {0, 1}
    assert len({inv["status"] for inv in every}) >= 4
    assert {line["vat_rate"] for inv in every for line in inv["line_items"]} == {0, 5, 8, 10}
    assert {inv["issue_date"][:4] for inv in every} == {"2025", "2026"}
    for vendors in state.vendors.values():
        assert len(vendors) >= 50
        branch = next(v for v in vendors if re.fullmatch(r"[0-9]{10}-001", v["tax_id"]))
        assert any(v["tax_id"] == branch["tax_id"][:10] for v in vendors)
    for products in state.products.values():
        assert len(products) >= 200
        assert all(p["unit_of_measurement"] and p["default_sell_price"] > 0 for p in products)
    again, other = build_state(0), build_state(1)
    assert list(again.entities) == list(state.entities) and again.invoices == state.invoices
    assert list(other.entities) != list(state.entities)


def test_invoice_amounts_add_up():
    for invoices in build_state(0).invoices.values():
        for inv in invoices:
            lines = inv["line_items"]
            assert all(line["amount"] == round(line["quantity"] * line["unit_price"]) for line in lines)
            assert sum(line["amount"] for line in lines) == inv["total_amount_before_tax"]
            assert sum(line["tax_amount"] for line in lines) == inv["total_tax_amount"]
            assert inv["total_amount"] == inv["total_amount_before_tax"] + inv["total_tax_amount"]


# -- invoices ---------------------------------------------------------------------------------


async def test_invoice_paging_edges(api):
    big = ids(api.box)[0]
    total = len(api.box.state.invoices[big])
    url = f"{API}/entities/{big}/invoices"
    first = await api.ok("GET", url, params={"page": 1, "page_size": 50})
    pages = -(-total // 50)
    assert (first["total"], first["page"], first["per_page"], first["pages"]) == (total, 1, 50, pages)
    assert (first["has_next"], first["has_prev"], len(first["items"])) == (True, False, 50)
    middle = await api.ok("GET", url, params={"page": 2, "page_size": 50})
    assert (middle["has_next"], middle["has_prev"]) == (True, True)
    last = await api.ok("GET", url, params={"page": pages, "page_size": 50})
    assert (last["has_next"], len(last["items"])) == (False, total - 50 * (pages - 1))
    beyond = await api.ok("GET", url, params={"page": pages + 1, "page_size": 50})
    assert beyond["items"] == [] and beyond["has_next"] is False
    item = first["items"][0]
    assert "line_items" not in item and item["line_count"] >= 1
    dates = [i["issue_date"] for i in first["items"]]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"page_size": 0}, ["query", "page_size"]),
        ({"page_size": 201}, ["query", "page_size"]),
        ({"page": 0}, ["query", "page"]),
        ({"page": "two"}, ["query", "page"]),
        ({"status": "lost"}, ["query", "status"]),
        ({"direction": 2}, ["query", "direction"]),
        ({"date_from": "2025-02-30"}, ["query", "date_from"]),
        ({"vendor_id": "x"}, ["query", "vendor_id"]),
    ],
)
async def test_invoice_list_rejects_bad_query_values(api, params, loc):
    status, body, _, _ = await api.call("GET", f"{API}/entities/{ids(api.box)[0]}/invoices", params=params)
    assert status == 422 and body["detail"][0]["loc"] == loc


async def test_every_invoice_filter(api):
    big = ids(api.box)[0]
    invoices = api.box.state.invoices[big]
    url = f"{API}/entities/{big}/invoices"

    async def found(**params):
        body = await api.ok("GET", url, params={"page_size": 200, **params})
        return body["total"], {i["id"] for i in body["items"]}

    assert (await found(status="paid"))[0] == sum(i["status"] == "paid" for i in invoices)
    assert (await found(direction=1))[0] == sum(i["direction"] == 1 for i in invoices)
    vendor = next(i["vendor_id"] for i in invoices if i["vendor_id"])
    assert (await found(vendor_id=vendor))[0] == sum(i["vendor_id"] == vendor for i in invoices)
    in_march = sum("2025-03-01" <= i["issue_date"] <= "2025-03-31" for i in invoices)
    assert (await found(date_from="2025-03-01", date_to="2025-03-31"))[0] == in_march
    target = invoices[42]
    assert (await found(invoice_series=target["invoice_series"], invoice_number=target["invoice_number"]))[
        1
    ] == {target["id"]}
    seller = target["seller_name"]
    folded = seller.lower().replace("đ", "d")
    import unicodedata

    plain = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    total, _ = await found(q=plain.upper()[:20])
    assert total >= 1 and total == (await found(q=seller[:20]))[0]


async def test_get_invoice_and_another_entitys_invoice(api):
    big, _, third = ids(api.box)
    invoice = api.box.state.invoices[big][0]
    body = await api.ok("GET", f"{API}/entities/{big}/invoices/{invoice['id']}")
    assert set(body["line_items"][0]) == {
        "line_number", "description", "unit", "quantity", "unit_price", "vat_rate", "amount", "tax_amount",
    }  # fmt: skip
    assert (await api.call("GET", f"{API}/entities/{third}/invoices/{invoice['id']}"))[0] == 404
    assert (await api.call("GET", f"{API}/entities/{big}/invoices/{UNKNOWN}"))[0] == 404


async def test_statistics_are_computed_from_the_data(api):
    big = ids(api.box)[0]
    invoices = api.box.state.invoices[big]
    stats = await api.ok("GET", f"{API}/entities/{big}/invoices/stats/summary")
    assert stats["total_count"] == len(invoices)
    assert sum(s["count"] for s in stats["by_status"].values()) == len(invoices)
    assert Counter({k: v["count"] for k, v in stats["by_status"].items()}) == Counter(
        i["status"] for i in invoices
    )
    live = [i for i in invoices if i["status"] != "cancelled"]
    assert stats["total_amount"] == sum(i["total_amount"] for i in live)
    by_direction = stats["by_direction"]
    assert (
        by_direction["purchase"]["total_amount"] + by_direction["sales"]["total_amount"]
        == stats["total_amount"]
    )
    narrow = await api.ok(
        "GET", f"{API}/entities/{big}/invoices/stats/summary", params={"date_from": "2026-01-01"}
    )
    assert (
        narrow["total_count"] == sum(i["issue_date"] >= "2026-01-01" for i in invoices) < stats["total_count"]
    )


# -- XML import ------------------------------------------------------------------------------


def xml_for(box, *, buyer_tax_id=None, seller_tax_id="0301234567", number=None) -> bytes:
    big_tax_id = box.state.entities[ids(box)[0]]["tax_id"]
    return build_einvoice_xml(
        series="C26TKT",
        number=number or str(uuid.uuid4().int % 10**7),
        issue_date=dt.date(2026, 4, 2),
        seller={"name": "Công ty TNHH In Ấn Phương Nam", "tax_id": seller_tax_id, "address": "Quận 3"},
        buyer={"name": "Người mua", "tax_id": buyer_tax_id or big_tax_id},
        lines=[
            {"name": "Giấy in A4", "unit": "ram", "quantity": 10, "unit_price": 78000, "vat_rate": 10},
            {"name": "Phí giao hàng", "unit": "lần", "quantity": 1, "unit_price": 50000, "vat_rate": 8},
        ],
    )


async def upload(api, content: bytes, *, auto_classify: str = "true", field: str = "file"):
    form = aiohttp.FormData()
    form.add_field(field, content, filename="invoice.xml", content_type="application/xml")
    big = ids(api.box)[0]
    return await api.call(
        "POST", f"{API}/entities/{big}/invoices/xml", params={"auto_classify": auto_classify}, data=form
    )


async def test_import_creates_the_invoice_then_refuses_a_duplicate(api):
    content = xml_for(api.box)
    status, created, _, _ = await upload(api, content)
    assert status == 201, created
    assert created["direction"] == 0 and created["queued_jobs"]
    assert created["total_amount"] == 780000 + 78000 + 50000 + 4000
    big = ids(api.box)[0]
    again = await api.ok("GET", f"{API}/entities/{big}/invoices/{created['id']}")
    assert [line["description"] for line in again["line_items"]] == ["Giấy in A4", "Phí giao hàng"]
    listed = await api.ok("GET", f"{API}/entities/{big}/invoices", params={"invoice_series": "C26TKT"})
    assert created["id"] in {i["id"] for i in listed["items"]}
    status, body, _, _ = await upload(api, content)
    assert status == 409 and "already exists" in body["detail"]


async def test_import_as_seller_is_a_sale_and_auto_classify_can_be_off(api):
    big_tax_id = api.box.state.entities[ids(api.box)[0]]["tax_id"]
    content = xml_for(api.box, seller_tax_id=big_tax_id, buyer_tax_id="0109999999")
    status, created, _, _ = await upload(api, content, auto_classify="false")
    assert status == 201 and created["direction"] == 1 and created["queued_jobs"] == []


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        (lambda x: x.replace(b"<SHDon>", b"<Bogus>").replace(b"</SHDon>", b"</Bogus>"), "SHDon is missing"),
        (lambda x: x[: len(x) // 2], "not well-formed"),
        (lambda x: x.replace(b"<TgTTTBSo>", b"<TgTTTBSo>9"), "TgTTTBSo is"),
        (lambda x: x.replace(b"<TSuat>10%", b"<TSuat>7%"), "is not a VAT rate in use"),
    ],
)
async def test_import_refuses_malformed_or_incomplete_xml_precisely(api, change, detail):
    status, body, _, _ = await upload(api, change(xml_for(api.box)))
    assert status == 422 and detail in body["detail"], body


async def test_import_of_an_invoice_of_someone_else_is_422(api):
    status, body, _, _ = await upload(api, xml_for(api.box, buyer_tax_id="0100000001"))
    assert status == 422 and "neither the seller" in body["detail"]


async def test_import_resolves_no_entities(api):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
        b"]><HDon>&lol3;</HDon>"
    )
    started = time.perf_counter()
    status, body, _, _ = await upload(api, bomb)
    assert status == 422 and "DOCTYPE" in body["detail"] and time.perf_counter() - started < 2
    external = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><HDon>&e;</HDon>'
    status, body, _, text = await upload(api, external)
    assert status == 422 and "root:" not in text


async def test_import_over_5_mb_is_413_and_a_missing_file_is_422(api):
    status, body, _, _ = await upload(api, b"<HDon>" + b" " * (5 * 1024 * 1024) + b"</HDon>")
    assert status == 413 and "5 MB" in body["detail"]
    status, body, _, _ = await upload(api, xml_for(api.box), field="document")
    assert status == 422 and body["detail"][0]["loc"] == ["body", "file"]


# -- vendors and products ----------------------------------------------------------------------


async def test_vendors(api):
    big = ids(api.box)[0]
    vendors = api.box.state.vendors[big]
    page = await api.ok("GET", f"{API}/entities/{big}/vendors", params={"page": 2, "page_size": 20})
    assert page["total"] == len(vendors) and len(page["items"]) == 20 and page["has_prev"] is True
    found = await api.ok("GET", f"{API}/entities/{big}/vendors", params={"q": "phan phoi mien nam"})
    assert found["total"] == 2
    one = await api.ok("GET", f"{API}/entities/{big}/vendors/{vendors[5]['id']}")
    assert one["id"] == vendors[5]["id"] and "invoice_count" in one
    assert (await api.call("GET", f"{API}/entities/{big}/vendors/{UNKNOWN}"))[0] == 404


async def test_vendor_search_by_tax_id_with_the_branch_fallback(api):
    big = ids(api.box)[0]
    branch = next(v for v in api.box.state.vendors[big] if v["tax_id"].endswith("-001"))
    url = f"{API}/entities/{big}/vendors/search-by-tax-id"
    exact = await api.ok("POST", url, json={"tax_id": branch["tax_id"]})
    assert exact["data"]["vendor"]["id"] == branch["id"] and exact["data"]["matched_parent"] is False
    fallback = await api.ok("POST", url, json={"tax_id": branch["parent_tax_id"] + "-002"})
    assert (
        fallback["data"]["vendor"]["tax_id"] == branch["parent_tax_id"] and fallback["data"]["matched_parent"]
    )
    assert (await api.call("POST", url, json={"tax_id": "0999999999"}))[0] == 404
    assert (await api.call("POST", url, json={"tax_id": "12-34"}))[0] == 422


async def test_products_page_with_per_page_only(api):
    big = ids(api.box)[0]
    url = f"{API}/entities/{big}/products"
    page = await api.ok("GET", url, params={"per_page": 7, "page": 3})
    assert (len(page["items"]), page["per_page"], page["page"]) == (7, 7, 3)
    ignored = await api.ok("GET", url, params={"page_size": 7})  # products do not read page_size
    assert len(ignored["items"]) == 20
    found = await api.ok("GET", url, params={"search": "ca phe"})
    assert found["total"] >= 1 and all("Cà phê" in p["name"] for p in found["items"])
    assert (await api.call("GET", url, params={"per_page": 201}))[0] == 422


async def test_similarity_search(api):
    big = ids(api.box)[0]
    name = api.box.state.products[big][3]["name"]
    url = f"{API}/semantic-search/products/search"
    body = {"entity_id": big, "query_text": name, "top_k": 5, "min_similarity": 0.1}
    scoped = {"X-Entity-Id": big}
    results = await api.ok("POST", url, json=body, headers=dict(scoped))
    assert isinstance(results, list) and 1 <= len(results) <= 5
    assert results[0]["data"]["name"] == name and results[0]["similarity"] == 1.0
    assert all(r["entity_type"] == "product" and "metadata" in r for r in results)
    assert all(r["entity_id"] == r["data"]["id"] and r["data"]["entity_id"] == big for r in results)
    scores = [r["similarity"] for r in results]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    assert await api.ok("POST", url, json=body, headers=dict(scoped)) == results
    strict = await api.ok("POST", url, json={**body, "min_similarity": 0.99}, headers=dict(scoped))
    assert [r["data"]["name"] for r in strict] == [name]
    for missing in ("entity_id", "query_text", "top_k", "min_similarity"):
        partial = {k: v for k, v in body.items() if k != missing}
        status, answer, _, _ = await api.call("POST", url, json=partial, headers=dict(scoped))
        assert status == 422 and ["body", missing] in [d["loc"] for d in answer["detail"]]


# -- errors and faults ----------------------------------------------------------------------------


async def test_unknown_path_and_method(api):
    assert (await api.call("GET", f"{API}/nowhere"))[:2] == (404, {"detail": "Not Found"})
    status, body, headers, _ = await api.call("DELETE", f"{API}/users/me")
    assert status == 405 and body == {"detail": "Method Not Allowed"} and "GET" in headers["Allow"]


async def test_faults_fail_the_next_requests_then_stop(api):
    api.box.inject_fault(503, count=2, body="<html><h1>503</h1></html>", content_type="text/html")
    for _ in range(2):
        status, body, _, text = await api.call("GET", f"{API}/users/me")
        assert status == 503 and body is None and "<h1>503</h1>" in text
    assert (await api.call("GET", f"{API}/users/me"))[0] == 200


async def test_fault_headers_paths_methods_and_clearing(api):
    api.box.inject_fault(429, headers={"Retry-After": "7"}, path=f"{API}/users/me/entities")
    assert (await api.call("GET", f"{API}/users/me"))[0] == 200  # another path
    status, _, headers, _ = await api.call("GET", f"{API}/users/me/entities")
    assert status == 429 and headers["Retry-After"] == "7"
    api.box.inject_fault(500, method="POST")
    assert (await api.call("GET", f"{API}/users/me"))[0] == 200
    api.box.clear_faults()
    assert (await api.call("POST", f"{API}/auth/logout"))[0] == 200


async def test_a_delay_fault_slows_a_request_down(api):
    api.box.inject_fault(None, delay=0.3)
    started = time.perf_counter()
    assert (await api.call("GET", f"{API}/users/me"))[0] == 200
    assert 0.25 <= time.perf_counter() - started < 5


async def test_control_endpoints_only_when_enabled():
    async with (
        Sandbox() as off,
        aiohttp.ClientSession() as http,
        http.post(off.url + "/_sandbox/faults", json={"status": 503}) as resp,
    ):
        assert resp.status == 404
    async with Sandbox(control=True) as box, aiohttp.ClientSession() as http:
        api = Api(box, http)
        await api.login()
        status, fault, _, _ = await api.call("POST", "/_sandbox/faults", json={"status": 502, "count": 1})
        assert status == 201 and fault["status"] == 502
        assert (await api.call("GET", f"{API}/users/me"))[0] == 502
        stats = await api.ok("GET", "/_sandbox/stats")
        assert stats["counts"]["users.me"] >= 1 and stats["tokens_issued"] == 2
        await api.ok("POST", "/_sandbox/expire-tokens")
        assert (await api.call("GET", f"{API}/users/me"))[0] == 401
        await api.ok("DELETE", "/_sandbox/faults")
