"""Routes: listing products (``page`` + ``per_page``) and the semantic product search.

Products follow the backend's ``ProductBase``: ``code`` (the SKU),
``unit_of_measurement``, ``default_sell_price``, ``inventory_type``,
``default_vat_rate_id`` and ``vat_rate`` as a fraction. The semantic search
requires the ``X-Entity-Id`` header (a FastAPI 422 when it is missing, 403
when it names another entity than the body's ``entity_id``). Each result's
``entity_id`` is the product's id (the searched object is that API's
"entity"); with the alternative shapes its ``data`` carries no ``id``. In
minimal mode a product page carries only ``items``.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import pydantic
from aiohttp import web

from finizi_b4b.sandbox.context import SETTINGS, STATE
from finizi_b4b.sandbox.minimal import PRODUCT_PAGE_KEYS, only
from finizi_b4b.sandbox.problems import Problems, json_body, record_id, validate
from finizi_b4b.sandbox.responses import error, json_response
from finizi_b4b.sandbox.routes.common import API, list_request, matches_text, paged
from finizi_b4b.sandbox.similarity import TrigramIndex, fold
from finizi_b4b.sandbox.tokens import current_user, entity_access

__all__ = ["SimilarProductsQuery", "routes"]

routes = web.RouteTableDef()


class SimilarProductsQuery(pydantic.BaseModel):
    """The semantic search body, as the backend's model types it."""

    entity_id: uuid.UUID
    query_text: Annotated[str, pydantic.StringConstraints(min_length=1, max_length=1000)]
    top_k: Annotated[int, pydantic.Field(ge=1, le=100)]
    min_similarity: Annotated[float, pydantic.Field(ge=0, le=1)]


@routes.get(f"{API}/entities/{{entity_id}}/products", name="products.list")
async def list_products(request: web.Request) -> web.Response:
    entity, page, size = list_request(request, "per_page")
    products = request.app[STATE].products[entity["id"]]
    if request.query.get("search"):
        needle = fold(request.query["search"])
        products = [p for p in products if matches_text(needle, p["name"], p["code"], p["description"])]
    answer = paged(sorted(products, key=lambda p: p["code"]), page, size)
    return json_response(only(answer, PRODUCT_PAGE_KEYS) if request.app[SETTINGS].minimal else answer)


@routes.post(f"{API}/semantic-search/products/search", name="products.similar")
async def similar_products(request: web.Request) -> web.Response:
    user = current_user(request)
    problems = Problems()
    header = request.headers.get("X-Entity-Id")
    if header is None:
        problems.add(["header", "x-entity-id"], "missing", "Field required", None)
    else:
        header = record_id(problems, "header", "x-entity-id", header, integer_ids=False)
    body = validate(problems, SimilarProductsQuery, await json_body(request), "body")
    problems.raise_any()
    assert body is not None
    entity_id = str(body.entity_id)
    if header != entity_id:
        raise error(403, "The X-Entity-Id header names another entity than the request's entity_id")
    entity, _ = entity_access(request.app[STATE], user, entity_id)
    box = request.app[SETTINGS]
    index = box.indexes.get(entity["id"])
    if index is None:
        index = box.indexes[entity["id"]] = TrigramIndex(request.app[STATE].products[entity["id"]])
    found = index.search(body.query_text, body.top_k, body.min_similarity)
    return json_response(
        [
            {
                "entity_id": product["id"],
                "entity_type": "product",
                "similarity": similarity,
                "data": {k: v for k, v in product.items() if k != "id"} if box.alt_shapes else product,
                "metadata": {"matched_on": field, "method": "trigram-cosine"},
            }
            for product, similarity, field in found
        ]
    )
