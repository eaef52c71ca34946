"""Routes: the company registry by tax id, and one search across products, invoice lines and units (B3).

Both require ``X-Entity-Id``. ``GET .../companies/{tax_code}`` takes a tax id
matching ``^[0-9]{10,14}(-[0-9]{3})?$`` (else 422) and answers the registry's
record (:mod:`finizi_b4b.sandbox.books`): ``tax_code``, ``name``, ``address``,
``is_branch``, ``parent_tax_code``; in minimal mode only ``name`` and
``address``. A tax id the registry does not know, a branch included, is a 404.
No taxpayer status is given: none is evidenced.

``GET .../search`` takes ``query`` (1 to 500 characters), ``search_type``
(``hybrid``, ``vector`` or ``keyword``; hybrid by default), ``data_types``
(comma-joined ``products``, ``line_items``, ``units``; all three by default),
``max_results`` (1 to 100, 10) and ``min_similarity`` (0 to 1, 0.3), and
answers ``query``, ``search_type``, ``items`` of ``{type, id, similarity,
data}`` (the best ``max_results``) and ``total`` (how many matched). The vector score is the trigram cosine of
:mod:`finizi_b4b.sandbox.similarity`, the keyword score the share of the
query's words found; hybrid takes, per ``{type}:{id}``, the larger of the
vector score times 1.1 (at most 1) and the keyword score. A product's id is
its id, a line's ``{invoice_id}:{line_number}``, a unit's the unit itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Annotated, Any, Literal

import pydantic
from aiohttp import web

from finizi_b4b.sandbox.context import SETTINGS, STATE
from finizi_b4b.sandbox.problems import Problems, validate
from finizi_b4b.sandbox.responses import error, json_response
from finizi_b4b.sandbox.routes.common import API, scoped_entity
from finizi_b4b.sandbox.similarity import TrigramIndex, keyword_score
from finizi_b4b.sandbox.state import TAX_ID, State

__all__ = ["DATA_TYPES", "SearchQuery", "routes"]

routes = web.RouteTableDef()
DATA_TYPES = ("products", "line_items", "units")
_TYPE = {"products": "product", "line_items": "line_item", "units": "unit"}
_ORDER = {kind: n for n, kind in enumerate(_TYPE.values())}


class SearchQuery(pydantic.BaseModel):
    query: Annotated[str, pydantic.StringConstraints(min_length=1, max_length=500)]
    search_type: Literal["hybrid", "vector", "keyword"] = "hybrid"
    data_types: Annotated[str, pydantic.StringConstraints(max_length=100)] = ",".join(DATA_TYPES)
    max_results: Annotated[int, pydantic.Field(ge=1, le=100)] = 10
    min_similarity: Annotated[float, pydantic.Field(ge=0, le=1)] = 0.3


@routes.get(f"{API}/entities/{{entity_id}}/companies/{{tax_code}}", name="registry.company")
async def company(request: web.Request) -> web.Response:
    problems = Problems()
    tax_code = request.match_info["tax_code"]
    if not TAX_ID.match(tax_code):
        message = f"String should match pattern '{TAX_ID.pattern}'"
        problems.add(
            ["path", "tax_code"], "string_pattern_mismatch", message, tax_code, pattern=TAX_ID.pattern
        )
    scoped_entity(request, problems)
    record = request.app[STATE].registry.get(tax_code)
    if record is None:
        raise error(404, f"No company with tax code {tax_code} in the registry")
    if request.app[SETTINGS].minimal:
        return json_response({"name": record["name"], "address": record["address"]})
    return json_response(record)


def _products(state: State, entity_id: str) -> list[dict[str, Any]]:
    return [
        {"id": p["id"], "name": p["name"], "description": p["description"], "data": p}
        for p in state.products[entity_id]
    ]


def _lines(state: State, entity_id: str) -> list[dict[str, Any]]:
    records = []
    for invoice in state.invoices[entity_id]:
        head = {k: invoice[k] for k in ("invoice_series", "invoice_number", "issue_date", "direction")}
        for line in invoice["line_items"]:
            data = {"invoice_id": invoice["id"], **head, **line}
            record_id = f"{invoice['id']}:{line['line_number']}"
            records.append({"id": record_id, "name": line["description"], "description": None, "data": data})
    return records


def _units(state: State, entity_id: str) -> list[dict[str, Any]]:
    products = Counter(
        p["unit_of_measurement"] for p in state.products[entity_id] if p["unit_of_measurement"]
    )
    lines = Counter(
        line["unit"]
        for invoice in state.invoices[entity_id]
        for line in invoice["line_items"]
        if line["unit"]
    )
    return [
        {
            "id": unit,
            "name": unit,
            "description": None,
            "data": {"unit": unit, "product_count": products[unit], "line_count": lines[unit]},
        }
        for unit in sorted(set(products) | set(lines))
    ]


_RECORDS: dict[str, Callable[[State, str], list[dict[str, Any]]]] = {
    "products": _products,
    "line_items": _lines,
    "units": _units,
}


def _index(request: web.Request, kind: str, entity_id: str) -> TrigramIndex:
    """The kind's records of the entity, indexed once per version of its invoices and products."""
    state, box = request.app[STATE], request.app[SETTINGS]
    version = len(state.invoices[entity_id]) * 100_000 + len(state.products[entity_id])
    cached = box.search_indexes.get((kind, entity_id))
    if cached is None or cached[0] != version:
        cached = box.search_indexes[(kind, entity_id)] = (
            version,
            TrigramIndex(_RECORDS[kind](state, entity_id)),
        )
    return cached[1]


def _scores(index: TrigramIndex, query: str, search_type: str) -> dict[int, float]:
    """Position in the index -> the similarity of its record to ``query``."""
    scores: dict[int, float] = {}
    if search_type in ("vector", "hybrid"):
        boost = 1.1 if search_type == "hybrid" else 1.0
        positions = {id(record): n for n, record in enumerate(index.records)}
        for record, similarity, _ in index.search(query, len(index.records), 0.0):
            scores[positions[id(record)]] = round(min(similarity * boost, 1.0), 4)
    if search_type in ("keyword", "hybrid"):
        for n, record in enumerate(index.records):
            score = keyword_score(query, record["name"], record["description"])
            scores[n] = max(scores.get(n, 0.0), score)
    return scores


@routes.get(f"{API}/entities/{{entity_id}}/search", name="registry.search")
async def search(request: web.Request) -> web.Response:
    problems = Problems()
    params = validate(problems, SearchQuery, dict(request.query), "query")
    kinds = [k.strip() for k in params.data_types.split(",") if k.strip()] if params else []
    unknown = [k for k in kinds if k not in DATA_TYPES]
    if params is not None and (unknown or not kinds):
        expected = ", ".join(DATA_TYPES)
        problems.add(
            ["query", "data_types"],
            "value_error",
            f"Value error, data_types are among {expected}",
            params.data_types,
        )
    entity, _ = scoped_entity(request, problems)
    assert params is not None
    found = []
    for kind in dict.fromkeys(kinds):
        index = _index(request, kind, entity["id"])
        for n, similarity in _scores(index, params.query, params.search_type).items():
            if similarity >= params.min_similarity and similarity > 0:
                record = index.records[n]
                found.append(
                    {
                        "type": _TYPE[kind],
                        "id": record["id"],
                        "similarity": similarity,
                        "data": record["data"],
                    }
                )
    found.sort(key=lambda item: (-item["similarity"], _ORDER[item["type"]], str(item["id"])))
    head = {"query": params.query, "search_type": params.search_type}
    return json_response({**head, "items": found[: params.max_results], "total": len(found)})
