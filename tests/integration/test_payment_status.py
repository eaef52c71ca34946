"""summarize_invoices by payment status: paid, unpaid and partly paid invoices, on both bases.

The reference is computed here from ``box.state``: an invoice's payment status
is its ``total_amount`` against the sum of its payments that are not
cancelled (``state.payments_of``), or, on the status basis, its ``status``
alone. The sandboxes are this module's own, one of them given a partly paid
invoice first, through the API.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

import anyio
import pytest
from mcp import Client

from finizi_b4b.sandbox import Sandbox
from finizi_b4b.server import build_server
from tests.conftest import body_of, settings_for

pytestmark = pytest.mark.anyio

NO_LINK = {"items": [{"id": "p-1", "amount": 5, "status": "posted"}], "total": 1}


def _partly_paid(sandbox) -> None:
    """Pay part of an issued purchase invoice of 2025 of the first entity, through the API."""
    import urllib.request

    entity = next(iter(sandbox.state.entities))
    invoice = next(
        i
        for i in sandbox.state.invoices[entity]
        if i["status"] == "issued" and i["direction"] == 0 and i["issue_date"].startswith("2025")
    )
    login = urllib.request.Request(
        f"{sandbox.url}/api/v1/auth/login",
        data=json.dumps({"phone": "+84909495665", "password": "Admin123@"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(login, timeout=10) as answer:
        token = json.loads(answer.read())["access_token"]
    pay = urllib.request.Request(
        f"{sandbox.url}/api/v1/entities/{entity}/invoices/{invoice['id']}/payments",
        data=json.dumps({"amount": 1000}).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "X-Entity-Id": entity,
            "Idempotency-Key": "partly-paid-1",
        },
    )
    with urllib.request.urlopen(pay, timeout=10) as answer:
        assert answer.status == 201


@pytest.fixture(scope="module")
def box():
    with Sandbox.in_thread(seed=0) as sandbox:
        _partly_paid(sandbox)
        yield sandbox


@pytest.fixture(scope="module")
def lean():
    with Sandbox.in_thread(seed=0, minimal=True) as sandbox:
        _partly_paid(sandbox)
        yield sandbox


def open_client(sandbox, mode: str = "legacy", **changes) -> Client:
    return Client(build_server(settings_for(sandbox, **changes)), mode=mode)


async def summarize(client, arguments: dict, **options) -> dict:
    result = await client.call_tool("summarize_invoices", arguments, **options)
    body = body_of(result)
    assert not result.is_error, body
    return body


def entity_of(sandbox) -> str:
    return next(iter(sandbox.state.entities))


# -- the reference -----------------------------------------------------------------------------------


def by_payments(sandbox, invoice: dict) -> str:
    payments = sandbox.state.payments_of(invoice)
    paid = sum((Decimal(str(p["amount"])) for p in payments if p["status"] != "cancelled"), Decimal(0))
    if paid <= 0:
        return "unpaid"
    return "paid" if paid >= Decimal(str(invoice["total_amount"])) else "partly_paid"


def by_status(sandbox, invoice: dict) -> str:
    return "paid" if invoice["status"] == "paid" else "unpaid"


def sums(invoices) -> dict:
    return {
        "count": len(invoices),
        "net": sum(i["total_amount_before_tax"] for i in invoices),
        "tax": sum(i["total_tax_amount"] for i in invoices),
        "total": sum(i["total_amount"] for i in invoices),
    }


def reference(sandbox, classify, wanted: str, year: str = "") -> tuple[list, list]:
    """The purchase invoices (of ``year``, when given) of the wanted payment status that are summed, and
    the cancelled ones among them, left out."""
    chosen = [
        i
        for i in sandbox.state.invoices[entity_of(sandbox)]
        if i["direction"] == 0 and i["issue_date"].startswith(year) and classify(sandbox, i) == wanted
    ]
    return [i for i in chosen if i["status"] != "cancelled"], [
        i for i in chosen if i["status"] == "cancelled"
    ]


def check_by_vendor(data: dict, kept: list, left_out: list) -> None:
    assert data["totals"] == sums(kept)
    assert data["excluded"] == {"status": "cancelled", **sums(left_out)}
    groups: dict[str, list] = defaultdict(list)
    for invoice in kept:
        groups[invoice["seller_tax_id"]].append(invoice)
    assert data["group_count"] == len(groups) <= 50
    assert {row["vendor"]: (row["count"], row["total"]) for row in data["groups"]} == {
        tax_id: (len(found), sum(i["total_amount"] for i in found)) for tax_id, found in groups.items()
    }


UNPAID_BY_VENDOR = {
    "direction": "purchase",
    "date_from": "2025-01-01",
    "date_to": "2025-12-31",
    "payment_status": "unpaid",
    "group_by": ["vendor"],
    "top": 50,
}


# -- the payments basis ------------------------------------------------------------------------------


async def test_unpaid_purchases_by_vendor_are_the_total_less_the_payments(box, era):
    kept, left_out = reference(box, by_payments, "unpaid", "2025")
    async with open_client(box, era) as client:
        body = await summarize(client, {"entity_id": entity_of(box), **UNPAID_BY_VENDOR})
    data = body["data"]
    check_by_vendor(data, kept, left_out)
    assert (data["payment_basis"], data["payment_status"]) == ("payments", "unpaid")
    assert "payment_basis_reason" not in data
    assert "Payment status from payments" in body["message"]


async def test_grouped_by_payment_status_every_invoice_is_in_its_group(box):
    invoices = [i for i in box.state.invoices[entity_of(box)] if i["status"] != "cancelled"]
    async with open_client(box) as client:
        body = await summarize(client, {"entity_id": entity_of(box), "group_by": ["payment_status"]})
    rows = {row["payment_status"]: row for row in body["data"]["groups"]}
    for state in ("paid", "partly_paid", "unpaid"):
        assert rows[state] == {
            "payment_status": state,
            **sums([i for i in invoices if by_payments(box, i) == state]),
        }
    assert rows["partly_paid"]["count"] >= 1


async def test_partly_paid_ones_are_found(box):
    kept, _ = reference(box, by_payments, "partly_paid")
    async with open_client(box) as client:
        body = await summarize(
            client, {"entity_id": entity_of(box), "direction": "purchase", "payment_status": "partly_paid"}
        )
    assert body["data"]["totals"] == sums(kept) and len(kept) >= 1


async def test_the_minimal_api_is_summed_on_the_payments_basis_too(lean):
    kept, left_out = reference(lean, by_payments, "unpaid", "2025")
    async with open_client(lean) as client:
        body = await summarize(client, {"entity_id": entity_of(lean), **UNPAID_BY_VENDOR})
    data = body["data"]
    assert data["payment_basis"] == "payments" and data["vendor_key"] == "vendor_id"
    assert data["totals"] == sums(kept) and data["excluded"] == {"status": "cancelled", **sums(left_out)}


async def test_progress_counts_the_payments_then_the_invoices_and_only_increases(box):
    seen: list[float] = []

    async def on_progress(progress, total, message):
        seen.append(progress)

    async with open_client(box) as client:
        await summarize(
            client,
            {"entity_id": entity_of(box), "payment_status": "paid"},
            progress_callback=on_progress,
        )
    payments = sum(len(p) for p in [box.state.payments[entity_of(box)]])
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert seen[-1] == payments + len(box.state.invoices[entity_of(box)])


# -- the status basis --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "why"),
    [
        ({"status": 404}, "not_served"),
        ({"status": 200, "body": json.dumps(NO_LINK)}, "no_invoice_link"),
    ],
    ids=["not-served", "no-invoice-link"],
)
async def test_without_payments_per_invoice_the_status_is_the_basis_and_it_says_so(box, era, fault, why):
    kept, left_out = reference(box, by_status, "unpaid", "2025")
    assert kept != reference(box, by_payments, "unpaid", "2025")[0]  # the partly paid one tells them apart
    box.inject_fault(path=f"/api/v1/entities/{entity_of(box)}/payments", method="GET", count=100, **fault)
    try:
        async with open_client(box, era) as client:
            body = await summarize(client, {"entity_id": entity_of(box), **UNPAID_BY_VENDOR})
    finally:
        box.clear_faults()
    data = body["data"]
    check_by_vendor(data, kept, left_out)
    assert (data["payment_basis"], data["payment_basis_reason"]) == ("status", why)
    assert "from the invoice status" in body["message"] and "includes partly paid" in body["message"]


async def test_partly_paid_cannot_be_told_on_the_status_basis(box):
    box.inject_fault(404, path=f"/api/v1/entities/{entity_of(box)}/payments", method="GET", count=100)
    try:
        async with open_client(box) as client:
            result = await client.call_tool(
                "summarize_invoices", {"entity_id": entity_of(box), "payment_status": "partly_paid"}
            )
    finally:
        box.clear_faults()
    body = body_of(result)
    assert result.is_error and body["code"] == "bad_response"
    assert "Partly paid invoices cannot be told apart" in body["error"]


async def test_payments_not_read_within_the_deadline_give_no_summary(box):
    async with open_client(box, call_deadline=2.0) as client:
        await client.call_tool("whoami", {})
        box.inject_fault(None, delay=5.0, path=f"/api/v1/entities/{entity_of(box)}/payments", count=1)
        try:
            with anyio.fail_after(10):
                result = await client.call_tool(
                    "summarize_invoices", {"entity_id": entity_of(box), "payment_status": "unpaid"}
                )
        finally:
            box.clear_faults()
    body = body_of(result)
    assert result.is_error and body["code"] == "backend_timeout"
    assert "payments could not all be read within the call's time limit" in body["error"]


# -- nothing changes without it ----------------------------------------------------------------------


async def test_without_a_payment_status_no_payment_is_read_and_nothing_is_said_of_them(box):
    async with open_client(box) as client:
        await summarize(client, {"entity_id": entity_of(box), "group_by": ["vendor"]})
        box.clear_seen()
        body = await summarize(client, {"entity_id": entity_of(box), "group_by": ["vendor"]})
    assert not [r for r in box.seen if "payments" in r.path]
    assert not [key for key in body["data"] if key.startswith("payment")]
    assert "Payment status" not in body["message"]
