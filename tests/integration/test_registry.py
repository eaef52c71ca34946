"""lookup_company and check_suppliers through a real client session, against the sandbox's company registry.

The expected answers are computed here straight from ``box.state``: the
purchase invoices (``state.invoices``), the registry's records
(``state.registry``) and the companies it knows otherwise than their invoices
or not at all (``state.renamed_tax_ids``, ``state.unregistered_tax_ids``).
The registry tests run against sandboxes of their own, in the default and
the minimal mode, so that no invoice imported by another test joins a period.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import anyio
import pytest
from mcp import Client

from finizi_b4b.server import build_server
from tests.conftest import body_of, settings_for

pytestmark = pytest.mark.anyio

YEARS = ("2025", "2026")


def open_client(sandbox, mode: str = "legacy", **changes) -> Client:
    return Client(build_server(settings_for(sandbox, **changes)), mode=mode)


async def call(client, tool: str, arguments: dict, **options) -> dict:
    result = await client.call_tool(tool, arguments, **options)
    body = body_of(result)
    assert not result.is_error, body
    return body


def entity_ids(sandbox) -> list[str]:
    return list(sandbox.state.entities)


def a_year(year: str) -> dict:
    return {"date_from": f"{year}-01-01", "date_to": f"{year}-12-31"}


# -- the reference -----------------------------------------------------------------------------------


def suppliers_of(sandbox, entity_id: str, year: str) -> dict[str, dict]:
    """Per seller tax id: the non-cancelled purchase invoices of the year, their input VAT and the
    name on the newest of them."""
    found: dict[str, dict] = defaultdict(lambda: {"ids": [], "vat": Decimal(0), "name": None, "day": ""})
    for invoice in sandbox.state.invoices[entity_id]:
        if invoice["direction"] != 0 or invoice["status"] == "cancelled":
            continue
        if not invoice["issue_date"].startswith(year):
            continue
        supplier = found[invoice["seller_tax_id"]]
        supplier["ids"].append(invoice["id"])
        supplier["vat"] += Decimal(str(invoice["total_tax_amount"]))
        if invoice["issue_date"] > supplier["day"]:
            supplier["name"], supplier["day"] = invoice["seller_name"], invoice["issue_date"]
    return dict(found)


def expected(sandbox, entity_id: str, year: str) -> tuple[dict[str, dict], set[str], set[str]]:
    """The suppliers, those the registry does not know, and those it names otherwise."""
    suppliers, registry = suppliers_of(sandbox, entity_id, year), sandbox.state.registry
    unknown = {tax_id for tax_id in suppliers if tax_id not in registry}
    renamed = {t for t, s in suppliers.items() if t in registry and registry[t]["name"] != s["name"]}
    return suppliers, unknown, renamed


def check_entry(entry: dict, supplier: dict) -> None:
    assert entry["invoices"] == len(supplier["ids"])
    assert Decimal(str(entry["input_vat"])) == supplier["vat"]
    assert entry["name"] == supplier["name"]
    assert set(entry["invoice_ids"]) <= set(supplier["ids"])
    assert len(entry["invoice_ids"]) == min(5, len(supplier["ids"]))


# -- lookup_company --------------------------------------------------------------------------------


async def test_a_company_is_named_and_addressed_as_the_registry_gives_it(box, era):
    entity = entity_ids(box)[0]
    vendor = next(v for v in box.state.vendors[entity] if "-" not in v["tax_id"])
    record = box.state.registry[vendor["tax_id"]]
    async with open_client(box, era) as client:
        body = await call(client, "lookup_company", {"entity_id": entity, "tax_id": vendor["tax_id"]})
    data = body["data"]
    assert (data["tax_id"], data["name"], data["address"]) == (
        vendor["tax_id"],
        record["name"],
        record["address"],
    )
    assert data["is_branch"] is False and "status" not in data
    assert "gives no taxpayer status" in body["message"] and record["name"] in body["message"]


async def test_a_branch_is_the_branch_with_its_parent_named(box):
    entity = entity_ids(box)[0]
    branch = next(v for v in box.state.vendors[entity] if v["tax_id"].endswith("-001"))
    async with open_client(box) as client:
        body = await call(client, "lookup_company", {"entity_id": entity, "tax_id": branch["tax_id"]})
    assert body["data"]["name"] == branch["name"] and body["data"]["is_branch"] is True
    assert body["data"]["parent_tax_code"] == branch["parent_tax_id"]
    assert f"a branch of {branch['parent_tax_id']}" in body["message"]


async def test_a_tax_id_the_registry_does_not_know_is_not_found_in_its_words(box, era):
    entity, tax_id = entity_ids(box)[0], box.state.unregistered_tax_ids[0]
    async with open_client(box, era) as client:
        result = await client.call_tool("lookup_company", {"entity_id": entity, "tax_id": tax_id})
    body = body_of(result)
    assert result.is_error and body["code"] == "not_found"
    assert f"registry does not know the tax id {tax_id}" in body["error"]


async def test_the_minimal_answer_is_shown_with_nothing_made_up(lean):
    entity = entity_ids(lean)[0]
    branch = next(v for v in lean.state.vendors[entity] if v["tax_id"].endswith("-001"))
    async with open_client(lean) as client:
        body = await call(client, "lookup_company", {"entity_id": entity, "tax_id": branch["tax_id"]})
    assert body["data"] == {"tax_id": branch["tax_id"], "name": branch["name"], "address": branch["address"]}
    assert "branch of" not in body["message"] and "gives no taxpayer status" in body["message"]


# -- check_suppliers -------------------------------------------------------------------------------


async def test_every_year_of_every_entity_finds_exactly_the_seeded_renamed_and_unknown_suppliers(box):
    found_unknown, found_renamed = set(), set()
    async with open_client(box) as client:
        for entity in entity_ids(box):
            for year in YEARS:
                suppliers, unknown, renamed = expected(box, entity, year)
                body = await call(client, "check_suppliers", {"entity_id": entity, **a_year(year)})
                data = body["data"]
                assert {e["tax_id"] for e in data["unknown"]} == unknown, (entity, year)
                assert {e["tax_id"] for e in data["renamed"]} == renamed, (entity, year)
                assert data["suppliers"] == data["checked"] == len(suppliers) and data["not_checked"] == []
                assert data["confirmed"] == len(suppliers) - len(unknown) - len(renamed)
                assert data["invoices"] == sum(len(s["ids"]) for s in suppliers.values())
                for entry in data["unknown"] + data["renamed"]:
                    check_entry(entry, suppliers[entry["tax_id"]])
                for entry in data["renamed"]:
                    assert entry["registry_name"] == box.state.registry[entry["tax_id"]]["name"]
                    assert entry["differs"] == "legal_form"  # the seeded renames change the legal form only
                found_unknown |= unknown
                found_renamed |= renamed
    sold_to = {
        i["buyer_tax_id"] for invoices in box.state.invoices.values() for i in invoices if i["direction"]
    }
    assert found_renamed == set(box.state.renamed_tax_ids)
    assert found_unknown == set(box.state.unregistered_tax_ids) - sold_to
    assert found_unknown and found_renamed


async def test_the_message_counts_and_sums_what_it_found(box, era):
    entity, year = next((e, y) for e in entity_ids(box) for y in YEARS if all(expected(box, e, y)[1:]))
    suppliers, unknown, renamed = expected(box, entity, year)
    async with open_client(box, era) as client:
        body = await call(client, "check_suppliers", {"entity_id": entity, **a_year(year)})
    vat = sum(suppliers[t]["vat"] for t in unknown)
    assert f"{len(unknown)} unknown to the registry (input VAT {int(vat):,} VND)" in body["message"]
    assert f"{len(renamed)} named otherwise by the registry" in body["message"]
    assert "data written by others" in body["message"]


async def test_minimal_items_lead_to_the_tax_ids_through_the_vendor_records(lean):
    entity, year = next((e, y) for e in entity_ids(lean) for y in YEARS if all(expected(lean, e, y)[1:]))
    suppliers, unknown, renamed = expected(lean, entity, year)
    lean.clear_seen()
    async with open_client(lean) as client:
        body = await call(client, "check_suppliers", {"entity_id": entity, **a_year(year)})
    data = body["data"]
    assert {e["tax_id"] for e in data["unknown"]} == unknown
    assert {e["tax_id"] for e in data["renamed"]} == renamed
    assert data["checked"] == len(suppliers) and data["not_checked"] == []
    for entry in data["unknown"] + data["renamed"]:
        check_entry(entry, suppliers[entry["tax_id"]])
    vendor_reads = [r for r in lean.seen if r.method == "GET" and f"/entities/{entity}/vendors/" in r.path]
    assert len(vendor_reads) == len(suppliers)  # one per supplier: the items carry no tax id
    assert "without a currency" in body["message"]  # minimal items carry none: VND is assumed, and said


async def test_progress_after_each_look_up_only_ever_increases(box):
    entity = entity_ids(box)[0]
    suppliers, _, _ = expected(box, entity, "2025")
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress, total, message):
        seen.append((progress, total, message))

    async with open_client(box) as client:
        await call(
            client, "check_suppliers", {"entity_id": entity, **a_year("2025")}, progress_callback=on_progress
        )
    values = [p for p, _, _ in seen]
    assert values == sorted(values) and len(set(values)) == len(values)
    checks = [m for _, _, m in seen if m and m.startswith("Checked ")]
    assert len(checks) == len(suppliers)
    assert checks[-1] == f"Checked {len(suppliers)} of {len(suppliers)} suppliers with the registry"


async def test_a_deadline_leaves_the_slow_look_up_listed_as_not_checked(box):
    entity = entity_ids(box)[0]
    suppliers, _, _ = expected(box, entity, "2025")
    async with open_client(box, call_deadline=3.0) as client:
        await call(client, "whoami", {})  # signed in before the clock of the check starts
        box.inject_fault(None, delay=6.0, path=f"/api/v1/entities/{entity}/companies/", count=1)
        try:
            with anyio.fail_after(15):
                body = await call(client, "check_suppliers", {"entity_id": entity, **a_year("2025")})
        finally:
            box.clear_faults()
    data = body["data"]
    assert [e["reason"] for e in data["not_checked"]] == ["time"]
    assert data["not_checked"][0]["tax_id"] in suppliers
    assert data["checked"] == len(suppliers) - 1 == data["suppliers"] - 1
    assert "1 not checked" in body["message"] and "time limit" in body["message"]


async def test_purchases_not_read_within_the_deadline_give_no_check(box):
    entity = entity_ids(box)[0]
    async with open_client(box, call_deadline=2.0) as client:
        await call(client, "whoami", {})
        box.inject_fault(None, delay=5.0, path=f"/api/v1/entities/{entity}/invoices", count=1)
        try:
            with anyio.fail_after(10):
                result = await client.call_tool("check_suppliers", {"entity_id": entity, **a_year("2025")})
        finally:
            box.clear_faults()
    body = body_of(result)
    assert result.is_error and body["code"] == "backend_timeout"
    assert "purchase invoices could not all be read within the call's time limit (2 s)" in body["error"]


async def test_a_failed_look_up_is_listed_with_its_reason(box):
    entity = entity_ids(box)[0]
    suppliers, _, _ = expected(box, entity, "2025")
    async with open_client(box) as client:
        await call(client, "whoami", {})
        box.inject_fault(500, path=f"/api/v1/entities/{entity}/companies/", count=1)
        try:
            body = await call(client, "check_suppliers", {"entity_id": entity, **a_year("2025")})
        finally:
            box.clear_faults()
    assert [e["reason"] for e in body["data"]["not_checked"]] == ["error:backend_error"]
    assert body["data"]["checked"] == len(suppliers) - 1


async def test_when_no_look_up_succeeds_the_call_fails_with_the_reason(box):
    entity = entity_ids(box)[0]
    async with open_client(box) as client:
        await call(client, "whoami", {})
        box.inject_fault(500, path=f"/api/v1/entities/{entity}/companies/", count=1000)
        try:
            result = await client.call_tool("check_suppliers", {"entity_id": entity, **a_year("2025")})
        finally:
            box.clear_faults()
    body = body_of(result)
    assert result.is_error and body["code"] == "backend_error"


async def test_a_period_the_wrong_way_round_is_refused_before_any_request(box):
    entity = entity_ids(box)[0]
    async with open_client(box) as client:
        await call(client, "whoami", {})
        box.clear_seen()
        result = await client.call_tool(
            "check_suppliers", {"entity_id": entity, "date_from": "2025-12-31", "date_to": "2025-01-01"}
        )
    body = body_of(result)
    assert result.is_error and body["code"] == "invalid_arguments" and "date_from" in body["error"]
    assert box.seen == []


async def test_an_entity_that_is_not_yours_is_not_found(box):
    async with open_client(box) as client:
        result = await client.call_tool(
            "check_suppliers", {"entity_id": "3f2b8c1e-9a4d-4e7b-8c21-5d6f7a8b9c0d", **a_year("2025")}
        )
    assert body_of(result)["code"] == "not_found"
