"""list_products, search_similar_products."""

from __future__ import annotations

from typing import Any

from finizi_b4b.api.models import Product
from finizi_b4b.tools import messages
from finizi_b4b.tools.base import Call, Handler, page_result

__all__ = ["COMPACT", "ProductTools"]

# The backend's ProductBase fields: code is the SKU, vat_rate a fraction (0.1 for 10 %), shown in percent
# (10) as invoice lines carry it, so that one unit serves every VAT rate the server shows.
COMPACT = ("code", "name", "unit_of_measurement", "default_sell_price", "inventory_type", "vat_rate")


def _wanted(fields: list[str] | None) -> tuple[str, ...]:
    return ("id", *(f for f in fields or COMPACT if f != "id"))


def _row(product: Product, wanted: tuple[str, ...]) -> dict[str, Any]:
    row = product.pick(wanted)
    if "vat_rate" in row:
        row["vat_rate"] = product.vat_rate_percent
    return row


def _rates_said(result: dict[str, Any], products: list[Product], wanted: tuple[str, ...]) -> dict[str, Any]:
    unread = sum(product.vat_rate_unread for product in products) if "vat_rate" in wanted else 0
    return {"message": messages.vat_rates_unread(unread), **result} if unread else result


class ProductTools(Handler):
    async def list_products(self, call: Call) -> dict[str, Any]:
        page = await self.client.list_products(
            call["entity_id"],
            page=call["page"],
            per_page=call["page_size"],
            search=call.get("search"),
        )
        wanted = _wanted(call.get("fields"))
        result = page_result(page, [_row(product, wanted) for product in page.items], call["page_size"])
        return _rates_said(result, list(page.items), wanted)

    async def search_similar_products(self, call: Call) -> dict[str, Any]:
        matches = await self.client.similar_products(
            call["entity_id"],
            query_text=call["query"],
            top_k=call["top_k"],
            min_similarity=call["min_similarity"],
        )
        wanted = _wanted(None)
        products = [match.product() for match in matches]
        items = [
            {**_row(product, wanted), "similarity": match.similarity}
            for product, match in zip(products, matches, strict=True)
        ]
        return _rates_said({"data": {"items": items, "total": len(items)}}, products, wanted)
