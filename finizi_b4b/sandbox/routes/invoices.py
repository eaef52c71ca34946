"""Routes: listing invoices (with totals over every match), one invoice, the statistics summary.

A list answer carries, besides the page, ``total_amount`` (the sum of
``total_amount`` over **all** invoices matching the filters, not just the
page) and ``aggregations``: ``count``, ``total_amount_before_tax``,
``total_tax_amount``, ``total_amount``, and the same sums ``by_currency`` and
``by_status``, all over the filtered set.

In minimal mode (:mod:`finizi_b4b.sandbox.minimal`) a list page has neither,
its items only the minimal keys (with ``vendor_name``), and the statistics
summary ignores ``date_from`` and ``date_to``: all-time figures, the dates
neither checked nor echoed.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from finizi_b4b.sandbox.context import SETTINGS, STATE
from finizi_b4b.sandbox.data import STATUSES
from finizi_b4b.sandbox.minimal import invoice_item
from finizi_b4b.sandbox.problems import Problems, date, integer, record_id
from finizi_b4b.sandbox.responses import json_response
from finizi_b4b.sandbox.routes.common import API, matches_text, owned_record, paged, paging
from finizi_b4b.sandbox.similarity import fold
from finizi_b4b.sandbox.tokens import current_user, entity_for

__all__ = ["aggregate", "routes"]

routes = web.RouteTableDef()
AMOUNTS = ("total_amount_before_tax", "total_tax_amount", "total_amount")


def _summary(invoice: dict[str, Any]) -> dict[str, Any]:
    item = {k: v for k, v in invoice.items() if k != "line_items"}
    item["line_count"] = len(invoice["line_items"])
    return item


def _bucket() -> dict[str, Any]:
    return {"count": 0, "total_amount_before_tax": 0, "total_tax_amount": 0, "total_amount": 0}


def _add(bucket: dict[str, Any], invoice: dict[str, Any]) -> None:
    bucket["count"] += 1
    for key in AMOUNTS:
        bucket[key] += invoice[key]


def aggregate(invoices: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts and sums over ``invoices``: overall, by currency and by status."""
    totals = _bucket()
    by_currency: dict[str, dict[str, Any]] = {}
    by_status: dict[str, dict[str, Any]] = {}
    for inv in invoices:
        _add(totals, inv)
        _add(by_currency.setdefault(inv["currency"], _bucket()), inv)
        _add(by_status.setdefault(inv["status"], _bucket()), inv)
    return {**totals, "by_currency": by_currency, "by_status": by_status}


@routes.get(f"{API}/entities/{{entity_id}}/invoices", name="invoices.list")
async def list_invoices(request: web.Request) -> web.Response:
    entity, _ = entity_for(request, current_user(request))
    state = request.app[STATE]
    query, problems = request.query, Problems()
    page, size = paging(problems, request, "page_size")
    status = query.get("status")
    if status is not None and status not in STATUSES:
        expected = ", ".join(f"'{s}'" for s in STATUSES)
        problems.add(["query", "status"], "enum", f"Input should be {expected}", status, expected=expected)
    direction = None
    if "direction" in query:
        direction = integer(problems, "query", "direction", query["direction"], 0, 0, 1)
    vendor_id = query.get("vendor_id")
    if vendor_id is not None:
        vendor_id = record_id(problems, "query", "vendor_id", vendor_id, state.int_ids)
    date_from, date_to = (
        date(problems, "date_from", query.get("date_from")),
        date(problems, "date_to", query.get("date_to")),
    )
    problems.raise_any()
    needle = fold(query["q"]) if query.get("q") else None
    series = query.get("invoice_series")
    number = query.get("invoice_number")
    number = number.lstrip("0") or "0" if number else None
    found = [
        inv
        for inv in state.invoices[entity["id"]]
        if (status is None or inv["status"] == status)
        and (direction is None or inv["direction"] == direction)
        and (vendor_id is None or inv["vendor_id"] == vendor_id)
        and (date_from is None or inv["issue_date"] >= date_from)
        and (date_to is None or inv["issue_date"] <= date_to)
        and (series is None or inv["invoice_series"] == series.upper())
        and (number is None or (inv["invoice_number"].lstrip("0") or "0") == number)
        and (
            needle is None
            or matches_text(
                needle,
                inv["seller_name"],
                inv["buyer_name"],
                inv["seller_tax_id"],
                inv["buyer_tax_id"],
                inv["invoice_series"],
                inv["invoice_number"],
            )
        )
    ]
    if request.app[SETTINGS].minimal:
        return json_response(paged(found, page, size, invoice_item))
    aggregations = aggregate(found)
    return json_response(
        {**paged(found, page, size, _summary), "total_amount": aggregations["total_amount"]}
        | {"aggregations": aggregations}
    )


@routes.get(f"{API}/entities/{{entity_id}}/invoices/stats/summary", name="invoices.stats")
async def invoice_stats(request: web.Request) -> web.Response:
    entity, _ = entity_for(request, current_user(request))
    minimal = request.app[SETTINGS].minimal
    problems = Problems()
    date_from = None if minimal else date(problems, "date_from", request.query.get("date_from"))
    date_to = None if minimal else date(problems, "date_to", request.query.get("date_to"))
    problems.raise_any()
    by_status = {status: {"count": 0, "total_amount": 0} for status in STATUSES}
    by_direction = {"purchase": _bucket(), "sales": _bucket()}
    totals = _bucket()
    for inv in request.app[STATE].invoices[entity["id"]]:
        if (date_from and inv["issue_date"] < date_from) or (date_to and inv["issue_date"] > date_to):
            continue
        by_status[inv["status"]]["count"] += 1
        by_status[inv["status"]]["total_amount"] += inv["total_amount"]
        if inv["status"] == "cancelled":  # a cancelled invoice counts, but its money does not
            totals["count"] += 1
            continue
        _add(totals, inv)
        _add(by_direction["sales" if inv["direction"] == 1 else "purchase"], inv)
    dates = {} if minimal else {"date_from": date_from, "date_to": date_to}
    return json_response(
        {
            "entity_id": entity["id"],
            **dates,
            "currency": "VND",
            "total_count": totals["count"],
            "total_amount_before_tax": totals["total_amount_before_tax"],
            "total_tax_amount": totals["total_tax_amount"],
            "total_amount": totals["total_amount"],
            "amounts_exclude_statuses": ["cancelled"],
            "by_status": by_status,
            "by_direction": by_direction,
        }
    )


@routes.get(f"{API}/entities/{{entity_id}}/invoices/{{invoice_id}}", name="invoices.get")
async def get_invoice(request: web.Request) -> web.Response:
    return json_response(owned_record(request, lambda state: state.invoice_index, "invoice_id", "Invoice"))
