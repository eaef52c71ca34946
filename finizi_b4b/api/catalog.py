"""The vendor and product endpoints, a part of :class:`~finizi_b4b.api.client.B4BClient`, and the query
helpers every listing shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypeVar

from finizi_b4b.api.errors import NotFound, Reason, Subject
from finizi_b4b.api.fields import API
from finizi_b4b.api.models import Product, SimilarProduct, Vendor
from finizi_b4b.api.records import Page, Record, bad_record, records_of
from finizi_b4b.api.transport import ApiRequest

__all__ = ["CatalogCalls", "Query", "entity_subject", "paging", "query_pairs"]

Query = tuple[tuple[str, str], ...]
R = TypeVar("R", bound=Record)


def query_pairs(**params: Any) -> Query:
    """Query pairs for the parameters that are set; booleans as the API spells them."""
    out = []
    for key, value in params.items():
        if value is None:
            continue
        out.append((key, ("true" if value else "false") if isinstance(value, bool) else str(value)))
    return tuple(out)


def paging(style: Literal["page_size", "per_page"], page: int, size: int) -> dict[str, int]:
    return {"page": page, style: size}


def entity_subject(entity_id: str) -> Subject:
    return Subject("entity", (entity_id,))


class CatalogCalls:
    """An entity's vendors and products."""

    if TYPE_CHECKING:

        async def _call(self, request: ApiRequest, subject: Subject) -> Any: ...

        async def _page(self, entity_id: str, listing: str, query: Query, cls: type[R]) -> Page[R]: ...

    # -- vendors -----------------------------------------------------------

    async def list_vendors(
        self,
        entity_id: str,
        *,
        page: int,
        page_size: int,
        q: str | None = None,
    ) -> Page[Vendor]:
        """One page of :class:`Vendor` records."""
        query = query_pairs(**paging("page_size", page, page_size), q=q)
        return await self._page(entity_id, "vendors", query, Vendor)

    async def get_vendor(self, entity_id: str, vendor_id: str) -> Vendor:
        request = ApiRequest("GET", f"{API}/entities/{entity_id}/vendors/{vendor_id}")
        return Vendor.of(await self._call(request, Subject("vendor", (vendor_id, entity_id))))

    async def vendor_by_tax_id(self, entity_id: str, tax_id: str) -> tuple[Vendor, dict[str, Any]]:
        """The vendor for a tax id (a branch id falls back to its parent) and the rest of the answer.

        Every documented shape is read: ``{"success": true, "data": {"vendor": {...}}}`` and the
        older ``{"vendor": {...}}``. A 404, ``data: null`` or ``vendor: null`` is not found.
        """
        subject = Subject("vendor_tax_id", (tax_id, entity_id))
        request = ApiRequest(
            "POST", f"{API}/entities/{entity_id}/vendors/search-by-tax-id", json={"tax_id": tax_id}
        )
        body = await self._call(request, subject)
        malformed = bad_record("vendor search", "wrong_shape").about(subject)
        if not isinstance(body, dict):
            raise malformed
        if "data" in body:
            data = body["data"]
        elif "vendor" in body:
            data = body
        else:
            raise malformed
        if data is None or (isinstance(data, dict) and data.get("vendor") is None):
            raise NotFound(Reason.NO_MATCH, subject=subject)
        if not isinstance(data, dict):
            raise malformed
        rest = {k: v for k, v in data.items() if k != "vendor"}
        return Vendor.of(data["vendor"]), rest

    # -- products ----------------------------------------------------------

    async def list_products(
        self,
        entity_id: str,
        *,
        page: int,
        per_page: int,
        search: str | None = None,
    ) -> Page[Product]:
        """One page of :class:`Product` records."""
        query = query_pairs(**paging("per_page", page, per_page), search=search)
        return await self._page(entity_id, "products", query, Product)

    async def similar_products(
        self, entity_id: str, *, query_text: str, top_k: int, min_similarity: float
    ) -> list[SimilarProduct]:
        payload = {
            "entity_id": entity_id,
            "query_text": query_text,
            "top_k": top_k,
            "min_similarity": min_similarity,
        }
        request = ApiRequest("POST", f"{API}/semantic-search/products/search", json=payload)
        body = await self._call(request, entity_subject(entity_id))
        return records_of(body, SimilarProduct)
