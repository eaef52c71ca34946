"""list_invoice_payments and record_payment through a real client session, against the sandbox's payments.

Paid and outstanding amounts are computed here from ``box.state`` (an
invoice's ``total_amount`` less its payments that are not cancelled), and what
was recorded is counted at the sandbox (its payments, and the requests it
received). The payments toolset is not served by default, so every server
here is started with all toolsets. The writes run against sandboxes of their
own, in the default and the minimal mode.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from mcp import Client

from finizi_b4b.config import TOOLSETS
from finizi_b4b.server import build_server
from tests.conftest import User, body_of, settings_for

pytestmark = pytest.mark.anyio


def open_client(sandbox, mode: str = "legacy", *, elicitation_callback=None, **changes) -> Client:
    settings = settings_for(sandbox, **{"toolsets": TOOLSETS, **changes})
    options = {"elicitation_callback": elicitation_callback} if elicitation_callback else {}
    return Client(build_server(settings), mode=mode, **options)


async def call(client, tool: str, arguments: dict) -> dict:
    result = await client.call_tool(tool, arguments)
    body = body_of(result)
    assert not result.is_error, body
    return body


def entity_of(sandbox) -> dict:
    return next(iter(sandbox.state.entities.values()))


taken: set[str] = set()


def invoice_with(sandbox, status: str, direction: int = 0) -> dict:
    """An invoice of the first entity with that status, not used by another test, with no payment."""
    entity = entity_of(sandbox)["id"]
    found = next(
        i
        for i in sandbox.state.invoices[entity]
        if i["status"] == status
        and i["direction"] == direction
        and (id(sandbox), i["id"]) not in taken
        and (status == "paid" or not sandbox.state.payments_of(i))
    )
    taken.add((id(sandbox), found["id"]))
    return found


def paid_of(sandbox, invoice: dict) -> Decimal:
    """What the sandbox holds as paid on ``invoice``: its payments that are not cancelled."""
    payments = sandbox.state.payments_of(invoice)
    return sum((Decimal(str(p["amount"])) for p in payments if p["status"] != "cancelled"), Decimal(0))


def pay_arguments(sandbox, invoice: dict, amount, **more) -> dict:
    return {
        "entity_id": invoice["entity_id"],
        "invoice_id": invoice["id"],
        "amount": amount,
        "paid_at": invoice["issue_date"],
        **more,
    }


def posts(sandbox, invoice: dict) -> list:
    path = f"/api/v1/entities/{invoice['entity_id']}/invoices/{invoice['id']}/payments"
    return [r for r in sandbox.seen if r.method == "POST" and r.path == path]


def dotted(value: Decimal) -> str:
    return f"{int(value):,}".replace(",", ".")


# -- list_invoice_payments -------------------------------------------------------------------------


async def test_a_paid_invoice_shows_its_payment_and_nothing_outstanding(box, era):
    invoice = invoice_with(box, "paid")
    payments = box.state.payments_of(invoice)
    async with open_client(box, era) as client:
        body = await call(
            client, "list_invoice_payments", {"entity_id": invoice["entity_id"], "invoice_id": invoice["id"]}
        )
    data = body["data"]
    assert [p["id"] for p in data["payments"]] == [p["id"] for p in payments] and len(payments) == 1
    assert data["total"] == invoice["total_amount"] == data["paid"] and data["outstanding"] == 0
    assert (data["payment_status"], data["basis"]) == ("paid", "payments")
    assert data["api_figures"] == {
        "paid_amount": invoice["total_amount"],
        "outstanding_amount": 0,
        "agree": True,
    }
    assert f"{invoice['invoice_series']}/{invoice['invoice_number']}" in body["message"]
    assert "agree" in body["message"]


async def test_an_invoices_payments_are_asked_for_with_the_entity_named_in_the_header(lean):
    invoice = invoice_with(lean, "paid", direction=1)
    async with open_client(lean) as client:
        lean.clear_seen()
        body = await call(
            client, "list_invoice_payments", {"entity_id": invoice["entity_id"], "invoice_id": invoice["id"]}
        )
    (request,) = [r for r in lean.seen if r.path == f"/api/v1/invoices/{invoice['id']}/payments"]
    assert request.headers["x-entity-id"] == invoice["entity_id"]
    data = body["data"]
    assert "api_figures" not in data  # the minimal answer carries none: nothing is made up
    assert Decimal(str(data["paid"])) == paid_of(lean, invoice) == Decimal(str(invoice["total_amount"]))
    assert data["payment_status"] == "paid"


async def test_a_disagreeing_api_figure_is_said(box):
    invoice = invoice_with(box, "paid")
    fake = {"items": box.state.payments_of(invoice), "total": 1, "paid_amount": 1, "outstanding_amount": 5}
    box.inject_fault(200, body=json.dumps(fake), path=f"/api/v1/invoices/{invoice['id']}/payments")
    try:
        async with open_client(box) as client:
            body = await call(
                client,
                "list_invoice_payments",
                {"entity_id": invoice["entity_id"], "invoice_id": invoice["id"]},
            )
    finally:
        box.clear_faults()
    assert body["data"]["api_figures"]["agree"] is False and body["data"]["payment_status"] == "paid"
    assert "The API's own figures differ (paid amount 1, outstanding amount 5)" in body["message"]


async def test_an_unknown_invoice_is_not_found(box):
    entity = entity_of(box)["id"]
    async with open_client(box) as client:
        result = await client.call_tool(
            "list_invoice_payments",
            {"entity_id": entity, "invoice_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7"},
        )
    assert body_of(result)["code"] == "not_found"


# -- record_payment --------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", [0, 1], ids=["purchase", "sale"])
async def test_a_partial_payment_then_the_rest_makes_the_invoice_paid(box, era, direction):
    invoice = invoice_with(box, "issued", direction)
    total = Decimal(str(invoice["total_amount"]))
    async with open_client(box, era) as client:
        box.clear_seen()
        first = await call(client, "record_payment", pay_arguments(box, invoice, 100_000, reference="UNC 1"))
        assert len(posts(box, invoice)) == 1
        assert invoice["status"] == "issued" and paid_of(box, invoice) == 100_000
        rest = await call(client, "record_payment", pay_arguments(box, invoice, int(total) - 100_000))
    assert len(posts(box, invoice)) == 2  # one per call
    assert first["data"]["invoice_status"] == "issued" and first["data"]["basis"] == "answer"
    assert Decimal(str(first["data"]["outstanding"])) == total - 100_000
    assert rest["data"]["invoice_status"] == "paid" and rest["data"]["outstanding"] == 0
    assert invoice["status"] == "paid" and paid_of(box, invoice) == total
    assert [p["reference"] for p in box.state.payments_of(invoice)] == ["UNC 1", None]
    assert "now paid" in rest["message"]


async def test_a_lost_answer_retried_records_one_payment(box):
    invoice = invoice_with(box, "validated")
    async with open_client(box) as client:
        await call(client, "whoami", {})
        box.clear_seen()
        path = f"/api/v1/entities/{invoice['entity_id']}/invoices/{invoice['id']}/payments"
        box.inject_fault(kind="lose_answer", path=path, method="POST", count=1)
        body = await call(client, "record_payment", pay_arguments(box, invoice, 250_000))
    sent = posts(box, invoice)
    assert len(sent) == 2 and sent[0].headers["idempotency-key"] == sent[1].headers["idempotency-key"]
    assert len(box.state.payments_of(invoice)) == 1 and paid_of(box, invoice) == 250_000
    assert body["data"]["invoice_status"] == "validated"


async def test_in_minimal_mode_the_invoices_payments_say_whether_it_is_paid(lean, era):
    invoice = invoice_with(lean, "issued", 1 if era == "auto" else 0)
    total = Decimal(str(invoice["total_amount"]))
    async with open_client(lean, era) as client:
        first = await call(
            client, "record_payment", pay_arguments(lean, invoice, 1000, payment_method="cash")
        )
        rest = await call(client, "record_payment", pay_arguments(lean, invoice, int(total) - 1000))
    assert (first["data"]["basis"], first["data"]["payment_status"]) == ("payments", "partly_paid")
    assert Decimal(str(first["data"]["outstanding"])) == total - 1000
    assert (rest["data"]["payment_status"], rest["data"]["outstanding"]) == ("paid", 0)
    assert invoice["status"] == "paid" and "said nothing of the invoice" in rest["message"]
    assert [p["payment_method"] for p in lean.state.payments_of(invoice)] == ["cash", "bank_transfer"]


async def test_a_cancelled_invoice_is_refused_in_words_and_nothing_is_recorded(box):
    invoice = invoice_with(box, "cancelled")
    async with open_client(box) as client:
        result = await client.call_tool("record_payment", pay_arguments(box, invoice, 1000))
    body = body_of(result)
    assert result.is_error and body["code"] == "conflict"
    assert "is cancelled and cannot be paid" in body["error"] and "Nothing was recorded" in body["error"]
    assert box.state.payments_of(invoice) == []


async def test_more_than_is_left_is_refused_in_words_and_nothing_is_recorded(box):
    invoice = invoice_with(box, "issued")
    too_much = int(invoice["total_amount"]) + 1
    async with open_client(box) as client:
        result = await client.call_tool("record_payment", pay_arguments(box, invoice, too_much))
    body = body_of(result)
    assert result.is_error and body["code"] == "validation_failed"
    assert "over what is left to pay" in body["error"] and "Nothing was recorded" in body["error"]
    assert "The API's own words are in api_detail." in body["error"]
    assert "more than the" in body["api_detail"]  # quoted as data, apart from ours
    assert box.state.payments_of(invoice) == []


@pytest.mark.parametrize("action", ["accept", "decline"])
async def test_the_user_confirms_the_payment_in_one_line_and_a_decline_sends_nothing(box, era, action):
    invoice = invoice_with(box, "issued")
    entity = entity_of(box)
    user = User(action)
    async with open_client(box, era, elicitation_callback=user) as client:
        await call(client, "whoami", {})
        box.clear_seen()
        result = await client.call_tool("record_payment", pay_arguments(box, invoice, 1_716_000))
    label = f"{invoice['invoice_series']}/{invoice['invoice_number']}"
    assert user.asked == [
        f"Record a payment of 1.716.000 VND for invoice {label} of {invoice['seller_name']} in "
        f"{entity['name']} (MST {entity['tax_id']})?"
    ]
    if action == "accept":
        assert not result.is_error and len(posts(box, invoice)) == 1
        assert paid_of(box, invoice) == 1_716_000
    else:
        assert body_of(result)["code"] == "not_confirmed"
        assert posts(box, invoice) == [] and box.state.payments_of(invoice) == []
        assert [r.method for r in box.seen] == ["GET"] * len(box.seen)


async def test_read_only_mode_hides_and_refuses_the_payment(box, era):
    invoice = invoice_with(box, "issued")
    async with open_client(box, era, read_only=True) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        await call(client, "whoami", {})
        box.clear_seen()
        result = await client.call_tool("record_payment", pay_arguments(box, invoice, 1000))
    assert "record_payment" not in listed and "list_invoice_payments" in listed
    body = body_of(result)
    assert result.is_error and body["code"] == "read_only_mode"
    assert box.seen == [] and box.state.payments_of(invoice) == []


async def test_the_payments_toolset_is_not_served_by_default(box):
    async with open_client(box, toolsets=("core", "invoices", "reports", "registry")) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        result = await client.call_tool(
            "list_invoice_payments", {"entity_id": entity_of(box)["id"], "invoice_id": "42"}
        )
    assert not {"record_payment", "list_invoice_payments"} & listed
    assert body_of(result)["code"] == "toolset_not_enabled"
