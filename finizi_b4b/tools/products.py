"""list_products, search_similar_products."""

from __future__ import annotations

from typing import Any

from finizi_b4b.tools.base import Call, Handler, page_result

__all__ = ["COMPACT", "ProductTools"]

# The backend's ProductBase fields: code is the SKU, vat_rate a fraction (0.1 for 10 %).
COMPACT = ("code", "name", "unit_of_measurement", "default_sell_price", "inventory_type", "vat_rate")


def _wanted(fields: list[str] | None) -> tuple[str, ...]:
    return ("id", *(f for f in fields or COMPACT if f != "id"))


class ProductTools(Handler):
    async def list_products(self, call: Call) -> dict[str, Any]:
        page = await self.client.list_products(
            call["entity_id"],
            page=call["page"],
            per_page=call["page_size"],
            search=call.get("search"),
        )
        wanted = _wanted(call.get("fields"))
        return page_result(page, [product.pick(wanted) for product in page.items], call["page_size"])

    async def search_similar_products(self, call: Call) -> dict[str, Any]:
        matches = await self.client.similar_products(
            call["entity_id"],
            query_text=call["query"],
            top_k=call["top_k"],
            min_similarity=call["min_similarity"],
        )
        wanted = _wanted(None)
        items = [{**match.product().pick(wanted), "similarity": match.similarity} for match in matches]
        return {"data": {"items": items, "total": len(items)}}
