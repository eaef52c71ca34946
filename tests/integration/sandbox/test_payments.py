"""Payments over real HTTP (contract part B2): paying an invoice, listing payments, paying from an invoice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from finizi_b4b.sandbox import DEMO_ACCOUNTANT
from tests.integration.sandbox.client import API, big

pytestmark = pytest.mark.anyio


def scoped(box, **more) -> dict:
    return {"X-Entity-Id": big(box)["id"], **more}


def invoice_with(box, status: str, direction: int = 0) -> dict:
    return next(
        i for i in box.state.invoices[big(box)["id"]] if i["status"] == status and i["direction"] == direction
    )


def pay_url(box, invoice: dict) -> str:
    return f"{API}/entities/{big(box)['id']}/invoices/{invoice['id']}/payments"


async def payments_of(api, invoice: dict) -> dict:
    return await api.ok("GET", f"{API}/invoices/{invoice['id']}/payments", headers=scoped(api.box))


async def test_a_partial_payment_keeps_the_status_and_the_rest_makes_it_paid(api):
    invoice = invoice_with(api.box, "issued")
    total = Decimal(str(invoice["total_amount"]))
    status, first, _, _ = await api.call(
        "POST",
        pay_url(api.box, invoice),
        json={"amount": 1000, "payment_method": "bank_transfer", "reference": "UNC 1", "bank_account_id": 3},
        headers=scoped(api.box, **{"Idempotency-Key": "pay-1"}),
    )
    assert status == 201, first
    assert first["payment_type"] == "payment" and first["amount"] == 1000 and first["queued_jobs"]
    assert first["invoice_status"] == "issued" and invoice["status"] == "issued"
    listed = await payments_of(api, invoice)
    assert [p["id"] for p in listed["items"]] == [first["id"]]
    assert Decimal(str(listed["paid_amount"])) == 1000
    assert Decimal(str(listed["outstanding_amount"])) == total - 1000
    status, rest, _, _ = await api.call(
        "POST",
        pay_url(api.box, invoice),
        json={"amount": float(total - 1000), "paid_at": "2026-11-20T10:00:00+07:00"},
        headers=scoped(api.box, **{"Idempotency-Key": "pay-2"}),
    )
    assert status == 201 and rest["invoice_status"] == "paid" and rest["payment_date"] == "2026-11-20"
    assert invoice["status"] == "paid"
    got = await api.ok("GET", f"{API}/entities/{big(api.box)['id']}/invoices/{invoice['id']}")
    assert got["status"] == "paid"
    assert (await payments_of(api, invoice))["total"] == 2


async def test_a_repeated_key_records_once(api):
    invoice = invoice_with(api.box, "validated", 1)
    headers = scoped(api.box, **{"Idempotency-Key": "same-key"})
    first = await api.call("POST", pay_url(api.box, invoice), json={"amount": 500}, headers=dict(headers))
    again = await api.call("POST", pay_url(api.box, invoice), json={"amount": 500}, headers=dict(headers))
    assert first[0] == again[0] == 201 and first[1] == again[1]
    assert again[2]["Idempotent-Replayed"] == "true" and first[1]["payment_type"] == "receipt"
    assert (await payments_of(api, invoice))["total"] == 1


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        ("cancelled", {"amount": 100}, 409),
        ("draft", {"amount": 100}, 409),
        ("issued", {"amount": 0}, 422),
        ("issued", {"amount": -5}, 422),
        ("issued", {"amount": "lots"}, 422),
        ("issued", {}, 422),
        ("issued", {"amount": 10**15}, 422),
        ("issued", {"amount": 100, "paid_at": "2020-01-01T00:00:00Z"}, 422),
        ("paid", {"amount": 1}, 422),
    ],
)
async def test_payments_that_cannot_be_made(api, status, body, code):
    invoice = invoice_with(api.box, status)
    before = len(api.box.state.payments[big(api.box)["id"]])
    answer = await api.call("POST", pay_url(api.box, invoice), json=body, headers=scoped(api.box))
    assert answer[0] == code, answer[1]
    assert "detail" in answer[1] and invoice["status"] == status
    assert len(api.box.state.payments[big(api.box)["id"]]) == before


async def test_paying_requires_the_entity_header_and_access(api):
    invoice = invoice_with(api.box, "issued")
    url = pay_url(api.box, invoice)
    status, body, _, _ = await api.call("POST", url, json={"amount": 1})
    assert status == 422 and body["detail"][0]["loc"] == ["header", "x-entity-id"]
    other = list(api.box.state.entities)[2]
    assert (await api.call("POST", url, json={"amount": 1}, headers={"X-Entity-Id": other}))[0] == 403
    foreign = f"{API}/entities/{other}/invoices/{invoice['id']}/payments"
    assert (await api.call("POST", foreign, json={"amount": 1}, headers={"X-Entity-Id": other}))[0] == 404
    await api.login(DEMO_ACCOUNTANT)
    assert (await api.call("POST", url, json={"amount": 1}, headers=scoped(api.box)))[0] == 403
    assert (await api.call("GET", f"{API}/invoices/{invoice['id']}/payments", headers=scoped(api.box)))[
        0
    ] == 403


async def test_an_invoices_payments_need_the_header_and_the_right_entity(api):
    paid = invoice_with(api.box, "paid")
    url = f"{API}/invoices/{paid['id']}/payments"
    status, body, _, _ = await api.call("GET", url)
    assert status == 422 and body["detail"][0]["loc"] == ["header", "x-entity-id"]
    other = list(api.box.state.entities)[2]
    assert (await api.call("GET", url, headers={"X-Entity-Id": other}))[0] == 404
    listed = await api.ok("GET", url, headers=scoped(api.box))
    (payment,) = listed["items"]
    assert (
        Decimal(str(payment["amount"])) == Decimal(str(paid["total_amount"]))
        and listed["outstanding_amount"] == 0
    )


async def test_the_entity_payments_and_every_filter(api):
    eid = big(api.box)["id"]
    payments = api.box.state.payments[eid]
    url = f"{API}/entities/{eid}/payments"

    async def found(**params) -> dict:
        return await api.ok("GET", url, params={"per_page": 100, **params}, headers=scoped(api.box))

    every = await found()
    assert every["total"] == len(payments) and len(every["items"]) == 100 and every["has_next"]
    dates = [p["payment_date"] for p in every["items"]]
    assert dates == sorted(dates, reverse=True)
    for kind in ("payment", "receipt"):
        assert (await found(payment_type=kind))["total"] == sum(p["payment_type"] == kind for p in payments)
    assert (await found(status="posted"))["total"] == len(payments)
    assert (await found(status="approved"))["total"] == 0
    in_q2 = sum("2025-04-01" <= p["payment_date"] <= "2025-06-30" for p in payments)
    assert (await found(date_from="2025-04-01", date_to="2025-06-30"))["total"] == in_q2
    vendor = next(p["partner_id"] for p in payments if p["partner_id"])
    assert (await found(partner_id=vendor))["total"] == sum(p["partner_id"] == vendor for p in payments)
    for params in ({"per_page": 101}, {"payment_type": "refund"}, {"status": "lost"}, {"date_from": "x"}):
        assert (await api.call("GET", url, params=params, headers=scoped(api.box)))[0] == 422, params
    assert (await api.call("GET", url))[0] == 422


async def test_from_invoice_with_its_preview(api):
    eid = big(api.box)["id"]
    invoice = invoice_with(api.box, "validated")
    body = {
        "invoice_id": invoice["id"],
        "payment_date": "2026-11-30",
        "amount": invoice["total_amount"],
        "payment_method": "cash",
        "partner_id": invoice["vendor_id"],
        "partner_type": "vendor",
        "reference_number": "PC-0099",
        "notes": "trả đủ",
    }
    preview = await api.ok(
        "POST", f"{API}/entities/{eid}/payments/from-invoice/preview", json=body, headers=scoped(api.box)
    )
    assert preview["id"] is None and preview["status"] == "draft" and preview["invoice_status"] == "paid"
    assert invoice["status"] == "validated" and (await payments_of(api, invoice))["total"] == 0
    status, made, _, _ = await api.call(
        "POST", f"{API}/entities/{eid}/payments/from-invoice", json=body, headers=scoped(api.box)
    )
    assert status == 201 and made["id"] and made["status"] == "posted" and made["payment_type"] == "payment"
    assert made["payment_method"] == "cash" and invoice["status"] == "paid"
    url = f"{API}/entities/{eid}/payments/from-invoice"
    wrong = {**body, "invoice_id": invoice_with(api.box, "issued")["id"], "payment_method": "cheque"}
    assert (await api.call("POST", url, json=wrong, headers=scoped(api.box)))[0] == 422
    issued = invoice_with(api.box, "issued")
    other_vendor = next(v["id"] for v in api.box.state.vendors[eid] if v["id"] != issued["vendor_id"])
    stranger = {**body, "invoice_id": issued["id"], "partner_id": other_vendor, "payment_method": "bank"}
    status, answer, _, _ = await api.call("POST", url, json=stranger, headers=scoped(api.box))
    assert status == 422 and "partner_id" in answer["detail"]
    sale = invoice_with(api.box, "issued", 1)
    receipt = await api.ok(
        "POST",
        url,
        json={"invoice_id": sale["id"], "payment_date": "2026-11-30", "amount": 1},
        headers=scoped(api.box),
    )
    assert receipt["payment_type"] == "receipt" and sale["status"] == "issued"


async def test_payments_are_audited_for_agents(api):
    api.box.clear_audit()
    invoice = invoice_with(api.box, "issued")
    agent = {"X-Agent-Session-Id": "s", "X-Agent-Tool-Call-Id": "1", "X-Agent-Tool-Name": "pay_invoice"}
    await api.ok("POST", pay_url(api.box, invoice), json={"amount": 10}, headers=scoped(api.box, **agent))
    (row,) = api.box.audit
    assert (
        row["tool_name"] == "pay_invoice" and row["status"] == 201 and row["entity_id"] == big(api.box)["id"]
    )


async def test_integer_ids_reach_payments(int_api):
    invoice = invoice_with(int_api.box, "issued")
    assert type(invoice["id"]) is int
    made = await int_api.ok(
        "POST", pay_url(int_api.box, invoice), json={"amount": 1}, headers=scoped(int_api.box)
    )
    assert made["invoice_id"] == invoice["id"]
    listed = await int_api.ok("GET", f"{API}/invoices/{invoice['id']}/payments", headers=scoped(int_api.box))
    assert [p["id"] for p in listed["items"]] == [made["id"]]


async def test_minimal_payment_answers(minimal_api):
    box = minimal_api.box
    invoice = invoice_with(box, "issued")
    made = await minimal_api.ok("POST", pay_url(box, invoice), json={"amount": 7}, headers=scoped(box))
    assert set(made) == {"queued_jobs"} and len(made["queued_jobs"]) == 2
    listed = await minimal_api.ok("GET", f"{API}/invoices/{invoice['id']}/payments", headers=scoped(box))
    assert set(listed) == {"items", "total"} and listed["total"] == 1 and listed["items"][0]["amount"] == 7
    page = await minimal_api.ok("GET", f"{API}/entities/{big(box)['id']}/payments", headers=scoped(box))
    assert set(page) == {"items", "total"} and page["total"] == len(box.state.payments[big(box)["id"]])
    body = {"invoice_id": invoice["id"], "payment_date": "2026-11-30", "amount": 3}
    url = f"{API}/entities/{big(box)['id']}/payments/from-invoice"
    made = await minimal_api.ok("POST", url, json=body, headers=scoped(box))
    assert set(made) == {"id", "status"} and made["status"] == "posted"
