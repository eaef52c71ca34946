"""get_trial_balance and get_general_ledger through a real client session, in both answer shapes.

What the tools compute is checked against the sandbox's records: the 1331 and
33311 movements against the tax of the period's booked invoices (issued,
validated, paid), the ledger's lines against the same invoices. Trial balances
that do not balance, hold parent accounts or lack a figure are answered by a
fault of the sandbox, so that the checks are seen to be computed from the rows.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from mcp import Client

from finizi_b4b.sandbox import Sandbox
from finizi_b4b.server import build_server
from tests.conftest import body_of, settings_for

pytestmark = pytest.mark.anyio

BOOKED = ("issued", "validated", "paid")
FIRST, LAST = "2025-04-01", "2025-06-30"


def booked_tax(box, entity_id: str, direction: int) -> tuple[int, int]:
    """How many booked invoices of a direction carry tax in the period, and their tax."""
    chosen = [
        inv
        for inv in box.state.invoices[entity_id]
        if inv["direction"] == direction
        and inv["status"] in BOOKED
        and FIRST <= inv["issue_date"][:10] <= LAST
    ]
    taxed = [inv for inv in chosen if Decimal(str(inv["total_tax_amount"]))]
    return len(taxed), int(sum(Decimal(str(inv["total_tax_amount"])) for inv in chosen))


async def call(client, tool: str, arguments: dict) -> dict:
    return body_of(await client.call_tool(tool, arguments))


@pytest.fixture(scope="module")
def minimal():
    with Sandbox.in_thread(seed=0, minimal=True) as box:
        yield box


def check_rows(data: dict) -> dict[str, list]:
    """Each row's closing is its opening plus debit less credit; the rows by account."""
    columns = data["columns"]
    rows = {row[0]: dict(zip(columns, row, strict=True)) for row in data["rows"]}
    for row in rows.values():
        assert row["closing"] == row["opening"] + row["debit"] - row["credit"], row
    return rows


async def test_the_trial_balance_balances_and_its_vat_accounts_match_the_invoices(
    connect, sandbox, world, era
):
    async with connect(era) as client:
        body = await call(
            client, "get_trial_balance", {"entity_id": world.big, "date_from": FIRST, "date_to": LAST}
        )
    data = body["data"]
    assert data["columns"] == ["account", "name", "opening", "debit", "credit", "closing"]
    rows = check_rows(data)
    assert rows["1331"]["name"] == "Thuế GTGT được khấu trừ của hàng hóa, dịch vụ"
    assert data["totals"]["debit"] == data["totals"]["credit"] == sum(r["debit"] for r in rows.values())
    assert data["checks"] == {
        "period_balanced": True,
        "closing_balanced": True,
        "opening_balanced": True,
        "api_totals_agree": True,
    }
    purchases, sales = booked_tax(sandbox, world.big, 0)[1], booked_tax(sandbox, world.big, 1)[1]
    assert data["vat_accounts"] == {
        "1331": {"debit": purchases, "invoice_tax": purchases, "agrees": True},
        "33311": {"credit": sales, "invoice_tax": sales, "agrees": True},
    }
    assert rows["1331"]["debit"] == purchases and rows["33311"]["credit"] == sales
    assert "period debits equal credits: yes" in body["message"]
    assert f"1331 debit movement ({purchases:,} VND) agrees with the invoices' tax" in body["message"]


async def test_the_minimal_shape_gives_the_same_figures_signed(connect, minimal, world):
    async with connect() as client:
        rich = await call(
            client, "get_trial_balance", {"entity_id": world.big, "date_from": FIRST, "date_to": LAST}
        )
    async with Client(build_server(settings_for(minimal)), mode="legacy") as client:
        body = await call(
            client, "get_trial_balance", {"entity_id": world.big, "date_from": FIRST, "date_to": LAST}
        )
    data = body["data"]
    assert data["columns"] == ["account", "opening", "debit", "credit", "closing"]  # no names sent
    assert {row[0]: row[1:] for row in data["rows"]} == {row[0]: row[2:] for row in rich["data"]["rows"]}
    assert data["checks"] == {"period_balanced": True, "closing_balanced": True, "opening_balanced": True}
    assert data["vat_accounts"] == rich["data"]["vat_accounts"]


def rows_answer(rows: list[dict], **more) -> str:
    return json.dumps({"accounts": rows, **more})


def account(code: str, opening: str, debit: str, credit: str) -> dict:
    closing = Decimal(opening) + Decimal(debit) - Decimal(credit)
    return {
        "account_code": code,
        "opening_debit": opening if Decimal(opening) > 0 else "0",
        "opening_credit": str(-Decimal(opening)) if Decimal(opening) < 0 else "0",
        "period_debit": debit,
        "period_credit": credit,
        "closing_debit": str(closing) if closing > 0 else "0",
        "closing_credit": str(-closing) if closing < 0 else "0",
    }


async def test_checks_are_computed_from_the_rows_not_taken_from_a_flag(connect, sandbox, world):
    path = f"/api/v1/entities/{world.big}/journal/gl/trial-balance"
    unbalanced = [account("1331", "0", "100", "0"), account("331", "0", "0", "90")]
    sandbox.inject_fault(200, body=rows_answer(unbalanced, balanced=True), path=path)
    parents = [
        account("133", "0", "100", "0"),
        account("1331", "0", "100", "0"),
        account("331", "0", "0", "100"),
    ]
    sandbox.inject_fault(200, body=rows_answer(parents, balanced=False), path=path)
    lacking = [{"account_code": "1331", "period_debit": "5"}, account("331", "0", "0", "5")]
    sandbox.inject_fault(200, body=rows_answer(lacking), path=path)
    arguments = {"entity_id": world.big, "date_from": FIRST, "date_to": LAST}
    async with connect() as client:
        first = await call(client, "get_trial_balance", arguments)
        second = await call(client, "get_trial_balance", arguments)
        third = await call(client, "get_trial_balance", arguments)
    purchases = booked_tax(sandbox, world.big, 0)[1]
    assert first["data"]["checks"]["period_balanced"] is False
    assert first["data"]["vat_accounts"]["1331"] == {"debit": 100, "invoice_tax": purchases, "agrees": False}
    assert first["data"]["vat_accounts"]["33311"]["credit"] is None  # not listed: no movement booked
    assert "period debits equal credits: NO" in first["message"]
    assert "1331 debit movement (100 VND) DIFFERS from the invoices' tax" in first["message"]
    assert (
        second["data"]["checks"]["period_balanced"] is True
        and second["data"]["checks"]["parents_left_out"] == 1
    )
    assert second["data"]["totals"]["debit"] == 100  # 133 is 1331's parent: not added twice
    assert third["data"]["checks"]["closing_balanced"] is None
    assert "1 row(s) lacked a figure" in third["message"]


async def test_the_ledger_pages_through_the_accounts_lines(connect, sandbox, world, era):
    count, tax = booked_tax(sandbox, world.big, 0)
    lines: list[list] = []
    arguments = {
        "entity_id": world.big,
        "account": "1331",
        "date_from": FIRST,
        "date_to": LAST,
        "page_size": 20,
    }
    async with connect(era) as client:
        for page in range(1, 10):
            data = (await call(client, "get_general_ledger", {**arguments, "page": page}))["data"]
            lines += data["lines"]
            if not data["has_next"]:
                break
    assert data["columns"] == ["date", "entry", "description", "debit", "credit", "balance"]
    assert data["total"] == len(lines) == count and data["pages"] == -(-count // 20)
    assert sum(line[3] for line in lines) == tax == data["debit"]
    assert data["closing"] == data["opening"] + data["debit"] - data["credit"] == lines[-1][5]
    assert all(FIRST <= line[0] <= LAST for line in lines) and data["name"].startswith("Thuế GTGT")


async def test_the_minimal_ledger_says_what_it_lacks(minimal, world):
    arguments = {
        "entity_id": world.big,
        "account": "1331",
        "date_from": FIRST,
        "date_to": LAST,
        "page": 2,
        "page_size": 20,
    }
    async with Client(build_server(settings_for(minimal)), mode="legacy") as client:
        body = await call(client, "get_general_ledger", arguments)
    data = body["data"]
    assert data["columns"] == ["date", "entry", "description", "debit", "credit"]
    assert (
        data["page"] == 2
        and len(data["lines"]) == 20
        and data["total"] == booked_tax(minimal, world.big, 0)[0]
    )
    assert "opening" not in data and "sent no opening or closing balance" in body["message"]


async def test_an_unknown_account_is_not_found_by_name_and_a_bad_one_never_sent(connect, sandbox, world):
    arguments = {"entity_id": world.big, "date_from": FIRST, "date_to": LAST}
    async with connect() as client:
        missing = await call(client, "get_general_ledger", {**arguments, "account": "9999"})
        sandbox.clear_seen()
        bad = await call(client, "get_general_ledger", {**arguments, "account": "13/../31"})
        assert sandbox.seen == []
        backwards = await call(client, "get_trial_balance", {**arguments, "date_from": "2025-07-01"})
    assert (
        missing["code"] == "not_found" and "Account 9999 is not in the chart of accounts" in missing["error"]
    )
    assert bad["code"] == "invalid_arguments" and "$.account" in bad["error"]
    assert (
        backwards["code"] == "invalid_arguments"
        and "date_from (2025-07-01) is after date_to" in backwards["error"]
    )
