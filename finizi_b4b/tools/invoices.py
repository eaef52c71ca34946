"""list_invoices, get_invoice, get_invoice_statistics.

Statistics of a period come from the invoice list, whose date filters the API
is known to honour, never from ``stats/summary`` with dates: nothing shows that
the API reads a period there (ledger row 53), and all-time totals shown as a
period's would be wrong without a word. Without a period, ``stats/summary`` is
asked with no parameter and its answer is labelled all-time.
"""

from __future__ import annotations

from typing import Any

from finizi_b4b.api import fields
from finizi_b4b.tools.base import Call, Handler, direction_label, page_result
from finizi_b4b.tools.messages import LIST_SUMS_LEFT_OUT, list_sums_unchecked
from finizi_b4b.tools.summaries import agreeing_sums, by_direction, filters_of
from finizi_b4b.tools.summary_answer import LEFT_OUT, Summary
from finizi_b4b.tools.sums import Amounts, Sums, count_of, merge

__all__ = ["InvoiceTools"]

COMPACT = (
    "invoice_series",
    "invoice_number",
    "issue_date",
    "direction",
    "status",
    "seller_name",
    "buyer_name",
    "total_amount",
    "currency",
)
_SUMS = ("total_amount", "aggregations")
_FILTERS = ("status", "vendor_id", "date_from", "date_to", "q", "invoice_series", "invoice_number")


def _invoice(raw: dict[str, Any]) -> dict[str, Any]:
    if "direction" in raw:
        raw["direction"] = direction_label(raw["direction"])
    return raw


def _rates_in_percent(lines: Any) -> int:
    """Lines carry vat_rate in percent (8); one sent as a fraction (0.08: no VAT rate is under 1 %) is
    shown in percent too. How many were."""
    converted = 0
    for line in lines if isinstance(lines, list) else ():
        rate = fields.number(line.get("vat_rate")) if isinstance(line, dict) else None
        if rate is not None and 0 < rate < 1:
            line["vat_rate"] = fields.percent(rate)
            converted += 1
    return converted


def _bucket(amounts: Amounts, currencies: list[str]) -> dict[str, Any]:
    """Count and sums in the shape of the API's statistics; per currency when there are several."""
    if len(currencies) <= 1:
        sums = (amounts.get(currencies[0]) if currencies else None) or Sums()
        shown = sums.as_json()
        return {
            "count": sums.count,
            "total_amount_before_tax": shown["net"],
            "total_tax_amount": shown["tax"],
            "total_amount": shown["total"],
        }
    return {
        "count": count_of(amounts),
        "by_currency": {c: amounts[c].as_json() for c in currencies if c in amounts},
    }


def _period_statistics(summaries: dict[str, Summary], period: dict[str, str]) -> dict[str, Any]:
    """The statistics of a period, from one summary by status per direction."""
    by_status: dict[str, Amounts] = {}
    by_direction: dict[str, Amounts] = {}
    for direction, summary in summaries.items():
        kept = by_direction.setdefault(direction, {})
        for (status, *_), amounts in summary.groups.items():
            merge(by_status.setdefault(status or "unknown", {}), amounts)
            if status not in LEFT_OUT:
                merge(kept, amounts)
    currencies = sorted({c for amounts in by_status.values() for c in amounts}, key=lambda c: (c != "VND", c))
    totals: Amounts = {}
    for amounts in by_direction.values():
        merge(totals, amounts)
    data: dict[str, Any] = {**period}
    if len(currencies) <= 1:
        data["currency"] = currencies[0] if currencies else "VND"
    else:
        data["currencies"] = currencies
    data["total_count"] = sum(count_of(amounts) for amounts in by_status.values())
    data |= {k: v for k, v in _bucket(totals, currencies).items() if k != "count"}
    data["amounts_exclude_statuses"] = list(LEFT_OUT)
    data["by_status"] = {
        status: _bucket(amounts, currencies) for status, amounts in sorted(by_status.items())
    }
    data["by_direction"] = {
        direction: _bucket(by_direction[direction], currencies) for direction in summaries
    }
    data["source"] = "invoices" if any(s.source == "invoices" for s in summaries.values()) else "aggregations"
    coverage = {d: s.coverage.as_json() for d, s in summaries.items() if s.coverage is not None}
    if coverage:
        data["coverage"] = coverage
    return data


class InvoiceTools(Handler):
    async def list_invoices(self, call: Call) -> dict[str, Any]:
        filters = filters_of(call, _FILTERS)
        if "invoice_series" in filters:  # the API compares series without case; they are written upper
            filters["invoice_series"] = filters["invoice_series"].upper()
        wanted = ("id", *(f for f in call.get("fields") or COMPACT if f != "id"))
        page = await self.client.list_invoices(
            call["entity_id"], page=call["page"], page_size=call["page_size"], **filters
        )
        rows = [_invoice(invoice.pick(wanted)) for invoice in page.items]
        result = page_result(page, rows, call["page_size"])
        # Sums over every matching invoice (not just this page), when the API sends them: an assumption of
        # the contract (ledger rows 41-42), shown when the aggregations agree with themselves, the count and
        # total_amount (as summarize_invoices needs them to), left out when they do not, said when alone.
        sums = {name: value for name, value in page.pick(_SUMS).items() if value is not None}
        if "aggregations" in sums:
            if agreeing_sums(page) is None:
                result["message"] = LIST_SUMS_LEFT_OUT
                return result
        elif "total_amount" in sums:
            result["message"] = list_sums_unchecked(result["data"]["total"])
        result["data"].update(sums)
        return result

    async def get_invoice(self, call: Call) -> dict[str, Any]:
        from finizi_b4b.tools.messages import line_rates_were_fractions

        invoice = await self.client.get_invoice(call["entity_id"], call["invoice_id"])
        data = _invoice(invoice.as_json())
        converted = _rates_in_percent(data.get("line_items"))
        if converted:
            return {"message": line_rates_were_fractions(converted), "data": data}
        return {"data": data}

    async def get_invoice_statistics(self, call: Call) -> dict[str, Any]:
        from finizi_b4b.tools.messages import ALL_TIME_STATISTICS, period_statistics

        entity_id = call["entity_id"]
        period = {key: call[key] for key in ("date_from", "date_to") if call.get(key)}
        if not period:
            stats = await self.client.invoice_stats(entity_id)
            return {
                "message": ALL_TIME_STATISTICS,
                "data": {**stats, "scope": "all_time", "source": "stats_summary"},
            }
        summaries = await by_direction(self, call, entity_id, period)
        data = _period_statistics(summaries, period)
        data["scope"] = "period"
        complete = all(s.coverage is None or s.coverage.complete for s in summaries.values())
        return {"message": period_statistics(period, data["source"], complete), "data": data}
