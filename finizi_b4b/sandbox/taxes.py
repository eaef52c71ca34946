"""The figures of a generated tax report: VAT per rate, CIT, PIT and the financial statements.

The report's field names are the sandbox's choice (no declaration box numbers
are evidenced); amounts are decimal strings as in the journal. Every figure
is over the invoices the journal books (issued, validated or paid: a draft or
a cancelled invoice is declared nowhere), dated in the period, so the VAT
report agrees with the journal: output tax is the period's 33311 credit
movement, input tax its 1331 debit movement.

- ``vat``: ``output`` (sales) and ``input`` (purchases), each with ``by_rate``
  (``"0"``, ``"5"``, ``"8"``, ``"10"``: the sums of line ``amount`` and
  ``tax_amount``), ``amount``, ``tax_amount`` and ``invoice_count``; then
  ``payable`` = output tax less input tax (negative: a credit to carry forward).
- ``cit``: ``revenue`` (5111, 5112), ``expenses`` (642, 632), ``profit``,
  ``cit_rate`` (20 %) and ``cit_payable``; no cost of goods sold is booked.
- ``pit``: the sandbox has no payroll, so ``employee_count`` 0 and zero amounts.
- ``bctc``: ``balance_sheet`` at the period's end (assets, liabilities, the
  difference as ``equity``) and ``income_statement`` over the period.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal
from typing import Any

from finizi_b4b.sandbox.ledger import POSTED_INVOICE_STATUSES, balances, entries_of, money
from finizi_b4b.sandbox.seeds import VAT_RATES
from finizi_b4b.sandbox.state import State

__all__ = ["PERIOD", "REPORT_TYPES", "period_bounds", "report_figures"]

PERIOD = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$")  # YYYY-MM or YYYY-Qn
REPORT_TYPES = ("vat", "pit", "cit", "bctc")
CIT_RATE = Decimal("0.20")
_ZERO = Decimal(0)


def period_bounds(period: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day of ``YYYY-MM`` or ``YYYY-Qn``; None for anything else."""
    if PERIOD.match(period) is None or int(period[:4]) < 1900:
        return None
    year, rest = int(period[:4]), period[5:]
    quarterly = rest.startswith("Q")
    first_month = 3 * int(rest[1]) - 2 if quarterly else int(rest)
    last_month = first_month + 2 if quarterly else first_month
    last_day = calendar.monthrange(year, last_month)[1]
    return dt.date(year, first_month, 1), dt.date(year, last_month, last_day)


def _rate_key(rate: Any) -> str:
    value = Decimal(str(rate))
    return str(int(value)) if value == value.to_integral_value() else str(value)


def _side(invoices: list[dict[str, Any]]) -> dict[str, Any]:
    by_rate = {str(rate): [_ZERO, _ZERO] for rate in VAT_RATES}
    for invoice in invoices:
        for line in invoice["line_items"]:
            sums = by_rate.setdefault(_rate_key(line["vat_rate"]), [_ZERO, _ZERO])
            sums[0] += Decimal(str(line["amount"]))
            sums[1] += Decimal(str(line["tax_amount"]))
    return {
        "by_rate": {rate: {"amount": money(a), "tax_amount": money(t)} for rate, (a, t) in by_rate.items()},
        "amount": money(sum((a for a, _ in by_rate.values()), _ZERO)),
        "tax_amount": money(sum((t for _, t in by_rate.values()), _ZERO)),
        "invoice_count": len(invoices),
    }


def _vat(state: State, entity_id: str, first: str, last: str) -> dict[str, Any]:
    declared = [
        inv
        for inv in state.invoices.get(entity_id, ())
        if inv["status"] in POSTED_INVOICE_STATUSES and first <= inv["issue_date"] <= last
    ]
    output = _side([inv for inv in declared if inv["direction"] == 1])
    inputs = _side([inv for inv in declared if inv["direction"] == 0])
    payable = Decimal(output["tax_amount"]) - Decimal(inputs["tax_amount"])
    return {"output": output, "input": inputs, "payable": money(payable)}


def _movement(rows: dict[str, Any], *codes: str, credit: bool) -> Decimal:
    total = _ZERO
    for code in codes:
        if code in rows:
            total += rows[code].credit - rows[code].debit if credit else rows[code].debit - rows[code].credit
    return total


def _income(rows: dict[str, Any]) -> dict[str, Decimal]:
    revenue = _movement(rows, "5111", "5112", credit=True)
    expenses = _movement(rows, "642", "632", credit=False)
    return {"revenue": revenue, "expenses": expenses, "profit": revenue - expenses}


def _cit(rows: dict[str, Any]) -> dict[str, Any]:
    income = _income(rows)
    payable = max(income["profit"], _ZERO) * CIT_RATE
    return {**{k: money(v) for k, v in income.items()}, "cit_rate": "0.20", "cit_payable": money(payable)}


def _bctc(state: State, entity_id: str, rows: dict[str, Any], last: str) -> dict[str, Any]:
    closing = {b.account_code: b.closing for b in balances(entries_of(state, entity_id), None, last)}

    def held(*codes: str) -> Decimal:
        return sum((closing.get(code, _ZERO) for code in codes), _ZERO)

    assets = {
        "cash_and_bank": held("1111", "1121"),
        "receivables": held("131"),
        "deductible_vat": held("1331"),
        "inventory": held("1561"),
    }
    liabilities = {"payables": -held("331"), "vat_payable": -held("33311")}
    total_assets, total_liabilities = sum(assets.values(), _ZERO), sum(liabilities.values(), _ZERO)
    return {
        "balance_sheet": {
            "assets": {k: money(v) for k, v in assets.items()},
            "total_assets": money(total_assets),
            "liabilities": {k: money(v) for k, v in liabilities.items()},
            "total_liabilities": money(total_liabilities),
            "equity": money(total_assets - total_liabilities),
        },
        "income_statement": {k: money(v) for k, v in _income(rows).items()},
    }


def report_figures(state: State, entity_id: str, report_type: str, period: str) -> dict[str, Any]:
    """The report of ``report_type`` for ``period`` (already checked), as the job's result."""
    bounds = period_bounds(period)
    assert bounds is not None
    first, last = (day.isoformat() for day in bounds)
    head = {
        "report_type": report_type,
        "period": period,
        "from_date": first,
        "to_date": last,
        "currency": "VND",
    }
    if report_type == "vat":
        return {**head, **_vat(state, entity_id, first, last)}
    if report_type == "pit":
        return {**head, "employee_count": 0, "taxable_income": "0.00", "pit_withheld": "0.00"}
    rows = {b.account_code: b for b in balances(entries_of(state, entity_id), first, last)}
    if report_type == "cit":
        return {**head, **_cit(rows)}
    return {**head, **_bctc(state, entity_id, rows, last)}
