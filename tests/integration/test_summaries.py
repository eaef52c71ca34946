"""summarize_invoices through a real client session, checked against sums made here from the sandbox's data.

The expected figures are computed in this file straight from
``box.state.invoices`` (the records the sandbox serves), with plain integer
arithmetic, and never from anything the server sends. A cancelled invoice is
not spend: unless a status is asked for, the reference leaves cancelled
invoices out of every sum and expects them reported apart, in ``excluded``.
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
from tests.conftest import body_of, settings_for

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
    """Every invoice matching the filters, cancelled ones included (as the API lists them)."""
    return [
        inv
        for inv in invoices
        if (date_from is None or inv["issue_date"] >= date_from)
        and (date_to is None or inv["issue_date"] <= date_to)
        and (direction is None or inv["direction"] == {"purchase": 0, "sales": 1}[direction])
        and (status is None or inv["status"] == status)
    ]


def summed(invoices, status_given: bool = False) -> tuple[list[dict], list[dict]]:
    """What a summary adds up, and those it leaves out (cancelled, unless a status is asked for)."""
    if status_given:
        return list(invoices), []
    kept = [inv for inv in invoices if inv["status"] != "cancelled"]
    return kept, [inv for inv in invoices if inv["status"] == "cancelled"]


def sums(invoices) -> dict:
    return {
        "count": len(invoices),
        "net": sum(inv["total_amount_before_tax"] for inv in invoices),
        "tax": sum(inv["total_tax_amount"] for inv in invoices),
        "total": sum(inv["total_amount"] for inv in invoices),
    }


TIME_KEYS = {"month", "quarter", "year"}


def by_time(group_by) -> bool:
    """Whether groups are listed in time order, all of them (a grouping by period, without vendor)."""
    return "vendor" not in group_by and bool(TIME_KEYS & set(group_by))


def expected_groups(invoices, group_by) -> list[tuple[tuple, list[dict]]]:
    """(key, invoices) per group: by key for a grouping by period, else largest total first (ties by key)."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for inv in invoices:
        groups[tuple(key_part(inv, name) for name in group_by)].append(inv)
    if by_time(group_by):
        return sorted(groups.items())
    return sorted(groups.items(), key=lambda kv: (-sum(i["total_amount"] for i in kv[1]), kv[0]))


def newest_name(invoices, tax_id: str) -> str:
    for inv in invoices:  # the sandbox keeps them newest first, as the API lists them
        if inv["direction"] == 0 and inv["seller_tax_id"] == tax_id:
            return inv["seller_name"]
        if inv["direction"] == 1 and inv["buyer_tax_id"] == tax_id:
            return inv["buyer_name"]
    raise AssertionError(tax_id)


def check(
    data: dict, matching: list[dict], group_by: list[str], top: int, status_given: bool = False
) -> None:
    """Every figure of a one-currency summary of the ``matching`` invoices equals the reference."""
    invoices, left_out = summed(matching, status_given)
    assert data["currency"] == "VND"
    assert data["totals"] == sums(invoices)
    if status_given:
        assert "excluded" not in data
    else:
        assert data["excluded"] == {"status": "cancelled", **sums(left_out)}
    if not group_by:
        assert "groups" not in data and "group_count" not in data
        return
    ordered = expected_groups(invoices, group_by)
    assert data["group_count"] == len(ordered)
    rows = data["groups"]
    if by_time(group_by):
        top = 240  # every period is listed
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


async def test_months_with_the_default_top_are_all_listed_in_time_order(connect, sandbox, world):
    """top ranks vendors and the like; a grouping by period lists every period of the question, however
    many more than top there are."""
    async with connect() as client:
        body = await summarize(client, {"entity_id": world.big, "group_by": ["month"]})
    months = sorted({invoice["issue_date"][:7] for invoice in sandbox.state.invoices[world.big]})
    assert len(months) > 12
    assert [row["month"] for row in body["data"]["groups"]] == months
    assert not any("others" in row for row in body["data"]["groups"])


async def test_a_bad_period_costs_no_sign_in(connect, sandbox, world):
    """The arguments' rules (a period the wrong way round) are checked before the automatic sign-in."""
    async with connect() as client:
        sandbox.clear_seen()
        result = await client.call_tool(
            "summarize_invoices", {"entity_id": world.big, "date_from": "2026-02-01", "date_to": "2026-01-01"}
        )
        assert body_of(result)["code"] == "invalid_arguments"
        assert sandbox.seen == []  # no login, no request of any kind


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
    check(body["data"], invoices, ["quarter"], 12, status_given=True)


async def test_an_empty_period(connect, sandbox, world, era):
    async with connect(era) as client:
        for group_by in ([], ["vendor"], ["status"]):
            arguments = {"entity_id": world.big, "date_from": "2031-01-01", "date_to": "2031-12-31"}
            body = await summarize(client, arguments | ({"group_by": group_by} if group_by else {}))
            assert body["data"]["totals"] == {"count": 0, "net": 0, "tax": 0, "total": 0}
            assert body["data"]["excluded"] == {
                "status": "cancelled",
                "count": 0,
                "net": 0,
                "tax": 0,
                "total": 0,
            }
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
    check(body["data"], sandbox.state.invoices[world.big], group_by, 50)
    assert body["data"]["excluded"]["count"] > 0  # the cancelled bucket was taken off the API's sums


async def test_without_aggregations_the_server_pages_instead(connect, sandbox, world):
    total = len(sandbox.state.invoices[world.big])
    bare = {"items": [], "total": total, "page": 1, "per_page": 1, "pages": total, "has_next": True}
    async with connect() as client:
        sandbox.clear_seen()
        sandbox.inject_fault(200, body=json.dumps(bare), path=LIST_PATH.format(world.big), method="GET")
        body = await summarize(client, {"entity_id": world.big})
    assert body["data"]["source"] == "invoices"
    check(body["data"], sandbox.state.invoices[world.big], [], 12)
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
    invoices, left_out = summed(box.state.invoices[entity_id])
    assert {inv["currency"] for inv in left_out} == {"VND", "USD"}  # cancelled ones in both currencies
    server = build_server(settings_for(box))
    async with Client(server, mode=era) as client:
        arguments = {"entity_id": entity_id, "top": 50} | ({"group_by": group_by} if group_by else {})
        body = await summarize(client, arguments)
    data = body["data"]
    assert data["currencies"] == ["VND", "USD"] and "currency" not in data
    assert data["totals"] == {"count": len(invoices), "by_currency": by_currency(invoices)}
    assert data["excluded"] == {
        "status": "cancelled",
        "count": len(left_out),
        "by_currency": by_currency(left_out),
    }
    # The API's by_status mixes currencies, so its cancelled bucket cannot be taken off: the server pages.
    assert data["source"] == "invoices"
    if not group_by:
        return
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
    if by_time(group_by):  # periods in time order
        keys = [tuple(row[n] for n in group_by) for row in data["groups"]]
        assert keys == sorted(keys)
        return
    vnd_totals = [row["by_currency"].get("VND", {}).get("total", 0) for row in data["groups"]]
    assert vnd_totals == sorted(vnd_totals, reverse=True)  # ordered by the home currency first


async def test_with_a_status_several_currencies_come_from_the_api_sums(two_currencies):
    box, entity_id = two_currencies
    paid = chosen(box.state.invoices[entity_id], status="paid")
    server = build_server(settings_for(box))
    async with Client(server, mode="auto") as client:
        box.clear_seen()
        body = await summarize(client, {"entity_id": entity_id, "status": "paid"})
    assert body["data"]["source"] == "aggregations"  # nothing to take off: the API's sums are the answer
    assert len(list_requests(box, entity_id)) == 1
    assert body["data"]["totals"] == {"count": len(paid), "by_currency": by_currency(paid)}
    assert "excluded" not in body["data"]


# -- cancelled invoices are not spend ------------------------------------------------------------------

YEAR_2025 = {"date_from": "2025-01-01", "date_to": "2025-12-31"}


@pytest.mark.parametrize(
    "group_by", [[], ["vendor"], ["month", "status"]], ids=["totals", "vendor", "month+status"]
)
async def test_cancelled_invoices_are_left_out_and_reported(connect, sandbox, world, era, group_by):
    matching = chosen(sandbox.state.invoices[world.big], direction="purchase", **YEAR_2025)
    invoices, left_out = summed(matching)
    assert left_out and invoices  # the seeded year has both, so that leaving out is exercised
    arguments = {"entity_id": world.big, "direction": "purchase", **YEAR_2025, "top": 50}
    async with connect(era) as client:
        body = await summarize(client, arguments | ({"group_by": group_by} if group_by else {}))
    check(body["data"], matching, group_by, 50)
    assert body["data"]["totals"]["count"] == len(matching) - len(left_out)
    if "status" in group_by:
        assert "cancelled" not in {row["status"] for row in body["data"]["groups"]}
    cancelled_total = f"{sum(inv['total_amount'] for inv in left_out):,}"
    assert f"{len(left_out)} cancelled invoices (total {cancelled_total} VND) left out" in body["message"]
    assert "status='cancelled'" in body["message"]


@pytest.mark.parametrize("group_by", [[], ["vendor"], ["status"]], ids=["totals", "vendor", "status"])
async def test_status_cancelled_sums_exactly_the_cancelled_ones(connect, sandbox, world, era, group_by):
    matching = chosen(sandbox.state.invoices[world.big], **YEAR_2025, status="cancelled")
    assert matching
    arguments = {"entity_id": world.big, **YEAR_2025, "status": "cancelled", "top": 50}
    async with connect(era) as client:
        body = await summarize(client, arguments | ({"group_by": group_by} if group_by else {}))
    check(body["data"], matching, group_by, 50, status_given=True)
    assert body["data"]["totals"]["count"] == len(matching)
    assert "left out" not in body["message"]


@pytest.mark.parametrize("direction", ["purchase", "sales"])
@pytest.mark.parametrize("group_by", [[], ["month"]], ids=["api-sums", "paged"])
async def test_summary_and_statistics_agree(connect, world, direction, group_by):
    async with connect() as client:
        stats = body_of(
            await client.call_tool("get_invoice_statistics", {"entity_id": world.big, **YEAR_2025})
        )["data"]
        arguments = {"entity_id": world.big, **YEAR_2025, "direction": direction}
        one_way = await summarize(client, arguments | ({"group_by": group_by} if group_by else {}))
        both = await summarize(client, {"entity_id": world.big, **YEAR_2025})
    expected = stats["by_direction"][direction]
    totals = one_way["data"]["totals"]
    assert (totals["count"], totals["total"]) == (expected["count"], expected["total_amount"])
    assert (totals["net"], totals["tax"]) == (
        expected["total_amount_before_tax"],
        expected["total_tax_amount"],
    )
    # Over both directions: the same money, and every invoice accounted for (summed or left out).
    assert both["data"]["totals"]["total"] == stats["total_amount"]
    assert both["data"]["totals"]["count"] + both["data"]["excluded"]["count"] == stats["total_count"]
    assert both["data"]["excluded"]["count"] == stats["by_status"]["cancelled"]["count"]


# -- the API's sums, when they cannot answer under the rule --------------------------------------------


@pytest.mark.parametrize(
    "aggregations",
    [
        lambda agg: {k: v for k, v in agg.items() if k != "by_status"},
        lambda agg: agg | {"by_status": {"paid": agg["by_status"]["paid"]}},  # does not add up to count
    ],
    ids=["no by_status", "by_status short"],
)
async def test_api_sums_that_cannot_take_off_the_cancelled_are_not_trusted(
    connect, sandbox, world, aggregations
):
    from finizi_b4b.sandbox.routes.invoices import aggregate

    invoices = sandbox.state.invoices[world.big]
    real = aggregate(invoices)  # over every invoice, cancelled ones included, as the API sends them
    probe = {"items": [], "total": len(invoices), "page": 1, "per_page": 1, "pages": len(invoices)}
    probe |= {"has_next": True, "aggregations": aggregations(real), "total_amount": real["total_amount"]}
    async with connect() as client:
        sandbox.clear_seen()
        sandbox.inject_fault(200, body=json.dumps(probe), path=LIST_PATH.format(world.big), method="GET")
        body = await summarize(client, {"entity_id": world.big})
    assert body["data"]["source"] == "invoices"
    check(body["data"], invoices, [], 12)
    assert len(list_requests(sandbox, world.big)) == 1 + math.ceil(len(invoices) / 200)
