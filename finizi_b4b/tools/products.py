"""list_products, search_similar_products."""

from __future__ import annotations

from typing import Any

from finizi_b4b.api.models import unstructure
from finizi_b4b.tools.base import Call, Handler, page_result, project, tool

__all__ = ["COMPACT", "ProductTools"]

# The backend's ProductBase fields: code is the SKU, vat_rate a fraction (0.1 for 10 %).
COMPACT = ("code", "name", "unit_of_measurement", "default_sell_price", "inventory_type", "vat_rate")


class ProductTools(Handler):
    @tool("list_products")
    async def list_products(self, call: Call) -> dict[str, Any]:
        page = await self.client.list_products(
            call["entity_id"], page=call["page"], per_page=call["page_size"], search=call.get("search")
        )
        items = project(page.items, call.get("fields") or COMPACT, "product")
        return page_result(page, items, call["page_size"])

    @tool("search_similar_products")
    async def search_similar_products(self, call: Call) -> dict[str, Any]:
        matches = await self.client.similar_products(
            call["entity_id"],
            query_text=call["query"],
            top_k=call["top_k"],
            min_similarity=call["min_similarity"],
        )
        items = []
        for match in matches:
            product = unstructure(match.product())
            row = {"id": product["id"], **{f: product[f] for f in COMPACT if f in product}}
            row["similarity"] = match.similarity
            items.append(row)
        return {"data": {"items": items, "total": len(items)}}
