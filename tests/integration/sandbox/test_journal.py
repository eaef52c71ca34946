"""The journal over real HTTP (contract part B1): its invariants, computed here from ``box.state``.

The expected figures are derived in this module from the invoices and payments
the sandbox holds, never from the sandbox's own ledger code.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from finizi_b4b.sandbox import DEMO_ACCOUNTANT
from finizi_b4b.sandbox.data import build_state
from tests.integration.sandbox.client import API, big

pytestmark = pytest.mark.anyio

BOOKED = ("issued", "validated", "paid")
COLUMNS = (
    "opening_debit",
    "opening_credit",
    "period_debit",
    "period_credit",
    "closing_debit",
    "closing_credit",
)


def D(value) -> Decimal:
    return Decimal(str(value))


def scoped(box) -> dict:
    return {"X-Entity-Id": big(box)["id"]}


def booked(box, direction: int, first: str, last: str) -> list[dict]:
    return [
        i
        for i in box.state.invoices[big(box)["id"]]
        if i["direction"] == direction and i["status"] in BOOKED and first <= i["issue_date"] <= last
    ]


def periods(count: int) -> list[tuple[str, str]]:
    rng = random.Random(7)  # noqa: S311 -- seeded test periods, not security
    start = dt.date(2024, 12, 1)
    found = []
    for _ in range(count):
        first = start + dt.timedelta(days=rng.randrange(700))
        found.append((first.isoformat(), (first + dt.timedelta(days=rng.randrange(400))).isoformat()))
    return found


async def trial_balance(api, first: str, last: str) -> dict:
    url = f"{API}/entities/{big(api.box)['id']}/journal/gl/trial-balance"
    return await api.ok("GET", url, params={"from_date": first, "to_date": last})


def row(balance: dict, code: str) -> dict:
    return next((a for a in balance["accounts"] if a["account_code"] == code), dict.fromkeys(COLUMNS, "0"))


# -- the seeded payments ---------------------------------------------------------------------------


def test_each_paid_invoice_has_one_payment_of_its_total_and_no_other_invoice_has_any():
    state = build_state(0)
    for entity_id, invoices in state.invoices.items():
        by_invoice: dict = {}
        for payment in state.payments[entity_id]:
            by_invoice.setdefault(payment["invoice_id"], []).append(payment)
        for invoice in invoices:
            payments = by_invoice.pop(invoice["id"], [])
            if invoice["status"] != "paid":
                assert payments == [], invoice["status"]
                continue
            (payment,) = payments
            assert D(payment["amount"]) == D(invoice["total_amount"]) and payment["status"] == "posted"
            assert payment["payment_date"] >= invoice["issue_date"]
            assert payment["payment_type"] == ("payment" if invoice["direction"] == 0 else "receipt")
        assert by_invoice == {}
    again = build_state(0)
    assert again.payments == state.payments and again.registry == state.registry


# -- the trial balance -----------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "last"), periods(8))
async def test_debits_equal_credits_in_the_trial_balance(api, first, last):
    balance = await trial_balance(api, first, last)
    totals = {column: sum(D(a[column]) for a in balance["accounts"]) for column in COLUMNS}
    assert {k: D(v) for k, v in balance["totals"].items()} == totals
    for when in ("opening", "period", "closing"):
        assert totals[f"{when}_debit"] == totals[f"{when}_credit"], when
    assert balance["balanced"] is True
    for account in balance["accounts"]:
        opening = D(account["opening_debit"]) - D(account["opening_credit"])
        moved = D(account["period_debit"]) - D(account["period_credit"])
        assert D(account["closing_debit"]) - D(account["closing_credit"]) == opening + moved


@pytest.mark.parametrize(("first", "last"), [("2025-01-01", "2025-03-31"), ("2025-07-01", "2026-02-28")])
async def test_vat_accounts_move_by_the_periods_invoice_tax(api, first, last):
    balance = await trial_balance(api, first, last)
    purchases, sales = booked(api.box, 0, first, last), booked(api.box, 1, first, last)
    assert purchases and sales
    assert D(row(balance, "1331")["period_debit"]) == sum(D(i["total_tax_amount"]) for i in purchases)
    assert D(row(balance, "1331")["period_credit"]) == 0
    assert D(row(balance, "33311")["period_credit"]) == sum(D(i["total_tax_amount"]) for i in sales)
    revenue = D(row(balance, "5111")["period_credit"]) + D(row(balance, "5112")["period_credit"])
    assert revenue == sum(D(i["total_amount_before_tax"]) for i in sales)
    stock = D(row(balance, "1561")["period_debit"]) + D(row(balance, "642")["period_debit"])
    assert stock == sum(D(i["total_amount_before_tax"]) for i in purchases)


@pytest.mark.parametrize("day", ["2025-02-14", "2025-09-30", "2026-06-30"])
async def test_the_payables_balance_is_purchases_less_payments(api, day):
    balance = await trial_balance(api, "2025-01-01", day)
    state, eid = api.box.state, big(api.box)["id"]
    bought = sum(D(i["total_amount"]) for i in booked(api.box, 0, "0000-01-01", day))
    purchase_ids = {i["id"] for i in state.invoices[eid] if i["direction"] == 0}
    paid = sum(
        D(p["amount"])
        for p in state.payments[eid]
        if p["invoice_id"] in purchase_ids and p["payment_date"] <= day
    )
    owed = row(balance, "331")
    assert D(owed["closing_credit"]) - D(owed["closing_debit"]) == bought - paid > 0


@pytest.mark.parametrize("params", [{}, {"from_date": "2025-01-01"}, {"to_date": "2025-01-01"}])
async def test_the_trial_balance_requires_both_dates(api, params):
    url = f"{API}/entities/{big(api.box)['id']}/journal/gl/trial-balance"
    status, body, _, _ = await api.call("GET", url, params=params)
    assert status == 422 and {tuple(d["loc"]) for d in body["detail"]} == {
        ("query", name) for name in ("from_date", "to_date") if name not in params
    }
    reversed_dates = await api.call("GET", url, params={"from_date": "2025-02-01", "to_date": "2025-01-01"})
    assert reversed_dates[0] == 422


# -- the general ledger, the general journal, the summary ----------------------------------------------


async def test_the_general_ledger_pages_an_accounts_lines_with_a_running_balance(api):
    eid, first, last = big(api.box)["id"], "2025-04-01", "2025-06-30"
    url = f"{API}/entities/{eid}/general-ledger"
    params = {"account": "331", "from_date": first, "to_date": last, "per_page": 7}
    head = await api.ok("GET", url, params=params)
    lines = list(head["items"])
    for page in range(2, head["pages"] + 1):
        lines += (await api.ok("GET", url, params={**params, "page": page}))["items"]
    purchases = booked(api.box, 0, first, last)
    ids = {i["id"] for i in purchases}
    payments = [
        p
        for p in api.box.state.payments[eid]
        if p["payment_type"] == "payment" and first <= p["payment_date"] <= last
    ]
    assert len(lines) == head["total"] == len(purchases) + len(payments)
    assert {line["reference_id"] for line in lines if line["reference_type"] == "invoice"} == ids
    assert D(head["period_credit"]) == sum(D(i["total_amount"]) for i in purchases)
    assert D(head["period_debit"]) == sum(D(p["amount"]) for p in payments)
    running = D(head["opening_balance"])
    for line in lines:
        assert first <= line["entry_date"] <= last
        running += D(line["debit"]) - D(line["credit"])
        assert D(line["balance"]) == running
    assert running == D(head["closing_balance"])
    before = await trial_balance(api, first, last)
    assert D(head["opening_balance"]) == D(row(before, "331")["opening_debit"]) - D(
        row(before, "331")["opening_credit"]
    )


async def test_a_parent_account_holds_its_sub_accounts_and_unknown_accounts_are_404(api):
    eid = big(api.box)["id"]
    url = f"{API}/entities/{eid}/general-ledger"
    parent = await api.ok("GET", url, params={"account": "133", "per_page": 1})
    child = await api.ok("GET", url, params={"account": "1331", "per_page": 1})
    assert parent["total"] == child["total"] > 0 and parent["closing_balance"] == child["closing_balance"]
    assert (await api.call("GET", url, params={"account": "999"}))[0] == 404
    for bad in ("13 31", "x" * 33, "1331/1"):
        status, body, _, _ = await api.call("GET", url, params={"account": bad})
        assert status == 422 and body["detail"][0]["loc"] == ["query", "account"]
    assert (await api.call("GET", url))[0] == 422


async def test_the_general_journal_holds_the_periods_entries_each_balanced(api):
    eid, first, last = big(api.box)["id"], "2025-05-01", "2025-05-31"
    body = await api.ok(
        "GET",
        f"{API}/entities/{eid}/general-journal",
        params={"from_date": first, "to_date": last, "per_page": 200},
    )
    invoices = booked(api.box, 0, first, last) + booked(api.box, 1, first, last)
    payments = [p for p in api.box.state.payments[eid] if first <= p["payment_date"] <= last]
    assert body["total"] == len(body["items"]) == len(invoices) + len(payments)
    assert {e["reference_id"] for e in body["items"]} == {i["id"] for i in invoices} | {
        p["id"] for p in payments
    }
    for entry in body["items"]:
        assert first <= entry["entry_date"] <= last and entry["status"] == "posted"
        debit = sum(D(line["debit"]) for line in entry["lines"])
        assert debit == sum(D(line["credit"]) for line in entry["lines"]) == D(entry["total_debit"])
    dates = [e["entry_date"] for e in body["items"]]
    assert dates == sorted(dates)


async def test_the_journal_summary_counts_every_entry(api):
    eid = big(api.box)["id"]
    summary = await api.ok("GET", f"{API}/entities/{eid}/journal-summary")
    invoices = [i for i in api.box.state.invoices[eid] if i["status"] in BOOKED]
    payments = api.box.state.payments[eid]
    assert summary["entry_count"] == len(invoices) + len(payments)
    assert summary["by_reference_type"] == {"invoice": len(invoices), "payment": len(payments)}
    assert summary["total_debit"] == summary["total_credit"]
    assert D(summary["total_debit"]) == sum(D(i["total_amount"]) for i in invoices) + sum(
        D(p["amount"]) for p in payments
    )


# -- an invoice's entries ----------------------------------------------------------------------------


def pick(box, status: str, direction: int) -> dict:
    return next(
        i for i in box.state.invoices[big(box)["id"]] if i["status"] == status and i["direction"] == direction
    )


async def test_an_invoices_entry_books_the_accounts_of_its_direction(api):
    eid = big(api.box)["id"]
    url = f"{API}/entities/{eid}/journal-entries"
    for invoice, expected in (
        (pick(api.box, "issued", 0), {"331": (0, "total_amount"), "1331": ("total_tax_amount", 0)}),
        (pick(api.box, "validated", 1), {"131": ("total_amount", 0), "33311": (0, "total_tax_amount")}),
    ):
        params = {"reference_type": "invoice", "reference_id": invoice["id"], "include_lines": "true"}
        body = await api.ok("GET", url, params=params, headers=scoped(api.box))
        (entry,) = body["items"]
        assert body["total"] == 1 and body["page"] == 1 and entry["reference_id"] == invoice["id"]
        lines = {line["account_code"]: line for line in entry["lines"]}
        assert all(
            isinstance(line["debit"], str) and isinstance(line["credit"], str) for line in entry["lines"]
        )
        for code, (debit, credit) in expected.items():
            if invoice["total_tax_amount"] or code not in ("1331", "33311"):
                assert D(lines[code]["debit"]) == D(invoice[debit] if debit else 0), code
                assert D(lines[code]["credit"]) == D(invoice[credit] if credit else 0), code
        net_codes = ("1561", "642") if invoice["direction"] == 0 else ("5111", "5112")
        net = sum(D(lines[c]["debit"]) + D(lines[c]["credit"]) for c in net_codes if c in lines)
        assert net == D(invoice["total_amount_before_tax"])
        bare = await api.ok("GET", url, params={**params, "include_lines": "false"}, headers=scoped(api.box))
        assert "lines" not in bare["items"][0]


async def test_draft_and_cancelled_invoices_have_no_entry_and_a_payment_has_its_own(api):
    url = f"{API}/entities/{big(api.box)['id']}/journal-entries"
    for status in ("draft", "cancelled"):
        invoice = pick(api.box, status, 0)
        params = {"reference_type": "invoice", "reference_id": invoice["id"]}
        assert (await api.ok("GET", url, params=params, headers=scoped(api.box)))["total"] == 0
    paid = pick(api.box, "paid", 0)
    (payment,) = [p for p in api.box.state.payments[big(api.box)["id"]] if p["invoice_id"] == paid["id"]]
    params = {"reference_type": "payment", "reference_id": payment["id"], "include_lines": "true"}
    (entry,) = (await api.ok("GET", url, params=params, headers=scoped(api.box)))["items"]
    lines = {line["account_code"]: (D(line["debit"]), D(line["credit"])) for line in entry["lines"]}
    assert lines == {"331": (D(payment["amount"]), 0), "1121": (0, D(payment["amount"]))}
    assert entry["entry_date"] == payment["payment_date"]


async def test_journal_entries_require_the_entity_header_and_page_at_most_100(api):
    eid = big(api.box)["id"]
    url = f"{API}/entities/{eid}/journal-entries"
    status, body, _, _ = await api.call("GET", url)
    assert status == 422 and body["detail"][0]["loc"] == ["header", "x-entity-id"]
    other = list(api.box.state.entities)[2]
    assert (await api.call("GET", url, headers={"X-Entity-Id": other}))[0] == 403
    assert (await api.call("GET", url, params={"per_page": 101}, headers=scoped(api.box)))[0] == 422
    assert (await api.call("GET", url, params={"reference_type": "bill"}, headers=scoped(api.box)))[0] == 422
    page = await api.ok("GET", url, params={"per_page": 100, "page": 2}, headers=scoped(api.box))
    assert len(page["items"]) == 100 and page["per_page"] == 100


async def test_another_users_journal_is_403(api):
    eid = big(api.box)["id"]
    await api.login(DEMO_ACCOUNTANT)
    for path, params in (
        ("journal/gl/trial-balance", {"from_date": "2025-01-01", "to_date": "2025-12-31"}),
        ("general-ledger", {"account": "331"}),
        ("general-journal", {}),
        ("journal-summary", {}),
        ("journal-entries", {}),
    ):
        status, _, _, _ = await api.call(
            "GET", f"{API}/entities/{eid}/{path}", params=params, headers={"X-Entity-Id": eid}
        )
        assert status == 403, path


# -- minimal mode --------------------------------------------------------------------------------------


async def test_minimal_trial_balance_and_ledger_serve_the_other_shape(minimal_api):
    eid = big(minimal_api.box)["id"]
    params = {"from_date": "2025-01-01", "to_date": "2025-06-30"}
    balance = await minimal_api.ok("GET", f"{API}/entities/{eid}/journal/gl/trial-balance", params=params)
    assert set(balance) == {"items"}
    rows = {r["account_code"]: r for r in balance["items"]}
    assert set(rows["331"]) == {"account_code", "opening_balance", "debit", "credit", "closing_balance"}
    assert sum(D(r["debit"]) for r in rows.values()) == sum(D(r["credit"]) for r in rows.values())
    tax = sum(D(i["total_tax_amount"]) for i in booked(minimal_api.box, 0, *params.values()))
    assert D(rows["1331"]["debit"]) == tax
    ledger = await minimal_api.ok(
        "GET", f"{API}/entities/{eid}/general-ledger", params={"account": "1331", **params}
    )
    assert set(ledger) == {"items", "total"} and all("balance" not in line for line in ledger["items"])
    entries = await minimal_api.ok(
        "GET",
        f"{API}/entities/{eid}/journal-entries",
        params={"include_lines": "true"},
        headers={"X-Entity-Id": eid},
    )
    assert set(entries) == {"items", "total", "page", "per_page"}
    assert all(set(e) == {"id", "lines"} for e in entries["items"])
    assert all(
        set(line) == {"account_code", "debit", "credit"} for e in entries["items"] for line in e["lines"]
    )
