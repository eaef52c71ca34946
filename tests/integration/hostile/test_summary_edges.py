"""summarize_invoices against a backend whose pages do not add up: never a partial sum without a word.

The list answers here are served by the sandbox's faults (a canned JSON body
per request, in order), so that each page holds exactly the invoices a case
needs: pages that shift while being read, a backend that stops early, one that
caps the page size and sends only ``pages``, one that sends no counts, one
that repeats the same page for ever, a slow one (the call's deadline), and
thousands of currencies. The expected figures are computed here from the
invoices served.
"""

from __future__ import annotations

import json
import time

import anyio
import pytest
from mcp import Client

from finizi_b4b.sandbox import Sandbox
from finizi_b4b.server import build_server
from tests.conftest import body_of, settings_for

pytestmark = pytest.mark.anyio

LIST_PATH = "/api/v1/entities/{}/invoices"


def invoice(number: int, *, currency: str = "VND", vendor: str | None = None, amount: int = 1000) -> dict:
    """A purchase invoice as a list item carries it; its money is ``amount`` net plus 10 % tax."""
    tax_id = vendor or f"03{number % 7:08d}"
    return {
        "id": f"00000000-0000-4000-8000-{number:012d}",
        "invoice_series": "C26TAA",
        "invoice_number": f"{number:07d}",
        "issue_date": f"2026-{1 + number % 12:02d}-15",
        "direction": 0,
        "status": "issued",
        "seller_name": f"Công ty {tax_id}",
        "seller_tax_id": tax_id,
        "buyer_name": "Chúng tôi",
        "buyer_tax_id": "0312345678",
        "currency": currency,
        "total_amount_before_tax": amount,
        "total_tax_amount": amount // 10,
        "total_amount": amount + amount // 10,
    }


def page(items: list[dict], **counts) -> str:
    return json.dumps({"items": items, **counts})


def serve_pages(box, entity_id: str, *bodies: str, delay: float = 0.0) -> None:
    for body in bodies:
        box.inject_fault(200, body=body, path=LIST_PATH.format(entity_id), method="GET", delay=delay)


def list_requests(box, entity_id: str) -> list:
    return [s for s in box.seen if s.method == "GET" and s.path == LIST_PATH.format(entity_id)]


def totals(invoices: list[dict]) -> dict:
    return {
        "count": len(invoices),
        "net": sum(i["total_amount_before_tax"] for i in invoices),
        "tax": sum(i["total_tax_amount"] for i in invoices),
        "total": sum(i["total_amount"] for i in invoices),
    }


async def summarize(client, entity_id: str, **arguments) -> dict:
    result = await client.call_tool(
        "summarize_invoices", {"entity_id": entity_id, "group_by": ["month"], **arguments}
    )
    return body_of(result)


# -- pages that do not add up ---------------------------------------------------------------------


async def test_pages_that_shift_are_summed_once_and_said_to_be_short(connect, sandbox, world, era):
    first = [invoice(n) for n in range(1, 201)]
    # A new invoice arrived at the top while reading: page 2 starts with the last one of page 1 again.
    second = [first[-1]] + [invoice(n) for n in range(201, 400)]
    async with connect(era) as client:
        serve_pages(
            sandbox,
            world.big,
            page(first, total=400, page=1, per_page=200, pages=2, has_next=True),
            page(second, total=400, page=2, per_page=200, pages=2, has_next=False),
        )
        body = await summarize(client, world.big)
    data = body["data"]
    distinct = first + second[1:]
    assert data["totals"] == totals(distinct)  # 399, the repeated one once
    assert data["coverage"] == {"complete": False, "read": 399, "reported": 400, "repeated": 1}
    assert body["message"].startswith("INCOMPLETE: only 399 invoices of the 400 the API reported")


async def test_a_backend_that_stops_early_is_said_to_be_short(connect, sandbox, world):
    served = [invoice(n) for n in range(1, 301)]
    async with connect() as client:
        serve_pages(
            sandbox,
            world.big,
            page(served[:200], total=400, page=1, per_page=200, pages=2, has_next=True),
            page(served[200:], total=400, page=2, per_page=200, pages=2, has_next=False),
        )
        body = await summarize(client, world.big)
    assert body["data"]["totals"] == totals(served)
    assert body["data"]["coverage"] == {"complete": False, "read": 300, "reported": 400}
    assert "300 invoices of the 400 the API reported" in body["message"]


async def test_a_capped_page_size_with_only_pages_is_read_to_the_last_page(connect, sandbox, world):
    served = [invoice(n) for n in range(1, 1001)]
    bodies = [page(served[i * 100 : (i + 1) * 100], page=i + 1, pages=10) for i in range(10)]
    async with connect() as client:
        sandbox.clear_seen()
        serve_pages(sandbox, world.big, *bodies)
        body = await summarize(client, world.big)
    assert body["data"]["totals"] == totals(served)
    assert body["data"]["coverage"] == {"complete": True, "read": 1000, "reported": None}
    assert len(list_requests(sandbox, world.big)) == 10


async def test_without_any_count_pages_are_read_until_an_empty_one(connect, sandbox, world):
    served = [invoice(n) for n in range(1, 251)]
    async with connect() as client:
        sandbox.clear_seen()
        serve_pages(
            sandbox, world.big, page(served[:100]), page(served[100:200]), page(served[200:]), page([])
        )
        body = await summarize(client, world.big)
    assert body["data"]["totals"] == totals(served)
    assert body["data"]["coverage"]["complete"] is True
    assert len(list_requests(sandbox, world.big)) == 4


async def test_a_page_repeated_for_ever_stops_at_once_and_says_why(connect, sandbox, world, era):
    one = page([invoice(7)], total=1, page=1, per_page=200, pages=1, has_next=True)
    async with connect(era) as client:
        sandbox.clear_seen()
        sandbox.inject_fault(200, body=one, count=100_000, path=LIST_PATH.format(world.big), method="GET")
        with anyio.fail_after(30):
            body = await summarize(client, world.big)
        sandbox.clear_faults()
    assert len(list_requests(sandbox, world.big)) == 2  # the second page added nothing: stop
    assert body["data"]["totals"] == totals([invoice(7)])
    assert body["data"]["coverage"]["stopped"] == "repeated_page"
    assert "more than 20,000" not in body["message"]
    # One invoice, as the API said: the figures are whole, and the repetition is named.
    assert body["data"]["coverage"]["reported"] == 1 and body["data"]["coverage"]["read"] == 1
    assert "page 2 repeated invoices already read" in body["message"]


# -- one deadline for the whole call ----------------------------------------------------------------


async def test_the_deadline_bounds_the_whole_summary_not_each_page(connect, sandbox, world, era):
    bodies = [
        page([invoice(n) for n in range(i * 10 + 1, i * 10 + 11)], total=200, page=i + 1, has_next=True)
        for i in range(20)
    ]
    async with connect(era, call_deadline=3.0) as client:
        serve_pages(sandbox, world.big, *bodies, delay=1.0)  # each page takes a second
        started = time.monotonic()
        result = await client.call_tool("summarize_invoices", {"entity_id": world.big, "group_by": ["month"]})
        elapsed = time.monotonic() - started
        sandbox.clear_faults()
    body = body_of(result)
    assert result.is_error and body["code"] == "backend_timeout", body
    assert "time limit (3 s)" in body["error"] and "invoices were read" in body["error"]
    assert elapsed < 10  # 20 pages at a second each would take 20


async def test_the_deadline_bounds_a_batch_and_names_the_files_not_reached(connect, sandbox, world, tmp_path):
    from tests.conftest import invoice_xml

    paths = []
    for number in range(5):
        path = tmp_path / f"{number}.xml"
        path.write_bytes(
            invoice_xml("C26DL" + str(time.time_ns())[-6:], world.big_tax_id, number=str(number + 1))
        )
        paths.append(str(path))
    upload = f"/api/v1/entities/{world.big}/invoices/xml"
    async with connect(call_deadline=4.0) as client:
        sandbox.inject_fault(None, delay=1.5, count=5, path=upload, method="POST")
        started = time.monotonic()
        result = await client.call_tool("import_invoice_xml", {"entity_id": world.big, "file_paths": paths})
        elapsed = time.monotonic() - started
        sandbox.clear_faults()
    body = body_of(result)
    outcomes = [f["outcome"] for f in body["data"]["files"]]
    assert outcomes[0] == "imported" and outcomes[-1] == "not_reached", outcomes
    assert body["data"]["counts"]["not_reached"] == outcomes.count("not_reached") >= 2
    assert "call again with those files" in body["message"]
    assert elapsed < 8  # five slow uploads would take 7.5 s, and more with retries


# -- many currencies: a bounded answer ----------------------------------------------------------------


@pytest.fixture(scope="module")
def many_currencies():
    """A sandbox of its own whose first entity has 2,000 invoices, each in a currency and of a vendor
    of its own."""
    with Sandbox.in_thread(seed=5) as box:
        entity_id = next(iter(box.state.entities))
        base = box.state.invoices[entity_id][0]
        box.state.invoices[entity_id][:] = [
            {**base, **invoice(n, currency=f"X{n:04d}", vendor=f"{4000000000 + n}"), "line_items": []}
            for n in range(2000)
        ]
        yield box, entity_id


async def test_thousands_of_currencies_make_a_bounded_answer(many_currencies):
    box, entity_id = many_currencies
    server = build_server(settings_for(box))
    async with Client(server, mode="legacy") as client:
        ping_waits: list[float] = []

        async def summary() -> dict:
            return await summarize(client, entity_id, group_by=["vendor"])

        async def pings(done: anyio.Event) -> None:
            while not done.is_set():
                started = time.monotonic()
                await client.list_tools()
                ping_waits.append(time.monotonic() - started)
                await anyio.sleep(0.05)

        done = anyio.Event()
        async with anyio.create_task_group() as group:
            group.start_soon(pings, done)
            body = await summary()
            done.set()
    data = body["data"]
    assert len(data["currencies"]) == 4 and data["other_currencies"] == 1996
    assert data["totals"]["count"] == 2000
    assert len(data["totals"]["by_currency"]) == 4 and data["totals"]["other_currencies_count"] == 1996
    assert all(len(row.get("by_currency", {})) <= 4 for row in data["groups"])
    assert len(json.dumps(body)) < 16_000
    assert "1996 other currencies counted apart" in body["message"]
    assert max(ping_waits) < 3  # the server kept answering while it summed
