"""The trial balance and the general ledger, compact: rows as lists, and the checks computed from them.

A trial balance row is ``[account, name, opening, debit, credit, closing]``
(without the name when the API names no account), opening and closing signed
(debit plus, credit minus) whichever of the API's two shapes it came in.
Whether it balances is computed here from the rows, not taken from a flag:
total debits against total credits for the period, and the closing (and
opening) balances summing to zero. Only leaf accounts are added: a
row whose code begins another row's code (``133`` beside ``1331``) is a parent
and would count its children twice. A ledger line is ``[date, entry,
description, debit, credit, balance]``, the balance only where the API sends it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from finizi_b4b.api import fields
from finizi_b4b.api.money import amount_json, amount_json_or_none
from finizi_b4b.api.untrusted import quote
from finizi_b4b.tools.base import paging, shortened

if TYPE_CHECKING:
    from finizi_b4b.api.reports import BalanceRow, LedgerPage, TrialBalance
    from finizi_b4b.tools.report_figures import InvoiceSide

__all__ = [
    "BALANCE_COLUMNS",
    "LEDGER_COLUMNS",
    "VAT_ACCOUNTS",
    "ledger_data",
    "trial_balance_data",
    "vat_accounts",
]

BALANCE_COLUMNS = ["account", "name", "opening", "debit", "credit", "closing"]
LEDGER_COLUMNS = ["date", "entry", "description", "debit", "credit", "balance"]
# The VAT accounts the journal books invoice tax on: the movement that is the tax, and the invoices'.
VAT_ACCOUNTS = {"1331": ("debit", "purchase"), "33311": ("credit", "sales")}
_NAME_CHARS = 48
_TEXT_CHARS = 80


def _leaves(rows: list[BalanceRow]) -> list[BalanceRow]:
    codes = [row.code for row in rows if row.code]

    def parent(code: str | None) -> bool:
        return code is not None and any(c != code and c.startswith(code) for c in codes)

    return [row for row in rows if not parent(row.code)]


def trial_balance_data(balance: TrialBalance) -> tuple[dict[str, Any], int]:
    """The compact rows, the totals and checks over the leaf accounts, and how many rows lacked a figure."""
    rows = balance.rows
    shown = []
    for row in rows:
        name = shortened(row.name, _NAME_CHARS)
        figures = (row.opening, row.debit, row.credit, row.closing)
        shown.append([row.code, name, *(amount_json_or_none(value) for value in figures)])
    leaves = _leaves(rows)
    lacking = sum(1 for row in leaves if None in (row.opening, row.debit, row.credit, row.closing))
    sums = {
        "opening": sum((row.opening or Decimal(0) for row in leaves), Decimal(0)),
        "debit": sum((row.debit or Decimal(0) for row in leaves), Decimal(0)),
        "credit": sum((row.credit or Decimal(0) for row in leaves), Decimal(0)),
        "closing": sum((row.closing or Decimal(0) for row in leaves), Decimal(0)),
    }
    checks: dict[str, Any] = {
        "period_balanced": None if lacking else sums["debit"] == sums["credit"],
        "closing_balanced": None if lacking else sums["closing"] == 0,
        "opening_balanced": None if lacking else sums["opening"] == 0,
    }
    if len(leaves) != len(rows):
        checks["parents_left_out"] = len(rows) - len(leaves)
    agree = _api_totals_agree(balance, sums)
    if agree is not None:
        checks["api_totals_agree"] = agree
    columns = list(BALANCE_COLUMNS)
    if not any(row[1] for row in shown):  # the API named no account: the column is left out
        columns.pop(1)
        shown = [[row[0], *row[2:]] for row in shown]
    data = {
        "columns": columns,
        "rows": shown,
        "totals": {key: amount_json(value) for key, value in sums.items()},
        "checks": checks,
    }
    return data, lacking


def _api_totals_agree(balance: TrialBalance, sums: dict[str, Decimal]) -> bool | None:
    """Whether the API's own period totals (where sent) are the sums of its leaf rows."""
    totals = balance.get("totals")
    if type(totals) is not dict:
        return None
    from finizi_b4b.api.records import Record

    record = Record(totals)
    debit, credit = record.amount("period_debit"), record.amount("period_credit")
    if debit is None or credit is None:
        return None
    return (debit, credit) == (sums["debit"], sums["credit"])


def vat_accounts(balance: TrialBalance, sides: dict[str, InvoiceSide]) -> dict[str, Any]:
    """The 1331 debit and 33311 credit movements against the booked invoices' input and output tax."""
    from finizi_b4b.tools.report_figures import BOOKED

    by_code = {row.code: row for row in balance.rows if row.code}
    found: dict[str, Any] = {}
    for code, (side, direction) in VAT_ACCOUNTS.items():
        row = by_code.get(code)
        booked = None if row is None else (row.debit if side == "debit" else row.credit)
        tax = sides[direction].sums(BOOKED).tax
        # A row without the figure says nothing; an account not listed has had no movement.
        agrees = None if row is not None and booked is None else (booked or Decimal(0)) == tax
        found[code] = {side: amount_json_or_none(booked), "invoice_tax": amount_json(tax), "agrees": agrees}
    return found


def _line(line: Any) -> list[Any]:
    date = fields.text(line.get("entry_date")) or fields.text(line.get("date"))
    entry = line.get("entry_number") or line.get("reference") or line.get("entry_id")
    text = fields.text(line.get("description"))
    return [
        date[:10] if date else None,
        str(entry) if type(entry) in (str, int) else None,
        quote(text, _TEXT_CHARS) if text else None,
        amount_json_or_none(line.amount("debit")),
        amount_json_or_none(line.amount("credit")),
        amount_json_or_none(line.amount("balance")),
    ]


def ledger_data(page: LedgerPage, account: str, asked: int, page_size: int) -> tuple[dict[str, Any], bool]:
    """The page's lines, compact, with the account's balances and the paging; whether balances came."""
    lines = [_line(line) for line in page.items]
    columns = list(LEDGER_COLUMNS)
    if all(line[5] is None for line in lines):
        columns.pop()
        lines = [line[:5] for line in lines]
    data: dict[str, Any] = {"account": account}
    name = fields.text(page.get("account_name"))
    if name:
        data["name"] = name
    heads = (("opening", "opening_balance"), ("debit", "period_debit"), ("credit", "period_credit"),
             ("closing", "closing_balance"))  # fmt: skip
    for key, field in heads:
        value = page.amount(field)
        if value is not None:
            data[key] = amount_json(value)
    has_balances = any(key in data for key, _ in heads)
    data |= {"columns": columns, "lines": lines, **paging(page, len(lines), page_size, asked)}
    return data, has_balances
