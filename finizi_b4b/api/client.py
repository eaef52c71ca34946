"""The B4B API client: one method per endpoint, all through one ``_call``.

``_call`` adds the bearer token, and on a 401 asks the session store to refresh
(single flight) and retries once. Statuses become errors in ``sansio.decode``
only. The pagination wart of the API (``page_size`` for invoices and vendors,
``per_page`` for products) is absorbed in ``_paging``.
"""

from __future__ import annotations

from typing import Any, Literal

from finizi_b4b.api import sansio
from finizi_b4b.api.models import Entity, Invoice, Page, SimilarProduct, TokenPair, User, Vendor, structure
from finizi_b4b.api.transport import ApiRequest, ApiResponse, Transport, TransportFailure, Upload
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.session import SESSION_EXPIRED, RefreshRejected, SessionStore

__all__ = ["B4BClient"]

API = "/api/v1"
Query = tuple[tuple[str, str], ...]


def _query(**params: Any) -> Query:
    """Query pairs for the parameters that are set; booleans as the API spells them."""
    out = []
    for key, value in params.items():
        if value is None:
            continue
        out.append((key, ("true" if value else "false") if isinstance(value, bool) else str(value)))
    return tuple(out)


def _paging(style: Literal["page_size", "per_page"], page: int, size: int) -> dict[str, int]:
    return {"page": page, style: size}


class B4BClient:
    """Typed calls to the Finizi B4B API over a :class:`Transport`."""

    def __init__(self, transport: Transport, session: SessionStore) -> None:
        self.transport = transport
        self.session = session

    async def _send(self, request: ApiRequest) -> ApiResponse:
        try:
            return await self.transport.send(request)
        except TransportFailure as exc:
            raise sansio.transport_error(exc) from None

    async def _call(self, request: ApiRequest, what: str, *, auth: bool = True) -> Any:
        if not auth:
            return sansio.decode(await self._send(request), what)
        token = self.session.access_token()
        resp = await self._send(request.with_token(token))
        if resp.status == 401:
            token = await self.session.refresh_after(token, self._refresh)
            resp = await self._send(request.with_token(token))
            if resp.status == 401:
                self.session.clear()
                raise ToolError(ErrorCode.SESSION_EXPIRED, SESSION_EXPIRED, status=401)
        return sansio.decode(resp, what)

    async def _refresh(self, refresh_token: str) -> TokenPair:
        request = ApiRequest("POST", f"{API}/auth/refresh", json={"refresh_token": refresh_token})
        resp = await self._send(request)
        if resp.status in (401, 403):
            raise RefreshRejected
        return structure(sansio.decode(resp, "The session refresh"), TokenPair)

    # -- auth and the user -------------------------------------------------

    async def login(self, phone: str, password: str) -> TokenPair:
        request = ApiRequest("POST", f"{API}/auth/login", json={"phone": phone, "password": password})
        resp = await self._send(request)
        if resp.status == 401:
            detail = sansio.backend_detail(resp)
            raise ToolError(
                ErrorCode.INVALID_CREDENTIALS,
                "Login failed: "
                + (detail or "the phone number or password is incorrect")
                + ". Check the credentials and try again.",
                status=401,
            )
        return structure(sansio.decode(resp, "The login"), TokenPair)

    async def logout(self) -> None:
        await self._call(ApiRequest("POST", f"{API}/auth/logout"), "The logout")

    async def me(self) -> User:
        return structure(await self._call(ApiRequest("GET", f"{API}/users/me"), "The current user"), User)

    # -- entities ----------------------------------------------------------

    async def my_entities(self, *, detailed: bool = False) -> list[Entity]:
        request = ApiRequest("GET", f"{API}/users/me/entities", _query(detailed=detailed or None))
        body = await self._call(request, "Your entity list")
        if isinstance(body, dict) and isinstance(body.get("items"), list):
            body = body["items"]
        return structure(body, list[Entity])

    async def get_entity(self, entity_id: str) -> Entity:
        body = await self._call(ApiRequest("GET", f"{API}/entities/{entity_id}"), f"Entity {entity_id}")
        return structure(body, Entity)

    async def create_entity(self, fields: dict[str, Any]) -> Entity:
        body = await self._call(ApiRequest("POST", f"{API}/entities", json=fields), "The new entity")
        return structure(body, Entity)

    async def update_entity(self, entity_id: str, fields: dict[str, Any]) -> Entity:
        request = ApiRequest("PUT", f"{API}/entities/{entity_id}", json=fields)
        return structure(await self._call(request, f"Entity {entity_id}"), Entity)

    # -- invoices ----------------------------------------------------------

    async def list_invoices(self, entity_id: str, *, page: int, page_size: int, **filters: Any) -> Page:
        query = _query(**_paging("page_size", page, page_size), **filters)
        request = ApiRequest("GET", f"{API}/entities/{entity_id}/invoices", query)
        return structure(await self._call(request, f"Entity {entity_id}"), Page)

    async def get_invoice(self, entity_id: str, invoice_id: str) -> Invoice:
        request = ApiRequest("GET", f"{API}/entities/{entity_id}/invoices/{invoice_id}")
        body = await self._call(request, f"Invoice {invoice_id} of entity {entity_id}")
        return structure(body, Invoice)

    async def import_invoice_xml(
        self, entity_id: str, *, filename: str, content: bytes, auto_classify: bool
    ) -> dict[str, Any]:
        request = ApiRequest(
            "POST",
            f"{API}/entities/{entity_id}/invoices/xml",
            _query(auto_classify=auto_classify),
            upload=Upload("file", filename, content),
        )
        body = await self._call(request, f"The invoice import into entity {entity_id}")
        structure(body, Invoice)  # checks the shape; the answer is returned whole
        return body

    async def invoice_stats(
        self, entity_id: str, *, date_from: str | None = None, date_to: str | None = None
    ) -> dict[str, Any]:
        request = ApiRequest(
            "GET",
            f"{API}/entities/{entity_id}/invoices/stats/summary",
            _query(date_from=date_from, date_to=date_to),
        )
        body = await self._call(request, f"Entity {entity_id}")
        if not isinstance(body, dict):
            raise ToolError(ErrorCode.BAD_RESPONSE, "The B4B API sent malformed invoice statistics.")
        return body

    # -- vendors -----------------------------------------------------------

    async def list_vendors(self, entity_id: str, *, page: int, page_size: int, q: str | None = None) -> Page:
        query = _query(**_paging("page_size", page, page_size), q=q)
        request = ApiRequest("GET", f"{API}/entities/{entity_id}/vendors", query)
        return structure(await self._call(request, f"Entity {entity_id}"), Page)

    async def get_vendor(self, entity_id: str, vendor_id: str) -> Vendor:
        request = ApiRequest("GET", f"{API}/entities/{entity_id}/vendors/{vendor_id}")
        body = await self._call(request, f"Vendor {vendor_id} of entity {entity_id}")
        return structure(body, Vendor)

    async def vendor_by_tax_id(self, entity_id: str, tax_id: str) -> tuple[Vendor, dict[str, Any]]:
        """The vendor for a tax id (a branch id falls back to its parent) and the rest of ``data``."""
        request = ApiRequest(
            "POST", f"{API}/entities/{entity_id}/vendors/search-by-tax-id", json={"tax_id": tax_id}
        )
        body = await self._call(request, f"Vendor with tax id {tax_id} in entity {entity_id}")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or "vendor" not in data:
            raise ToolError(ErrorCode.BAD_RESPONSE, "The B4B API sent a malformed vendor search answer.")
        rest = {k: v for k, v in data.items() if k != "vendor"}
        return structure(data["vendor"], Vendor), rest

    # -- products ----------------------------------------------------------

    async def list_products(
        self, entity_id: str, *, page: int, per_page: int, search: str | None = None
    ) -> Page:
        query = _query(**_paging("per_page", page, per_page), search=search)
        request = ApiRequest("GET", f"{API}/entities/{entity_id}/products", query)
        return structure(await self._call(request, f"Entity {entity_id}"), Page)

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
        body = await self._call(request, f"Entity {entity_id}")
        return structure(body, list[SimilarProduct])

    async def aclose(self) -> None:
        await self.transport.aclose()
