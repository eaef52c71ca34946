"""Routes: listing vendors, one vendor, and the search by tax id (with the branch fallback).

The search by tax id answers ``{"success": true, "data": {"vendor": {...},
"matched_parent": bool}}``, and 404 when there is no such vendor. With the
alternative shapes it answers as older servers do, ``{"vendor": {...}}``,
and a tax id it does not know is not a 404: when the last digit of the tax
id as sent is even the answer is ``{"success": true, "data": {"vendor":
null}}``, when odd ``{"success": true, "data": null}``. In minimal mode a
vendor page carries only ``items`` and ``total``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from finizi_b4b.sandbox.context import SETTINGS, STATE
from finizi_b4b.sandbox.minimal import VENDOR_PAGE_KEYS, only
from finizi_b4b.sandbox.problems import Problems, object_body, string
from finizi_b4b.sandbox.responses import error, json_response
from finizi_b4b.sandbox.routes.common import API, list_request, matches_text, owned_record, paged
from finizi_b4b.sandbox.similarity import fold
from finizi_b4b.sandbox.state import TAX_ID, State, parent_tax_id
from finizi_b4b.sandbox.tokens import current_user, entity_for

__all__ = ["routes"]

routes = web.RouteTableDef()


def _view(state: State, vendor: dict[str, Any]) -> dict[str, Any]:
    bought = [inv for inv in state.invoices[vendor["entity_id"]] if inv["vendor_id"] == vendor["id"]]
    return {
        **vendor,
        "invoice_count": len(bought),
        "total_purchase_amount": sum(inv["total_amount"] for inv in bought if inv["status"] != "cancelled"),
    }


@routes.get(f"{API}/entities/{{entity_id}}/vendors", name="vendors.list")
async def list_vendors(request: web.Request) -> web.Response:
    entity, page, size = list_request(request, "page_size")
    vendors = sorted(request.app[STATE].vendors[entity["id"]], key=lambda v: (fold(v["name"]), str(v["id"])))
    if request.query.get("q"):
        needle = fold(request.query["q"])
        vendors = [v for v in vendors if matches_text(needle, v["name"], v["tax_id"], v["address"])]
    answer = paged(vendors, page, size)
    return json_response(only(answer, VENDOR_PAGE_KEYS) if request.app[SETTINGS].minimal else answer)


@routes.post(f"{API}/entities/{{entity_id}}/vendors/search-by-tax-id", name="vendors.by_tax_id")
async def vendor_by_tax_id(request: web.Request) -> web.Response:
    entity, _ = entity_for(request, current_user(request))
    problems = Problems()
    tax_id = string(problems, await object_body(request), "tax_id", required=True, pattern=TAX_ID) or ""
    problems.raise_any()
    state, alt_shapes = request.app[STATE], request.app[SETTINGS].alt_shapes
    by_tax_id = {v["tax_id"]: v for v in state.vendors[entity["id"]]}
    found: dict[str, Any] | None = None
    if tax_id in by_tax_id:
        found = {"vendor": _view(state, by_tax_id[tax_id]), "matched_parent": False}
    elif "-" in tax_id and parent_tax_id(tax_id) in by_tax_id:
        vendor = _view(state, by_tax_id[parent_tax_id(tax_id)])
        found = {"vendor": vendor, "matched_parent": True, "requested_tax_id": tax_id}
    if found is not None:
        return json_response({"vendor": found["vendor"]} if alt_shapes else {"success": True, "data": found})
    if not alt_shapes:
        raise error(404, f"No vendor with tax id {tax_id} in this entity")
    even = int(tax_id[-1]) % 2 == 0
    return json_response({"success": True, "data": {"vendor": None} if even else None})


@routes.get(f"{API}/entities/{{entity_id}}/vendors/{{vendor_id}}", name="vendors.get")
async def get_vendor(request: web.Request) -> web.Response:
    vendor = owned_record(request, lambda state: state.vendor_index, "vendor_id", "Vendor")
    return json_response(_view(request.app[STATE], vendor))
