"""list_vendors, get_vendor."""

from __future__ import annotations

from typing import Any

from finizi_b4b.tools import messages
from finizi_b4b.tools.base import Call, Handler, page_result

__all__ = ["VendorTools"]

COMPACT = ("name", "tax_id", "address")


class VendorTools(Handler):
    async def list_vendors(self, call: Call) -> dict[str, Any]:
        wanted = ("id", *(f for f in call.get("fields") or COMPACT if f != "id"))
        page = await self.client.list_vendors(
            call["entity_id"], page=call["page"], page_size=call["page_size"], q=call.get("q")
        )
        return page_result(page, [vendor.pick(wanted) for vendor in page.items], call["page_size"])

    async def get_vendor(self, call: Call) -> dict[str, Any]:
        vendor_id, tax_id = call.get("vendor_id"), call.get("tax_id")  # exactly one: a rule of the tool
        if vendor_id is not None:
            return {"data": (await self.client.get_vendor(call["entity_id"], vendor_id)).as_json()}
        vendor, rest = await self.client.vendor_by_tax_id(call["entity_id"], tax_id)
        data = vendor.as_json()
        matched_parent = bool(rest.get("matched_parent")) or data.get("tax_id") != tax_id
        result: dict[str, Any] = {"data": data}
        if matched_parent:
            result["message"] = messages.branch_fallback(tax_id)
        return result
