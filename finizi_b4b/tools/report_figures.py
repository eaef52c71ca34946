"""A tax report's figures, compact, and the period's invoices to check them against.

The figures of a report are the API's, under field names nothing documents
(contract part B1: "report fields: A"): a VAT report is read as ``output`` and
``input``, each with ``amount``, ``tax_amount``, ``invoice_count`` and
``by_rate``, and ``payable``; any other report is passed on as its numeric
fields, flattened (``balance_sheet.total_assets``). Because the names are
assumed, the figures are checked: the report against itself (``payable`` is
output tax less input tax; each side's tax is the sum of its rates) and
against the period's invoices (:func:`invoice_sides`, through the summaries),
the cancelled left out and drafts counted apart, since a report declares only
issued invoices. A figure the report lacks is named as missing, never put as 0.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from finizi_b4b.api.money import amount_json, amount_json_or_none
from finizi_b4b.api.records import Record
from finizi_b4b.tools.summaries import by_direction
from finizi_b4b.tools.summary_read import HOME_CURRENCY
from finizi_b4b.tools.sums import Sums

if TYPE_CHECKING:
    from finizi_b4b.tools.base import Call, Handler

__all__ = [
    "BOOKED",
    "SIDES",
    "InvoiceSide",
    "compare",
    "flat_figures",
    "invoice_figures",
    "invoice_sides",
    "period_days",
    "vat_figures",
]

# The report's sides and the invoices that make each.
SIDES = {"output": "sales", "input": "purchase"}
# The invoice statuses the journal books (and a report declares); drafts wait to be issued.
BOOKED = ("issued", "validated", "paid")
_HEAD = frozenset({"report_type", "period", "from_date", "to_date", "currency", "entity_id", "id"})
_MAX_FIGURES = 40
_MAX_RATES = 6


def period_days(period: str) -> tuple[dt.date, dt.date]:
    """The first and last day of ``YYYY-MM`` or ``YYYY-Qn`` (checked by the tool's pattern)."""
    year, rest = int(period[:4]), period[5:]
    first_month = 3 * int(rest[1]) - 2 if rest.startswith("Q") else int(rest)
    last_month = first_month + 2 if rest.startswith("Q") else first_month
    return dt.date(year, first_month, 1), dt.date(year, last_month, calendar.monthrange(year, last_month)[1])


# -- the report's own figures --------------------------------------------------------------------------


def _part(record: Record, name: str) -> Record | None:
    value = record.get(name)
    return Record(value) if type(value) is dict else None


def vat_figures(result: Record) -> tuple[dict[str, Any], list[str], list[str]] | None:
    """The VAT figures (``output``, ``input``, ``payable``), the assumed fields it lacked, and what does
    not add up within it; None when the result has neither side under its assumed name."""
    sides = {side: _part(result, side) for side in SIDES}
    if all(part is None for part in sides.values()):
        return None
    figures: dict[str, Any] = {}
    missing: list[str] = []
    inconsistent: list[str] = []
    for side, part in sides.items():
        if part is None:
            missing.append(side)
            continue
        shown: dict[str, Any] = {}
        for field, label in (("amount", "amount"), ("tax_amount", "tax")):
            value = part.amount(field)
            shown[label] = amount_json_or_none(value)
            if value is None:
                missing.append(f"{side}.{field}")
        count = part.get("invoice_count")
        if type(count) is int and count >= 0:
            shown["invoices"] = count
        rates = _rates(part)
        if rates is not None:
            if 0 < len(rates) <= _MAX_RATES:
                shown["by_rate"] = {
                    r: {"amount": amount_json_or_none(a), "tax": amount_json_or_none(t)}
                    for r, (a, t) in rates.items()
                }
            tax = part.amount("tax_amount")
            if tax is not None and sum((t for _, t in rates.values()), Decimal(0)) != tax:
                inconsistent.append(f"{side}.by_rate")
        figures[side] = shown
    payable = result.amount("payable")
    figures["payable"] = amount_json_or_none(payable)
    if payable is None:
        missing.append("payable")
    else:
        taxes = [(part.amount("tax_amount") if part else None) for part in sides.values()]
        if None not in taxes and taxes[0] - taxes[1] != payable:  # type: ignore[operator]
            inconsistent.append("payable")
    return figures, missing, inconsistent


def _rates(part: Record) -> dict[str, tuple[Decimal, Decimal]] | None:
    """The rates with any amount or tax (zero rates left out), or None when ``by_rate`` is not readable."""
    by_rate = part.get("by_rate")
    if type(by_rate) is not dict:
        return None
    found = {}
    for rate, sums in by_rate.items():
        if type(sums) is not dict:
            return None
        row = Record(sums)
        amount, tax = row.amount("amount"), row.amount("tax_amount")
        if amount is None or tax is None:
            return None
        if amount or tax:
            found[str(rate)] = (amount, tax)
    return found


def flat_figures(result: Record) -> dict[str, Any]:
    """A report's amounts and counts, nested names joined with dots, at most 40 of them."""
    found: dict[str, Any] = {}

    def walk(value: Any, path: str, depth: int) -> None:
        if len(found) >= _MAX_FIGURES:
            return
        if type(value) is dict and depth < 3:
            record = Record(value)
            for key, item in value.items():
                if not isinstance(key, str) or (depth == 0 and key in _HEAD):
                    continue
                name = f"{path}.{key}" if path else key
                if type(item) is dict:
                    walk(item, name, depth + 1)
                elif type(item) is not bool and (amount := record.amount(key)) is not None:
                    found[name] = amount_json(amount)
                if len(found) >= _MAX_FIGURES:
                    return

    walk(result.raw, "", 0)
    return found


# -- the period's invoices -----------------------------------------------------------------------------


@attrs.frozen
class InvoiceSide:
    """One direction's invoices of a period by status, in VND; the rest counted apart."""

    by_status: dict[str | None, Sums]
    other_currencies: int = 0
    lacking: int = 0  # invoices that lacked an amount (counted, their amount as 0)
    complete: bool = True

    def sums(self, statuses: Iterable[str] | None = None, without: Iterable[str] = ()) -> Sums:
        """The sums of ``statuses`` (every one when None), leaving ``without`` out."""
        wanted = None if statuses is None else set(statuses)
        left = set(without)
        total = Sums()
        for status, sums in self.by_status.items():
            if (wanted is None or status in wanted) and status not in left:
                total.add(sums)
        return total

    @property
    def kept(self) -> Sums:
        """Every invoice but the cancelled."""
        return self.sums(without=("cancelled",))

    @property
    def drafts(self) -> Sums:
        return self.sums(("draft",))


async def invoice_sides(
    handler: Handler, call: Call, entity_id: str, first: str, last: str
) -> dict[str, InvoiceSide]:
    """Purchases and sales issued from ``first`` to ``last``, by status (a summary each)."""
    sides = {}
    period = {"date_from": first, "date_to": last}
    for direction, summary in (await by_direction(handler, call, entity_id, period)).items():
        by_status: dict[str | None, Sums] = {}
        other = 0
        for (status, *_), amounts in summary.groups.items():
            for currency, sums in amounts.items():
                if currency == HOME_CURRENCY:
                    by_status.setdefault(status, Sums()).add(sums)
                else:
                    other += sums.count
        complete = summary.coverage is None or summary.coverage.complete
        sides[direction] = InvoiceSide(by_status, other, summary.incomplete, complete)
    return sides


def invoice_figures(sides: dict[str, InvoiceSide], vat: bool) -> dict[str, Any]:
    """The figures computed from the invoices (booked statuses; drafts apart), in the report's words."""
    figures: dict[str, Any] = {}
    for side, direction in SIDES.items():
        booked, drafts = sides[direction].sums(BOOKED), sides[direction].drafts
        shown = {"invoices": booked.count, "amount": amount_json(booked.net)}
        if vat:
            shown["tax"] = amount_json(booked.tax)
        if drafts.count:
            shown["drafts"] = {
                "count": drafts.count,
                "tax" if vat else "amount": amount_json(drafts.tax if vat else drafts.net),
            }
        figures[side if vat else direction] = shown
    if vat:
        output, inputs = sides["sales"].sums(BOOKED), sides["purchase"].sums(BOOKED)
        figures["payable"] = amount_json(output.tax - inputs.tax)
    return figures


def compare(reported: Decimal | None, side: InvoiceSide, field: str) -> dict[str, Any]:
    """A report's figure against the same from the invoices (cancelled left out): ``agrees``,
    ``drafts`` (the difference is exactly the drafts, which a report does not declare) or ``differs``."""
    kept, drafts = side.kept, side.drafts
    invoices, in_drafts = getattr(kept, field), getattr(drafts, field)
    row: dict[str, Any] = {
        "report": amount_json_or_none(reported),
        "invoices": amount_json(invoices),
        "count": kept.count,
    }
    if drafts.count:
        row["drafts"] = {"count": drafts.count, field: amount_json(in_drafts)}
    if reported is None:
        row["result"] = "not_checkable"
        return row
    difference = reported - invoices
    if difference:
        row["difference"] = amount_json(difference)
    if not difference:
        row["result"] = "agrees"
    elif drafts.count and difference == -in_drafts:
        row["result"] = "drafts"
    else:
        row["result"] = "differs"
    return row
