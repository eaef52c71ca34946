"""The quarterly VAT review prompt: its quarter (checked and completed), and the calls it writes out.

A quarter is written ``YYYY-Qn``, as the tax reports take it; one that has not
begun has nothing to review. The review asks for the quarter's VAT report and
its cross-check (``generate_tax_report``), the suppliers the company registry
does not confirm (``check_suppliers``), and the purchases not paid yet
(``summarize_invoices`` by vendor), then says what to check.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from finizi_b4b.folders import call_text as _call

__all__ = ["quarter_problem", "quarter_span", "quarterly_vat_review", "recent_quarters"]

_QUARTER = re.compile(r"(?P<year>[0-9]{4})-Q(?P<quarter>[1-4])\Z")
RECENT = 8  # quarters offered when the argument is completed


def quarter_span(value: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a quarter ``YYYY-Qn`` (already checked)."""
    year, quarter = int(value[:4]), int(value[-1])
    last_month = 3 * quarter
    last_day = calendar.monthrange(year, last_month)[1]
    return dt.date(year, last_month - 2, 1), dt.date(year, last_month, last_day)


def quarter_problem(value: str) -> str | None:
    """What is wrong with a quarter argument, if anything."""
    if not _QUARTER.match(value) or int(value[:4]) < 1900:
        return "must be a quarter as YYYY-Qn, e.g. 2026-Q1"
    return None if quarter_span(value)[0] <= dt.date.today() else "must be a quarter that has begun"


def recent_quarters(typed: str, today: dt.date) -> list[str]:
    """The latest quarters that have begun, newest first, that start with what was typed."""
    year, quarter = today.year, (today.month - 1) // 3 + 1
    quarters = []
    for _ in range(RECENT):
        quarters.append(f"{year:04d}-Q{quarter}")
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return [q for q in quarters if q.startswith(typed)]


def quarterly_vat_review(args: dict[str, str]) -> str:
    quarter, entity = args["quarter"], args["entity_id"]
    first, last = (day.isoformat() for day in quarter_span(quarter))
    period = {"entity_id": entity, "date_from": first, "date_to": last}
    unpaid = {**period, "direction": "purchase", "payment_status": "unpaid", "group_by": ["vendor"]}
    return "\n".join(
        [
            f"Review the VAT of {args['company']} for {quarter} (invoices issued {first} to {last}), as for "
            "the quarterly VAT return.",
            "",
            "1. Call "
            + _call("generate_tax_report", {"entity_id": entity, "report_type": "vat", "period": quarter})
            + ". It waits for the report and gives its download link, output and input VAT and the VAT "
            "payable, checked against the quarter's invoices: note each difference it states and what it "
            "puts it down to (drafts are not declared until issued).",
            "2. Call "
            + _call("check_suppliers", period)
            + " for the quarter's suppliers that the company registry does not confirm (a tax id it does "
            "not know, or another name): the input VAT on their invoices is at risk.",
            "3. Call " + _call("summarize_invoices", unpaid) + " for the purchases not paid yet, by vendor.",
            "4. Report in a short table: output VAT, input VAT and the VAT payable (a negative figure is a "
            "credit carried forward), with the report's download link and whether the cross-check agreed. "
            "Then what to check: each difference and the drafts behind it, the unconfirmed suppliers and the "
            "input VAT on their invoices, the largest and oldest unpaid purchases (large purchases need a "
            "non-cash payment for their input VAT to stay deductible), and cancelled invoices.",
            "Use the figures exactly as the tools give them (VND); do not add up invoice lists yourself.",
        ]
    )
