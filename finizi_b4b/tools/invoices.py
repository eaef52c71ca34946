"""list_invoices, get_invoice, get_invoice_statistics."""

from __future__ import annotations

from typing import Any

from finizi_b4b.api.models import unstructure
from finizi_b4b.errors import ToolError
from finizi_b4b.tools.base import Call, Handler, direction_label, page_result

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
_DIRECTION_CODES = {"purchase": 0, "sales": 1}
_FILTERS = ("status", "vendor_id", "date_from", "date_to", "q", "invoice_series", "invoice_number")


def _check_dates(call: Call) -> None:
    start, end = call.get("date_from"), call.get("date_to")
    if start and end and start > end:
        raise ToolError.invalid_arguments(f"date_from ({start}) is after date_to ({end})")


def _invoice(raw: dict[str, Any]) -> dict[str, Any]:
    if "direction" in raw:
        raw["direction"] = direction_label(raw["direction"])
    return raw


class InvoiceTools(Handler):
    async def list_invoices(self, call: Call) -> dict[str, Any]:
        _check_dates(call)
        filters = {key: call.args[key] for key in _FILTERS if key in call.args}
        if "direction" in call.args:
            filters["direction"] = _DIRECTION_CODES[call["direction"]]
        wanted = ("id", *(f for f in call.get("fields") or COMPACT if f != "id"))
        page = await self.client.list_invoices(
            call["entity_id"], page=call["page"], page_size=call["page_size"], fields=wanted, **filters
        )
        result = page_result(page, [_invoice(row) for row in page.items], call["page_size"])
        # Sums over every matching invoice (not just this page), when the API sends them.
        result["data"].update(page.pick(_SUMS))
        return result

    async def get_invoice(self, call: Call) -> dict[str, Any]:
        invoice = await self.client.get_invoice(call["entity_id"], call["invoice_id"])
        return {"data": _invoice(unstructure(invoice))}

    async def get_invoice_statistics(self, call: Call) -> dict[str, Any]:
        _check_dates(call)
        stats = await self.client.invoice_stats(
            call["entity_id"], date_from=call.get("date_from"), date_to=call.get("date_to")
        )
        return {"data": stats}
