"""summarize_invoices through a real client session, checked against sums made here from the sandbox's data.

The expected figures are computed in this file straight from
``box.state.invoices`` (the records the sandbox serves), with plain integer
arithmetic, and never from anything the server sends.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict

import anyio
import pytest
from mcp import Client

from finizi_b4b.sandbox import Sandbox
from finizi_b4b.server import build_server

from .conftest import body_of, settings_for

pytestmark = pytest.mark.anyio

LIST_PATH = "/api/v1/entities/{}/invoices"


# -- the independent reference -------------------------------------------------------------------


def key_part(invoice: dict, name: str) -> str:
    day = invoice["issue_date"]
    if name == "month":
        return day[:7]
    if name == "quarter":
        return f"{day[:4]}-Q{(int(day[5:7]) + 2) // 3}"
    if name == "year":
        return day[:4]
    if name == "vendor":
        return invoice["seller_tax_id"] if invoice["direction"] == 0 else invoice["buyer_tax_id"]
    if name == "direction":
        return "purchase" if invoice["direction"] == 0 else "sales"
    return invoice[name]


def chosen(invoices, *, date_from=None, date_to=None, direction=None, status=None):
    return [
        inv
        for inv in invoices
        if (date_from is None or inv["issue_date"] >= date_from)
        and (date_to is None or inv["issue_date"] <= date_to)
        and (direction is None or inv["direction"] == {"purchase": 0, "sales": 1}[direction])
        and (status is None or inv["status"] == status)
    ]


def sums(invoices) -> dict:
    return {
        "count": len(invoices),
        "net": sum(inv["total_amount_before_tax"] for inv in invoices),
        "tax": sum(inv["total_tax_amount"] for inv in invoices),
        "total": sum(inv["total_amount"] for inv in invoices),
    }


def expected_groups(invoices, group_by) -> list[tuple[tuple, list[dict]]]:
    """(key, invoices) per group, largest total first (ties by key)."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for inv in invoices:
        groups[tuple(key_part(inv, name) for name in group_by)].append(inv)
    return sorted(groups.items(), key=lambda kv: (-sum(i["total_amount"] for i in kv[1]), kv[0]))


def newest_name(invoices, tax_id: str) -> str:
    for inv in invoices:  # the sandbox keeps them newest first, as the API lists them
        if inv["direction"] == 0 and inv["seller_tax_id"] == tax_id:
            return inv["seller_name"]
        if inv["direction"] == 1 and inv["buyer_tax_id"] == tax_id:
            return inv["buyer_name"]
    raise AssertionError(tax_id)


def check(data: dict, invoices: list[dict], group_by: list[str], top: int) -> None:
    """Every figure of a one-currency summary equals the reference."""
    assert data["currency"] == "VND"
    assert data["totals"] == sums(invoices)
    ordered = expected_groups(invoices, group_by)
    assert data["group_count"] == len(ordered)
    rows = data["groups"]
    shown, rest = ordered[:top], ordered[top:]
    assert len(rows) == len(shown) + (1 if rest else 0)
    for row, (key, members) in zip(rows, shown, strict=False):
        assert tuple(row[name] for name in group_by) == key
        assert {k: row[k] for k in ("count", "net", "tax", "total")} == sums(members)
        if "vendor" in group_by:
            assert newest_name(invoices, row["vendor"]).startswith(row["name"].removesuffix("…"))
    if rest:
        others = rows[-1]
        assert others == {"others": len(rest), **sums([inv for _, members in rest for inv in members])}


async def summarize(client, arguments: dict, **kwargs) -> dict:
    result = await client.call_tool("summarize_invoices", arguments, **kwargs)
    body = body_of(result)
    assert body["success"] is True, body
    return body


def list_requests(box, entity_id: str) -> list:
    return [seen for seen in box.seen if seen.path == LIST_PATH.format(entity_id)]


# -- every grouping --------------------------------------------------------------------------------


GROUPINGS = [
    ["month"],
    ["quarter"],
    ["year"],
    ["vendor"],
    ["status"],
    ["direction"],
    ["month", "direction"],
    ["vendor", "quarter"],
    ["year", "status"],
    ["direction", "vendor"],
]


@pytest.mark.parametrize("group_by", GROUPINGS, ids="+".join)
async def test_every_grouping_matches_the_sandbox(connect, sandbox, world, era, group_by):
    async with connect(era) as client:
        body = await summarize(client, {"entity_id": world.big, "group_by": group_by, "top": 50})
    check(body["data"], sandbox.state.invoices[world.big], group_by, 50)
    assert body["data"]["group_by"] == group_by


async def test_vendor_spend_in_a_year_with_top_and_others(connect, sandbox, world, era):
    arguments = {
        "entity_id": world.big,
        "date_from": "2026-01-01",
        "date_to": "2026-12-31",
        "direction": "purchase",
        "group_by": ["vendor"],
    }
    async with connect(era) as client:
        body = await summarize(client, arguments)
    invoices = chosen(
        sandbox.state.invoices[world.big], date_from="2026-01-01", date_to="2026-12-31", direction="purchase"
    )
    assert len(expected_groups(invoices, ["vendor"])) > 12  # so that "others" is exercised
    check(body["data"], invoices, ["vendor"], 12)
    assert body["data"]["groups"][-1]["others"] > 0
    assert "12 largest are shown" in body["message"]


async def test_twelve_groups_fit_in_4_kb(connect, world):
    async with connect() as client:
        result = await client.call_tool(
            "summarize_invoices", {"entity_id": world.big, "group_by": ["vendor", "month"]}
        )
    text = result.content[0].text
    body = json.loads(text)
    assert len(body["data"]["groups"]) == 13  # 12 and "others"
    assert len(text.encode()) < 4096, len(text.encode())


async def test_filters_reach_the_api_and_the_sums(connect, sandbox, world):
    async with connect() as client:
        body = await summarize(
            client,
            {"entity_id": world.big, "status": "paid", "date_from": "2025-04-01", "group_by": ["quarter"]},
        )
    invoices = chosen(sandbox.state.invoices[world.big], status="paid", date_from="2025-04-01")
    check(body["data"], invoices, ["quarter"], 12)


async def test_an_empty_period(connect, sandbox, world, era):
    async with connect(era) as client:
        for group_by in ([], ["vendor"], ["status"]):
            arguments = {"entity_id": world.big, "date_from": "2031-01-01", "date_to": "2031-12-31"}
            body = await summarize(client, arguments | ({"group_by": group_by} if group_by else {}))
            assert body["data"]["totals"] == {"count": 0, "net": 0, "tax": 0, "total": 0}
            assert body["data"].get("groups", []) == []
            assert body["message"] == "No invoices match these filters."


async def test_dates_in_the_wrong_order(connect, world):
    async with connect() as client:
        result = await client.call_tool(
            "summarize_invoices", {"entity_id": world.big, "date_from": "2026-02-01", "date_to": "2026-01-01"}
        )
    body = body_of(result)
    assert result.is_error and body["code"] == "invalid_arguments"
    assert "date_from (2026-02-01) is after date_to (2026-01-01)" in body["error"]


# -- the API's own sums ----------------------------------------------------------------------------


@pytest.mark.parametrize("group_by", [[], ["status"]], ids=["totals", "status"])
async def test_the_api_aggregations_answer_without_paging(connect, sandbox, world, era, group_by):
    async with connect(era) as client:
        sandbox.clear_seen()
        arguments = {"entity_id": world.big, "top": 50} | ({"group_by": group_by} if group_by else {})
        body = await summarize(client, arguments)
    requests = list_requests(sandbox, world.big)
    assert len(requests) == 1 and "page_size=1" in requests[0].query.split("&")
    assert body["data"]["source"] == "aggregations"
    invoices = sandbox.state.invoices[world.big]
    assert body["data"]["totals"] == sums(invoices)
    if group_by:
        check(body["data"], invoices, group_by, 50)


async def test_without_aggregations_the_server_pages_instead(connect, sandbox, world):
    total = len(sandbox.state.invoices[world.big])
    bare = {"items": [], "total": total, "page": 1, "per_page": 1, "pages": total, "has_next": True}
    async with connect() as client:
        sandbox.clear_seen()
        sandbox.inject_fault(200, body=json.dumps(bare), path=LIST_PATH.format(world.big), method="GET")
        body = await summarize(client, {"entity_id": world.big})
    assert body["data"]["source"] == "invoices"
    assert body["data"]["totals"] == sums(sandbox.state.invoices[world.big])
    assert len(list_requests(sandbox, world.big)) == 1 + math.ceil(total / 200)


# -- paging: progress, the 20,000 stop, cancellation -----------------------------------------------


async def test_progress_after_every_page(connect, sandbox, world, era):
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress, total, message):
        seen.append((progress, total, message))

    total = len(sandbox.state.invoices[world.big])
    async with connect(era) as client:
        arguments = {"entity_id": world.big, "group_by": ["vendor"]}
        await summarize(client, arguments, progress_callback=on_progress)
    pages = math.ceil(total / 200)
    assert [(p, t) for p, t, _ in seen] == [(min(200 * n, total), total) for n in range(1, pages + 1)]
    assert seen[-1][2] == f"Read {total} of {total} invoices (page {pages})"


async def test_more_than_20000_invoices_is_refused_before_adding_up(connect, sandbox, world, era):
    invoice = {k: v for k, v in sandbox.state.invoices[world.big][0].items() if k != "line_items"}
    huge = {"items": [invoice], "total": 25_000, "page": 1, "per_page": 200, "pages": 125, "has_next": True}
    async with connect(era) as client:
        sandbox.clear_seen()
        sandbox.inject_fault(200, body=json.dumps(huge), path=LIST_PATH.format(world.big), method="GET")
        arguments = {"entity_id": world.big, "group_by": ["vendor"]}
        result = await client.call_tool("summarize_invoices", arguments)
        body = body_of(result)
        assert result.is_error and body["code"] == "invalid_arguments"
        assert body["error"].startswith("25,000 invoices match; a summary adds up at most 20,000")
        assert "date_from" in body["error"]
        assert len(list_requests(sandbox, world.big)) == 1  # no page after the first
        # The next call is not affected.
        again = await summarize(client, {"entity_id": world.big, "group_by": ["direction"]})
    check(again["data"], sandbox.state.invoices[world.big], ["direction"], 12)


async def test_cancelling_part_way_stops_the_paging(connect, sandbox, world, era):
    path = LIST_PATH.format(world.big)
    started = anyio.Event()

    async def on_progress(progress, total, message):
        started.set()

    async with connect(era) as client:
        sandbox.clear_seen()
        sandbox.inject_fault(None, delay=0.3, count=50, path=path, method="GET")  # every page is slow
        with anyio.fail_after(20):
            async with anyio.create_task_group() as group:

                async def summarize_all() -> None:
                    await client.call_tool(
                        "summarize_invoices",
                        {"entity_id": world.big, "group_by": ["month"]},
                        progress_callback=on_progress,
                    )

                group.start_soon(summarize_all)
                await started.wait()  # page 1 was read and reported
                group.cancel_scope.cancel()
        await anyio.sleep(1.0)  # a page fetched after the cancellation would have arrived by now
        pages = {seen.query for seen in list_requests(sandbox, world.big)}
        assert len(pages) <= 2, pages  # page 1, and at most page 2, already on its way
        assert not any("page=3" in query.split("&") for query in pages)
        sandbox.clear_faults()
        body = await summarize(client, {"entity_id": world.big, "group_by": ["year"]})  # still usable
    check(body["data"], sandbox.state.invoices[world.big], ["year"], 12)


# -- several currencies ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_currencies():
    """A sandbox of its own where every seventh invoice of the first entity is in USD."""
    with Sandbox.in_thread(seed=3) as box:
        entity_id = next(iter(box.state.entities))
        for index, invoice in enumerate(box.state.invoices[entity_id]):
            if index % 7 == 0:
                invoice["currency"] = "USD"
                invoice["total_amount_before_tax"] = 100 + index
                invoice["total_tax_amount"] = 10
                invoice["total_amount"] = 110 + index
        yield box, entity_id


def by_currency(invoices) -> dict:
    found: dict[str, list] = defaultdict(list)
    for inv in invoices:
        found[inv["currency"]].append(inv)
    return {currency: sums(members) for currency, members in found.items()}


@pytest.mark.parametrize("group_by", [[], ["status"], ["quarter"]], ids=["totals", "status", "quarter"])
async def test_several_currencies_are_summed_apart(two_currencies, era, group_by):
    box, entity_id = two_currencies
    invoices = box.state.invoices[entity_id]
    server = build_server(settings_for(box))
    async with Client(server, mode=era) as client:
        arguments = {"entity_id": entity_id, "top": 50} | ({"group_by": group_by} if group_by else {})
        body = await summarize(client, arguments)
    data = body["data"]
    assert data["currencies"] == ["VND", "USD"] and "currency" not in data
    assert data["totals"] == {"count": len(invoices), "by_currency": by_currency(invoices)}
    if not group_by:
        assert data["source"] == "aggregations"
        return
    assert data["source"] == "invoices"  # the API's by_status mixes currencies
    groups: dict[tuple, list] = defaultdict(list)
    for inv in invoices:
        groups[tuple(key_part(inv, name) for name in group_by)].append(inv)
    assert {tuple(row[n] for n in group_by) for row in data["groups"]} == set(groups)
    for row in data["groups"]:
        members = groups[tuple(row[n] for n in group_by)]
        assert row == {
            **{n: row[n] for n in group_by},
            "count": len(members),
            "by_currency": by_currency(members),
        }
    vnd_totals = [row["by_currency"].get("VND", {}).get("total", 0) for row in data["groups"]]
    assert vnd_totals == sorted(vnd_totals, reverse=True)  # ordered by the home currency first
