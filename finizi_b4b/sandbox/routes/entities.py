"""Routes: the user's entities (companies), and creating, reading and changing one.

In minimal mode the user's entities carry ``id``, ``name``, ``role``, and
``tax_id`` only when ``detailed=true`` is sent (:mod:`finizi_b4b.sandbox.minimal`).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from aiohttp import web

from finizi_b4b.sandbox.context import SETTINGS, STATE
from finizi_b4b.sandbox.minimal import entity_item
from finizi_b4b.sandbox.problems import Problems, boolean, object_body, string
from finizi_b4b.sandbox.responses import error, json_response
from finizi_b4b.sandbox.routes.common import API
from finizi_b4b.sandbox.state import TAX_ID, State, now
from finizi_b4b.sandbox.tokens import current_user, entity_for

__all__ = ["routes"]

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
routes = web.RouteTableDef()


def _view(state: State, entity: dict[str, Any], role: str, detailed: bool) -> dict[str, Any]:
    view = {**entity, "role": role}
    if detailed:
        view.update(
            invoice_count=len(state.invoices.get(entity["id"], ())),
            vendor_count=len(state.vendors.get(entity["id"], ())),
            product_count=len(state.products.get(entity["id"], ())),
        )
    return view


def _fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    problems = Problems()
    values = {
        "name": string(problems, body, "name", required=creating, low=1, high=255),
        "tax_id": string(problems, body, "tax_id", required=creating, pattern=TAX_ID),
        "address": string(problems, body, "address", required=False, high=500),
        "phone": string(problems, body, "phone", required=False, high=20),
        "email": string(problems, body, "email", required=False, high=254, pattern=EMAIL),
    }
    problems.raise_any()
    return {k: v for k, v in values.items() if k in body and v is not None}


@routes.get(f"{API}/users/me/entities", name="users.entities")
async def my_entities(request: web.Request) -> web.Response:
    """A bare list; with the alternative shapes, ``{"items": [...]}``."""
    user = current_user(request)
    problems = Problems()
    detailed = boolean(problems, "detailed", request.query.get("detailed"), False)
    problems.raise_any()
    state, box = request.app[STATE], request.app[SETTINGS]
    view = entity_item if box.minimal else lambda entity, role, detailed: _view(state, entity, role, detailed)
    items = [view(entity, role, detailed) for entity, role in state.entities_of(user["id"])]
    return json_response({"items": items} if box.alt_shapes else items)


@routes.post(f"{API}/entities", name="entities.create")
async def create_entity(request: web.Request) -> web.Response:
    user = current_user(request)
    fields = _fields(await object_body(request), creating=True)
    state = request.app[STATE]
    if state.tax_id_taken(fields["tax_id"]):
        raise error(409, f"An entity with tax id {fields['tax_id']} already exists")
    stamp = now()
    entity = {"id": str(uuid.uuid4()), "address": None, "phone": None, "email": None, **fields}
    entity.update(created_at=stamp, updated_at=stamp)
    state.add_entity(entity, user["id"])
    return json_response(_view(state, entity, "owner", False), status=201)


@routes.get(f"{API}/entities/{{entity_id}}", name="entities.get")
async def get_entity(request: web.Request) -> web.Response:
    entity, role = entity_for(request, current_user(request))
    return json_response(_view(request.app[STATE], entity, role, True))


@routes.put(f"{API}/entities/{{entity_id}}", name="entities.update")
async def update_entity(request: web.Request) -> web.Response:
    entity, role = entity_for(request, current_user(request))
    if role not in ("owner", "admin", "super_admin"):
        raise error(403, "Only an owner or admin of this entity can change it")
    fields = _fields(await object_body(request), creating=False)
    state = request.app[STATE]
    if "tax_id" in fields and state.tax_id_taken(fields["tax_id"], other_than=entity["id"]):
        raise error(409, f"An entity with tax id {fields['tax_id']} already exists")
    entity.update(fields, updated_at=now())
    return json_response(_view(state, entity, role, False))
